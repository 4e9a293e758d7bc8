// Hostile images through a real engine: `tocker pull` from a real registry on 127.0.0.1 (Debian's
// docker-registry) and `tocker load -i`, with layers and documents made to break the parsers —
// a PAX size=-1536 (the old reader looped forever with growing memory), huge or mistyped JSON
// documents. Each must be refused quickly with a message naming what was wrong, leave nothing in the
// store, and leave the engine answering. Bounded: every command has a deadline, and a watchdog
// kills the engine by PID past a time or memory limit (what the old code needed).
// Runs in a private network namespace (the engine stays there).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import type { Test } from 'tap'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { gzipSync } = await import('node:zlib')
const { createHash } = await import('node:crypto')
const { tockerEnv } = await import('./harness.js')
const { startRegistry } = await import('../../helpers/registry.js')
const { pushLayoutRaw } = await import('../../helpers/fixtures.js')
const { api } = await import('../../helpers/engine-api.js')
const { buildTar } = await import('../../helpers/tar-builder.js')

const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex')
const work = mkdtempSync(join(tmpdir(), 'tocker-hostile-work-'))
const registry = await startRegistry()
const env = await tockerEnv('tocker-hostile-')
t.teardown(async () => {
  await env.cleanup()
  await registry.stop()
  rmSync(work, { recursive: true, force: true })
})
await env.startEngine()

const EVIL_LAYER = buildTar([
  { name: 'etc/', type: 'dir' },
  { name: 'etc/evil', data: 'x', pax: { size: '-1536' } },
  { name: 'etc/after', data: 'y' },
])

/** An OCI layout with one image whose single layer is `layer` (gzip'd); config/manifest overridable. */
function layout(name: string, layer: Buffer, edit: { config?: (c: any) => any } = {}): string {
  const dir = join(work, name)
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  const blob = (data: Buffer | string) => {
    const d = sha256(data)
    writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), data)
    return { digest: d, size: Buffer.byteLength(data) }
  }
  const gz = gzipSync(layer)
  const l = blob(gz)
  let config: any = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }
  if (edit.config) config = edit.config(config)
  const c = blob(JSON.stringify(config))
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l }],
  }
  const m = blob(JSON.stringify(manifest))
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, ...m }] }))
  return dir
}

/** A docker-archive (docker save) tarball with one image; its manifest.json can be replaced. */
function dockerArchive(layer: Buffer, manifestJson?: string | Buffer): Buffer {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } })
  const manifest = manifestJson ?? JSON.stringify([{ Config: 'config.json', RepoTags: ['hostile/archive:1'], Layers: ['layer.tar'] }])
  return buildTar([
    { name: 'config.json', data: config },
    { name: 'layer.tar', data: layer },
    { name: 'manifest.json', data: manifest },
  ])
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/**
 * Run a CLI command against the engine with a deadline, watching the engine: past `maxRssMiB` or
 * when it no longer answers _ping afterwards, it is killed (SIGKILL, by PID) and restarted, and the
 * outcome says so. This is what keeps the test bounded on code that loops.
 */
async function guarded(args: string[], opts: { timeoutMs?: number; maxRssMiB?: number } = {}) {
  const pid = env.engine!.pid!
  const base = rssMiB(pid)
  let peak = base
  let killed = ''
  const watch = setInterval(() => {
    const rss = rssMiB(pid)
    peak = Math.max(peak, rss)
    if (!killed && rss - base > (opts.maxRssMiB ?? 300)) {
      killed = `engine RSS grew by ${(rss - base).toFixed(0)} MiB`
      process.kill(pid, 'SIGKILL')
    }
  }, 100)
  const started = Date.now()
  const r = await env.tocker(args, { timeoutMs: opts.timeoutMs ?? 20_000 })
  clearInterval(watch)
  const ms = Date.now() - started
  if (!killed) {
    const ping = await api(env.socket, 'GET', '/_ping', { timeoutMs: 3000 }).catch((e: Error) => e)
    if (ping instanceof Error || ping.status !== 200) {
      killed = 'engine stopped answering _ping'
      process.kill(pid, 'SIGKILL')
    }
  }
  if (killed) {
    await new Promise((res) => (env.engine!.exitCode !== null || env.engine!.signalCode !== null ? res(null) : env.engine!.once('exit', res)))
    env.engine = undefined
    await env.startEngine()
  }
  return { ...r, ms, killed, peakGrowth: peak - base }
}

