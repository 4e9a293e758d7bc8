// What a pull stopped half-way leaves in the store's tmp/ (a partly unpacked layer) does not stay:
// the engine pulls (POST /images/create), so a client that goes away ends the pull and the engine
// takes its work back at once; an engine killed during a pull leaves a dead session that the next
// engine removes when it starts, as the README says. A pull still going on is never touched. The
// registry is reached through a proxy that can hold a layer's body half-sent, so the pull is
// caught midway.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn } = await import('node:child_process')
const { existsSync, mkdtempSync, readdirSync, rmSync, statSync } = await import('node:fs')
const { request } = await import('node:http')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed, until, TOCKER_BIN } = await import('./harness.js')
const { startProxy } = await import('../../helpers/http-proxy.js')
const { push } = await import('../../helpers/registry.js')
const { noise, writeImageLayout } = await import('../../helpers/tiny-images.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const registryAddr = ref('busybox').split('/')[0]
const tmp = join(env.root, 'tmp')

// An image with one 6 MB layer (incompressible), pulled through a proxy that holds the layer's
// body after its first half until release().
const layoutDir = mkdtempSync(join(tmpdir(), 'tocker-test-pull-garbage-'))
const big = await writeImageLayout(layoutDir, { layers: [[{ path: 'big', content: noise(6 << 20, 'pull-garbage') }]] })
await push(layoutDir, `${registryAddr}/lab/big:latest`)
rmSync(layoutDir, { recursive: true })
const layerDigests = new Set(big.images[0].layerDigests)
let holding = true
const held: (() => void)[] = []
const release = () => {
  holding = false
  for (const r of held.splice(0)) r()
}
const proxy = await startProxy(registryAddr, {
  handle: (req, res) => {
    const digest = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '')?.[1]
    if (req.method !== 'GET' || !digest || !layerDigests.has(digest) || !holding) return false
    const [host, port] = registryAddr.split(':')
    request({ host, port: Number(port), path: req.url, headers: { ...req.headers, host: registryAddr } }, (up) => {
      const chunks: Buffer[] = []
      up.on('data', (c: Buffer) => chunks.push(c))
      up.on('end', () => {
        const body = Buffer.concat(chunks)
        res.writeHead(up.statusCode ?? 502, { 'content-type': 'application/octet-stream', 'content-length': body.length })
        res.write(body.subarray(0, body.length >> 1))
        held.push(() => res.end(body.subarray(body.length >> 1)))
      })
    }).end()
    return true
  },
})
t.teardown(async () => {
  release()
  await proxy.stop()
  await cleanup()
})
const BIG = `${proxy.addr}/lab/big`
await env.ok(['pull', ref('busybox')])

/** tmp/'s session directories, and the bytes under each. */
function sessions(): Map<string, number> {
  const out = new Map<string, number>()
  if (!existsSync(tmp)) return out
  const du = (p: string): number => {
    const st = statSync(p, { throwIfNoEntry: false })
    if (!st) return 0
    return st.isDirectory() ? readdirSync(p).reduce((n, e) => n + du(join(p, e)), 0) : st.size
  }
  for (const name of readdirSync(tmp)) if (/^\d+-[0-9a-f]{8}$/.test(name)) out.set(name, du(join(tmp, name)))
  return out
}

/** A `tocker pull` in the background, and a way to wait until its layers are half unpacked. */
function pullInBackground() {
  const child = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'pull', BIG], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? 137)))
  return { child, exited, output: () => out }
}
const unpackedBytes = () => [...sessions().values()].reduce((a, b) => a + b, 0)

/** A pull caught half-way, then its client (`tocker pull`) or the engine doing it killed. */
async function killedPull(kill: 'client' | 'engine'): Promise<string[]> {
  holding = true
  const pull = pullInBackground()
  await until(() => held.length > 0 && unpackedBytes() > 1_000_000, 'a layer half unpacked in tmp/', 30_000)
  const dead = [...sessions().keys()]
  t.comment(`${unpackedBytes()} bytes in tmp/ (${dead.join(', ')}) when the ${kill} is killed`)
  if (kill === 'client') pull.child.kill('SIGKILL')
  else await env.stopEngine('SIGKILL')
  await pull.exited
  release()
  return dead
}
const left = (dead: string[]) => [...sessions().keys()].filter((s) => dead.includes(s))

/** The real docker CLI against our engine: `images` is GET /images/json. */
function dockerImages(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['-H', `unix://${env.socket}`, 'images'], { stdio: 'ignore', env: { ...process.env, DOCKER_CONFIG: join(env.root, '.docker') } })
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? 1))
  })
}

t.test('a client that goes away half-way: the engine stops the pull and takes its work back', async (t) => {
  await killedPull('client')
  await until(() => unpackedBytes() < 100_000, 'the half-unpacked layer taken back', 20_000)
  t.equal(await dockerImages(), 0)
  t.notMatch(await env.ok(['images', '--format', '{{.Repository}}']), /lab\/big/, 'no image of it')
})

t.test('an engine killed half-way through a pull: the next engine removes what it left when it starts', async (t) => {
  const dead = await killedPull('engine')
  t.ok(dead.length > 0 && dead.every((s) => existsSync(join(tmp, s))), 'the garbage is there after the kill')
  await env.startEngine()
  t.same(left(dead), [], 'gone once the engine has started')
  await env.ok(['run', '--rm', ref('busybox'), 'true'])
})

t.test('images and run while a pull is under way leave its work alone; the pull completes', async (t) => {
  holding = true
  const pull = pullInBackground()
  await until(() => held.length > 0 && unpackedBytes() > 1_000_000, 'a layer half unpacked in tmp/', 30_000)
  const before = unpackedBytes()
  await env.ok(['images'])
  await env.ok(['run', '--rm', ref('busybox'), 'true'])
  t.ok(unpackedBytes() >= before, "the pull's work is still there")
  release()
  t.equal(await pull.exited, 0, pull.output())
  t.match(pull.output(), /Status: Downloaded newer image/)
  t.match(await env.ok(['images', '--format', '{{.Repository}}']), /lab\/big/)
})

t.test('cleanup', async () => {
  release()
  await proxy.stop()
  await cleanup()
})
