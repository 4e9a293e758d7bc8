// The API client's whole requests on libuv's pipe handle (src/api/unix-pipe.ts, pipe-request.ts),
// checked in fresh Node processes running the compiled client (dist/src, npm run build) against a
// node:http server on a unix socket: a JSON request loads neither node:net nor node:stream (what
// the handle is for), a body larger than the socket's buffer goes out whole, the same errors as
// node:net's, and under --pending-deprecation (process.binding warns then) node:net carries the
// request, silently. The HTTP itself is http1.test.ts's (its client tests go through the handle
// too). No root needed.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const CLIENT = pathToFileURL(join(repo, 'dist', 'src', 'api', 'client.js')).href
const dir = mkdtempSync(join(tmpdir(), 'tocker-pipe-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const sock = join(dir, 'api.sock')
const server: Server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    if (req.url === '/missing') {
      res.writeHead(404, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ message: 'No such container: x' }))
      return
    }
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({ method: req.method, url: req.url, bytes: Buffer.concat(chunks).length }))
  })
})
t.before(() => new Promise<void>((r) => server.listen(sock, r)))
t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))))

/** Run `body` (an async function's text, `client` in scope) in a fresh Node; its result and the built-ins that process loaded. */
function inChild(body: string, nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<{ result: any; loaded: string[]; stderr: string }> {
  const script = `import { EngineClient } from ${JSON.stringify(CLIENT)}
const client = new EngineClient(${JSON.stringify(sock)})
const result = await (async () => { ${body} })()
// Taken before process.stdout is touched: a pipe's stream is a net.Socket.
const loaded = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13))
process.stdout.write(JSON.stringify({ result, loaded }))`
  return new Promise((resolve, reject) => {
    // Through env -u: tap's process tracking puts its loaders in every child's NODE_OPTIONS, and
    // they load node:net themselves.
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, ...nodeArgs, '--input-type=module', '-e', script], { env: { ...process.env, ...env } })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err}`))
      resolve({ ...JSON.parse(out), stderr: err })
    })
  })
}

t.test('a JSON request and its answer without node:net or node:stream', async (t) => {
  const { result, loaded, stderr } = await inChild(`return await client.json('POST', '/echo', { query: { a: 1 }, body: { x: 'ü' } })`)
  t.same(result, { method: 'POST', url: '/echo?a=1', bytes: JSON.stringify({ x: 'ü' }).length + 1 })
  t.notOk(loaded.includes('net'), 'node:net not loaded')
  t.notOk(loaded.includes('stream'), 'node:stream not loaded')
  t.equal(stderr, '')
})

t.test('a body larger than the socket buffer goes out whole; Docker error bodies and no engine are the errors node:net gives', async (t) => {
  const { result } = await inChild(`
    const big = { data: 'x'.repeat(3 * 1024 * 1024) }
    const echoed = await client.json('POST', '/big', { body: big })
    const missing = await client.json('GET', '/missing').catch((e) => ({ message: e.message, code: e.code, status: e.status }))
    const none = await new EngineClient(${JSON.stringify(join(dir, 'none.sock'))}).json('GET', '/x').catch((e) => ({ message: e.message, code: e.code, syscall: e.syscall, address: e.address }))
    return { echoed, missing, none }`)
  t.same(result.echoed, { method: 'POST', url: '/big', bytes: 3 * 1024 * 1024 + 11 })
  t.same(result.missing, { message: 'No such container: x', code: 'ENOTFOUND', status: 404 })
  t.same(result.none, { message: `connect ENOENT ${join(dir, 'none.sock')}`, code: 'ENOENT', syscall: 'connect', address: join(dir, 'none.sock') })
})

t.test('preconnect(n, { whole: true }): whole requests go out on the pipe connections opened before, in order; no node:net', async (t) => {
  const accepted: unknown[] = []
  const path = join(dir, 'pre.sock')
  const pre = createServer((req, res) => res.end(JSON.stringify({ url: req.url, conn: accepted.indexOf(req.socket) })))
  pre.on('connection', (s) => accepted.push(s))
  await new Promise<void>((r) => pre.listen(path, r))
  t.teardown(() => new Promise<void>((r) => (pre.closeAllConnections(), pre.close(() => r()))))
  const { result, loaded } = await inChild(`
    const c = new EngineClient(${JSON.stringify(path)})
    await c.preconnect(2, { whole: true })
    // The server accepts in its own turn: both connections are in before any request.
    await new Promise((r) => setTimeout(r, 200))
    const a = await c.json('GET', '/a')
    const b = await c.json('GET', '/b')
    const d = await c.json('GET', '/c')
    return [a, b, d]`)
  t.same(result, [{ url: '/a', conn: 0 }, { url: '/b', conn: 1 }, { url: '/c', conn: 2 }], 'the first two on the spares, the third on a connection of its own')
  t.notOk(loaded.includes('net'), 'node:net not loaded')
})

t.test('--pending-deprecation (process.binding warns then): node:net carries the request, no warning', async (t) => {
  for (const [args, env] of [[['--pending-deprecation'], {}], [[], { NODE_PENDING_DEPRECATION: '1' }]] as const) {
    const { result, loaded, stderr } = await inChild(`return await client.json('GET', '/ok')`, [...args], env)
    t.same(result, { method: 'GET', url: '/ok', bytes: 0 }, JSON.stringify({ args, env }))
    t.ok(loaded.includes('net'), 'through node:net')
    t.equal(stderr, '', 'nothing on stderr')
  }
})
