#!/usr/bin/env node
// The pull benchmark (issues 2 and 9): how fast does `tocker pull` get an image from a registry into
// a store ready for overlayfs, next to the reference tools, in one run on the same machine?
//
//   node test/bench/pull.mjs [runs=5] [--tocker PATH]
//
// Image: `bench` (test/bench/fixtures.mjs), 2 layers, ~167 MB uncompressed / ~62 MB gzipped, from
// real files; `bench-sibling` shares its first layer. Both are pushed with skopeo to Debian's
// docker-registry, started here on 127.0.0.1 with its storage in a temp dir.
//
// Each run, into fresh directories, times:
//   tocker           bin/tocker --root TMP pull ADDR/bench:latest: the CLI asks the store's engine
//                    (POST /images/create) and prints its progress stream (the engine is started
//                    before the clock, as a running engine is the normal case)
//   tocker direct    the pull library in a process of its own, as `tocker pull` worked before the
//                    engine owned the images (download + verify + unpack, no API): "before"
//   podman           podman pull (its own store under TMP; vfs or overlay as podman chooses)
//   skopeo+umoci     skopeo copy docker://ADDR/bench:latest oci:DIR:bench; umoci unpack --image DIR:bench BUNDLE
//   floor            curl of the manifest, config and each layer piped into tar -xz, layers in parallel
//                    (no digest check, no atomic rename: the least work that gets the files on disk)
// and then the second pull, of bench-sibling into the same store (tocker: the shared layer
// "Already exists"; skopeo: the blob is in the layout already, but umoci unpacks every layer again
// into a new bundle; floor: only the new layer).
// Prints medians with [min-max] and the ratios to tocker.
//
// Runs in private network and mount namespaces (the engines and the registry stay there); on a
// hybrid cgroup host, /sys/fs/cgroup is the controller-less cgroup2 hierarchy inside (podman refuses
// hybrid mode), as test/bench/start.mjs does. Nothing of it is visible outside.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchFixture } from './fixtures.mjs'

const CGROUP2_MAGIC = 0x63677270
if (!process.env.TOCKER_BENCH_WRAPPED) {
  const mountCgroup2 = statfsSync('/sys/fs/cgroup').type !== CGROUP2_MAGIC ? 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && ' : ''
  const child = spawn(
    'unshare',
    ['--net', '--mount', '--propagation', 'private', 'sh', '-c', `ip link set lo up && ${mountCgroup2}exec "$@"`, 'sh', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, TOCKER_BENCH_WRAPPED: '1' } },
  )
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
  await new Promise(() => {})
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const argv = process.argv.slice(2)
const tockerIdx = argv.indexOf('--tocker')
const TOCKER = tockerIdx >= 0 ? argv.splice(tockerIdx, 2)[1] : join(repoRoot, 'bin', 'tocker')
const RUNS = Number(argv[0] ?? 5)

const work = mkdtempSync(join(tmpdir(), 'tocker-bench-pull-'))
let registry
function cleanup() {
  if (registry?.pid && registry.exitCode === null) {
    try {
      process.kill(registry.pid, 'SIGTERM')
    } catch {}
  }
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

/** Runs a command; resolves with its output, rejects with its stderr on a non-zero exit. */
function sh(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${(err || out).trim().split('\n').slice(-15).join('\n')}`))))
  })
}

async function timed(fn) {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e9
}

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

async function startRegistry() {
  const port = await freePort()
  const config = join(work, 'registry.yml')
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'registry')}\n` +
      `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(8).toString('hex')}\n`,
  )
  registry = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' })
  const addr = `127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://${addr}/v2/`)).ok) return addr
    } catch {}
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('docker-registry did not start')
}

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
async function manifestOf(addr, repo) {
  const res = await fetch(`http://${addr}/v2/${repo}/manifests/latest`, { headers: { accept: ACCEPT } })
  return res.json()
}

// ---- the three ways to pull ---------------------------------------------------------------------

