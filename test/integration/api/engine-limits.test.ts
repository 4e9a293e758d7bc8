// The API limits through a real engine process (`tocker daemon`): a 600 MB body is refused at once
// without the engine buffering it, a malformed path escape is a 400 with no unhandled rejection,
// and the engine keeps answering. Bounded: every request has a deadline, and the engine is killed
// by PID at the end whatever happened (before the fix it hung with the body in memory).
// Runs in a private network namespace (the engine stays there).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { request } = await import('node:http')
const { readFileSync } = await import('node:fs')
const { tockerEnv } = await import('../engine/harness.js')

const env = await tockerEnv('tocker-api-engine-')
t.teardown(() => env.cleanup())
await env.startEngine()
let engineStderr = ''
env.engine!.stderr!.on('data', (d) => (engineStderr += d))

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

interface Reply {
  status: number
  body: string
}

function get(path: string, deadlineMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: env.socket, path, headers: { Host: 'x' }, timeout: deadlineMs }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${path} within ${deadlineMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

t.test('a 600 MB body is refused fast, without the engine holding it', async (t) => {
  const pid = env.engine!.pid!
  const before = rssMiB(pid)
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50)
  const size = 600 * 1024 * 1024
  const started = Date.now()
  const reply = await new Promise<Reply & { sent: number }>((resolve, reject) => {
    let sent = 0
    const req = request({ socketPath: env.socket, method: 'POST', path: '/v1.43/containers/create', headers: { 'Content-Type': 'application/json', 'Content-Length': String(size) } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode!, body, sent })
      })
    })
    // The old engine read it all and never answered: give up after 20 s.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer after sending ${(sent / 1048576).toFixed(0)} MiB in 20 s`)), 20_000)
    req.on('close', () => clearTimeout(deadline))
    req.on('error', (e) => (['EPIPE', 'ECONNRESET'].includes((e as NodeJS.ErrnoException).code ?? '') ? undefined : reject(e)))
    const chunk = Buffer.alloc(1 << 20, 0x20)
    const pump = () => {
      while (sent < size && !req.destroyed) {
        sent += chunk.length
        if (!req.write(chunk)) return req.once('drain', pump)
      }
      if (sent >= size) req.end()
    }
    pump()
  }).finally(() => clearInterval(sampler))
  t.equal(reply.status, 413, '413')
  t.match(JSON.parse(reply.body), { message: /request body too large/ }, 'with a Docker-style {"message"}')
  t.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`)
  t.ok(peak - before < 64, `engine RSS grew by ${(peak - before).toFixed(0)} MiB at most (${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB)`)
  t.equal((await get('/_ping')).status, 200, 'the engine still answers')
})

t.test('a malformed escape in the path is a 400 and nothing goes unhandled', async (t) => {
  const r = await get('/v1.43/containers/%E0%A4%A/json')
  t.equal(r.status, 400)
  t.match(JSON.parse(r.body), { message: /invalid URL path/ })
  t.equal((await get('/_ping')).status, 200, 'the engine still answers')
  t.notMatch(engineStderr, /unhandled rejection|URIError/, 'no unhandled rejection in the engine log')
})