function storeIsEmpty(t: Test): void {
  const layers = join(env.root, 'layers')
  const left = existsSync(layers) ? readdirSync(layers).filter((d) => d !== 'l') : []
  t.same(left, [], 'no layer left in the store')
}

t.test('pull: a layer with PAX size=-1536 is refused at once, naming the entry', async (t) => {
  await pushLayoutRaw(registry.addr, layout('pax', EVIL_LAYER), 'hostile/pax:1')
  const r = await guarded(['pull', `${registry.addr}/hostile/pax:1`])
  t.equal(r.killed, '', 'the engine did not have to be killed')
  t.not(r.code, 0, 'pull fails')
  t.match(r.stderr, /invalid tar entry "etc\/evil" at byte \d+: PAX record size="-1536" is not a non-negative decimal integer/, 'naming the entry')
  t.ok(r.ms < 15_000, `in ${r.ms} ms`)
  t.ok(r.peakGrowth < 150, `engine RSS grew by ${r.peakGrowth.toFixed(0)} MiB at most`)
  storeIsEmpty(t)
  t.equal((await env.tocker(['images', '-q'])).stdout, '', 'no image')
})

t.test('load -i: the same layer in a docker-archive is refused the same way', async (t) => {
  const file = join(work, 'pax.tar')
  writeFileSync(file, dockerArchive(EVIL_LAYER))
  const r = await guarded(['load', '-i', file])
  t.equal(r.killed, '', 'the engine did not have to be killed')
  t.not(r.code, 0)
  t.match(r.stderr, /invalid tar entry "etc\/evil" at byte \d+: PAX record size="-1536"/)
  storeIsEmpty(t)
})

t.test('load -i: archive documents are size-capped and checked field by field', async (t) => {
  const layer = buildTar([{ name: 'ok', data: 'fine' }])
  const cases: [string, string | Buffer, RegExp][] = [
    ['manifest.json past 4 MiB', Buffer.alloc((4 << 20) + 1, 0x20), /file "manifest\.json" is too large \(4194305 bytes, at most 4194304\)/],
    ['manifest.json not a list', JSON.stringify({ Config: 'config.json' }), /invalid archive: manifest\.json: must be array/],
    ['Layers not a list', JSON.stringify([{ Config: 'config.json', Layers: 'layer.tar' }]), /manifest\.json: \[0\]\.Layers must be array/],
    ['RepoTags of numbers', JSON.stringify([{ Config: 'config.json', RepoTags: [1], Layers: ['layer.tar'] }]), /manifest\.json: \[0\]\.RepoTags\[0\] must be string/],
    ['no Config', JSON.stringify([{ Layers: ['layer.tar'] }]), /manifest\.json: \[0\] must have required property 'Config'/],
  ]
  for (const [what, manifest, message] of cases) {
    const file = join(work, 'doc.tar')
    writeFileSync(file, dockerArchive(layer, manifest))
    const r = await guarded(['load', '-i', file])
    t.equal(r.killed, '', `${what}: the engine kept answering`)
    t.not(r.code, 0, `${what}: refused`)
    t.match(r.stderr, message, `${what}: ${r.stderr.trim().split('\n')[0]}`)
  }
  storeIsEmpty(t)
})

t.test('pull: a config with the wrong shapes is refused naming the field', async (t) => {
  const layer = buildTar([{ name: 'ok', data: 'fine' }])
  const cases: [string, (c: any) => any, RegExp][] = [
    ['diff_ids not digests', (c) => ({ ...c, rootfs: { type: 'layers', diff_ids: ['../../etc/passwd'] } }), /invalid image config sha256:[0-9a-f]{64}: rootfs\.diff_ids\[0\] must match pattern/],
    ['Env a string', (c) => ({ ...c, config: { Env: 'PATH=/bin' } }), /config\.Env must be array or null/],
    ['Cmd of objects', (c) => ({ ...c, config: { Cmd: [{}] } }), /config\.Cmd\[0\] must be string/],
  ]
  let n = 0
  for (const [what, edit, message] of cases) {
    const repo = `hostile/config${n++}:1`
    await pushLayoutRaw(registry.addr, layout(`config${n}`, layer, { config: edit }), repo)
    const r = await guarded(['pull', `${registry.addr}/${repo}`])
    t.not(r.code, 0, `${what}: refused`)
    t.match(r.stderr, message, `${what}: ${r.stderr.trim().split('\n')[0]}`)
  }
  storeIsEmpty(t)
})