/** The store's engine, started (and answering) before the clock starts. */
async function startEngine(root) {
  const engine = spawn(process.execPath, [TOCKER, '--root', root, 'daemon'], { stdio: 'ignore' })
  for (let i = 0; i < 400 && !existsSync(join(root, 'tocker.sock')); i++) await new Promise((r) => setTimeout(r, 25))
  await sh(TOCKER, ['--root', root, 'version'], { env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
  return engine
}

const tocker = {
  name: 'tocker',
  async setup() {
    const root = mkdtempSync(join(work, 'tocker-'))
    return { root, engine: await startEngine(root) }
  },
  async teardown(ctx) {
    const gone = new Promise((r) => ctx.engine.once('exit', r))
    ctx.engine.kill('SIGTERM')
    await gone
  },
  async pull(ctx, addr, repo) {
    const out = await sh(TOCKER, ['--root', ctx.root, 'pull', `${addr}/${repo}:latest`], { env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
    // A pull that printed no status did not pull: better no number than a wrong one.
    if (!/^Status: Downloaded newer image for /m.test(out)) throw new Error(`tocker pull printed no "Status: Downloaded newer image":\n${out}`)
    if (repo === 'bench-sibling' && !/: Already exists$/m.test(out)) throw new Error(`the second pull did not reuse the shared layer ("Already exists"):\n${out}`)
  },
}

// `tocker pull` before the engine owned the images: the CLI process ran the pull library itself.
const DIRECT = `
const [{ pullImage }, { ImageStore }, { parseReference }] = await Promise.all([
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/pull.js'))}),
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/store.js'))}),
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/reference.js'))}),
])
const lines = []
const r = await pullImage(parseReference(process.argv[1]), { store: new ImageStore(process.argv[2]), onEvent: (e) => lines.push(e.kind === 'layer' ? e.id + ': ' + e.status : e.id) })
process.stdout.write(lines.join('\\n') + '\\nStatus: ' + (r.downloaded ? 'Downloaded newer image for ' : 'Image is up to date for ') + process.argv[1] + '\\n')
`
const tockerDirect = {
  name: 'tocker direct',
  async setup() {
    return { root: mkdtempSync(join(work, 'direct-')) }
  },
  async pull(ctx, addr, repo) {
    const out = await sh(process.execPath, ['--input-type=module', '-e', DIRECT, `${addr}/${repo}:latest`, ctx.root])
    if (!/^Status: Downloaded newer image for /m.test(out)) throw new Error(`the direct pull printed no "Status: Downloaded newer image":\n${out}`)
  },
}

const podman = {
  name: 'podman',
  async setup() {
    const dir = mkdtempSync(join(work, 'podman-'))
    return { dir, args: ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'] }
  },
  async teardown(ctx) {
    // podman's store may hold overlay mounts: let podman itself take them down.
    await sh('podman', [...ctx.args, 'system', 'reset', '--force']).catch(() => {})
  },
  async pull(ctx, addr, repo) {
    await sh('podman', [...ctx.args, 'pull', '--quiet', '--tls-verify=false', `${addr}/${repo}:latest`])
  },
}

const skopeoUmoci = {
  name: 'skopeo+umoci',
  async setup() {
    return { dir: mkdtempSync(join(work, 'skopeo-')) }
  },
  async pull(ctx, addr, repo) {
    await sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${addr}/${repo}:latest`, `oci:${ctx.dir}/layout:${repo}`])
    await sh('umoci', ['unpack', '--image', `${ctx.dir}/layout:${repo}`, `${ctx.dir}/bundle-${repo}`])
  },
}

const floor = {
  name: 'curl+tar (floor)',
  async setup() {
    return { dir: mkdtempSync(join(work, 'floor-')), have: new Set() }
  },
  async pull(ctx, addr, repo) {
    const base = `http://${addr}/v2/${repo}`
    // The manifest and config are fetched as a client must; then each new layer streams into tar.
    const script = [
      `curl -sfS -H 'Accept: ${ACCEPT}' ${base}/manifests/latest > "$D/manifest-${repo}.json"`,
      `curl -sfS ${base}/blobs/${ctx.manifests[repo].config.digest} > "$D/config-${repo}.json"`,
      ...ctx.manifests[repo].layers
        .filter((l) => !ctx.have.has(l.digest))
        .map((l) => `(mkdir -p "$D/${l.digest.slice(7)}" && curl -sfS ${base}/blobs/${l.digest} | tar -xzf - -C "$D/${l.digest.slice(7)}") &`),
      'wait',
    ].join('\n')
    await sh('sh', ['-ec', script], { env: { ...process.env, D: ctx.dir } })
    for (const l of ctx.manifests[repo].layers) ctx.have.add(l.digest)
  },
}

// ---- main ---------------------------------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
const fmt = (xs) => (xs.length ? `${median(xs).toFixed(2)} s [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]` : 'n/a')
// Ratio of medians, and of the fastest runs (the steadier figure on a busy machine).
const ratio = (a, b) => (a.length && b.length ? `${(median(a) / median(b)).toFixed(2)}x (min ${(Math.min(...a) / Math.min(...b)).toFixed(2)}x)` : 'n/a')

process.stderr.write('building the bench images (cached after the first time)...\n')
const layouts = { bench: await benchFixture('bench'), 'bench-sibling': await benchFixture('bench-sibling') }
const addr = await startRegistry()
for (const [repo, layout] of Object.entries(layouts)) {
  await sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${addr}/${repo}:latest`])
}
const manifests = { bench: await manifestOf(addr, 'bench'), 'bench-sibling': await manifestOf(addr, 'bench-sibling') }
const config = await (await fetch(`http://${addr}/v2/bench/blobs/${manifests.bench.config.digest}`)).json()
const compressed = manifests.bench.layers.reduce((n, l) => n + l.size, 0)
const uncompressed = Number((await sh('sh', ['-c', `for f in ${manifests.bench.layers.map((l) => join(layouts.bench, 'blobs/sha256', l.digest.slice(7))).join(' ')}; do gzip -dc "$f"; done | wc -c`])).trim())

const haveCommand = async (c) => sh('sh', ['-c', `command -v ${c}`]).then(() => true, () => false)
const methods = [tocker, tockerDirect, ...((await haveCommand('podman')) ? [podman] : []), skopeoUmoci, floor]
const results = Object.fromEntries(methods.map((m) => [m.name, { first: [], second: [], error: undefined }]))
for (let run = 1; run <= RUNS; run++) {
  for (const m of methods) {
    const r = results[m.name]
    if (r.error) continue
    const ctx = { ...(await m.setup()), manifests }
    try {
      r.first.push(await timed(() => m.pull(ctx, addr, 'bench')))
      r.second.push(await timed(() => m.pull(ctx, addr, 'bench-sibling')))
    } catch (err) {
      r.error = err.message
      r.first.length = r.second.length = 0
    } finally {
      await m.teardown?.(ctx)
      rmSync(ctx.root ?? ctx.dir, { recursive: true, force: true })
    }
  }
  process.stderr.write(`run ${run}/${RUNS} done\n`)
}

const T = results.tocker
console.log(`\npull of a 2-layer image from docker-registry on 127.0.0.1: ${(uncompressed / 1e6).toFixed(0)} MB uncompressed, ${(compressed / 1e6).toFixed(1)} MB gzipped (${config.rootfs.diff_ids.length} layers); median [min-max] of ${RUNS} runs, fresh store each run; ${(await sh('nproc', [])).trim()} cores, load average ${(await sh('cat', ['/proc/loadavg'])).split(' ')[0]}`)
const others = methods.slice(1).map((m) => m.name)
const rows = [
  ['', ...methods.map((m) => m.name), ...others.map((n) => `tocker/${n}`)],
  ['first pull', ...methods.map((m) => fmt(results[m.name].first)), ...others.map((n) => ratio(T.first, results[n].first))],
  ['second pull (base layer shared)', ...methods.map((m) => fmt(results[m.name].second)), ...others.map((n) => ratio(T.second, results[n].second))],
]
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd())
for (const [name, r] of Object.entries(results)) if (r.error) console.log(`\n${name} failed: ${r.error}`)
// exit() runs cleanup(): the registry child would otherwise keep the event loop alive.
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0)
