// The API server against hostile and broken clients, without root: the real server (routes,
// router, body limits, schemas) on a unix socket in a temp dir, in front of a stand-in engine that
// records what reached it. Raw sockets send what well-behaved HTTP clients never would.
import { mkdtempSync, rmSync } from 'node:fs'
import { request, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { createApiServer } from '../../../src/api/server.js'
import { DEFAULT_MAX_CONNECTIONS } from '../../../src/api/router.js'
import { TockerError } from '../../../src/errors.js'
import type { Engine } from '../../../src/engine/engine.js'
import type { ClientConnection, OutputSink } from '../../../src/engine/streams.js'

const dir = mkdtempSync(join(tmpdir(), 'tocker-api-limits-'))
const sock = join(dir, 'api.sock')
const calls: { op: string; arg?: unknown }[] = []
let logsSink: OutputSink | undefined

const recording = {
  async create(body: unknown, name?: string) {
    calls.push({ op: 'create', arg: { body, name } })
    return { Id: 'c0ffee', Warnings: [] }
  },
  async execCreate(id: string, body: unknown) {
    calls.push({ op: 'execCreate', arg: { id, body } })
    return { Id: 'e1' }
  },
  async inspect(id: string) {
    calls.push({ op: 'inspect', arg: id })
    return { Id: id }
  },
  async list(q: unknown) {
    calls.push({ op: 'list', arg: q })
    return []
  },
  async logs(_id: string, _q: unknown, open: (tty: boolean) => OutputSink) {
    // A quiet container followed with -f: headers at once, then nothing for a long time.
    const sink = open(true)
    logsSink = sink
    await sink.closed
  },
  images: new Proxy(
    {
      // An image load reads its whole body (the archive) before answering.
      async load(req: import('node:http').IncomingMessage) {
        for await (const chunk of req) void chunk
        return []
      },
    },
    { get: (target, k) => (k in target ? (target as any)[k] : notFound()) },
  ),
  stepProbe() {
    // Synchronous in the engine (the server asks it once, when it is made): no --step probe here.
    return undefined
  },
  execTty(id: string): boolean {
    // Synchronous in the engine too.
    throw new TockerError(`No such exec instance: ${id}`, { code: 'ENOTFOUND', daemon: true })
  },
  async attachMode() {
    return 'raw'
  },
  async attach(_id: string, connect: () => ClientConnection) {
    // The engine opens the connection (the 101) once the stream's start is placed: at once here.
    const conn = connect()
    // Echo what the client types, for as long as the connection lives.
    conn.input!.on('data', (d: Buffer) => conn.write('stdout', d))
    await conn.closed
  },
}

/** Anything else the routes ask of the engine answers as a real engine does for a name it lacks. */
function notFound(): any {
  const fn = async () => {
    throw new TockerError('No such container or image', { code: 'ENOTFOUND', daemon: true })
  }
  return new Proxy(fn, { get: (target, k) => (k === 'then' ? undefined : k in target ? (target as any)[k] : notFound()) })
}
const engine = new Proxy(recording, { get: (target, k) => (k in target ? (target as any)[k] : notFound()) }) as unknown as Engine

// Short timeouts so the bounded tests stay short; the production values are checked separately.
const HEADERS_TIMEOUT = 600
let server: Server
t.before(async () => {
  server = createApiServer(engine, { headersTimeoutMs: HEADERS_TIMEOUT, checkIntervalMs: 100, bodyTimeoutMs: 800, streamIdleTimeoutMs: 800 })
  await new Promise<void>((r) => server.listen(sock, r))
})
t.teardown(() => {
  server.close()
  server.closeAllConnections()
  rmSync(dir, { recursive: true, force: true })
})

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: sock, agent: false, method, path, headers: { Host: 'x', ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers } },
      (res) => {
        let data = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (data += d))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Write raw bytes; resolve with everything the server sent until it closed (or `waitMs` passed). */
function raw(bytes: string | Buffer, waitMs = 3000): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now()
    const s = connect(sock)
    let text = ''
    let settled = false
    const finish = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      s.destroy()
      resolve({ text, closed, ms: Date.now() - started })
    }
    const timer = setTimeout(() => finish(false), waitMs)
    s.on('data', (d) => (text += d.toString('latin1')))
    s.on('end', () => finish(true))
    s.on('close', () => finish(true))
    s.on('error', () => finish(true))
    s.write(bytes)
  })
}

/** Poll `fn` until it returns something other than undefined, within `ms`. */
async function until<T>(fn: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const unhandled: unknown[] = []
process.on('unhandledRejection', (e) => unhandled.push(e))

t.test('a malformed percent-escape in the path is a 400, never an unhandled rejection', async (t) => {
  for (const p of ['/containers/%E0%A4%A/json', '/v1.43/containers/%E0%A4%A/json', '/containers/%FF/json', '/containers/%/json', '/containers/%zz/json']) {
    const r = await send('GET', p)
    t.equal(r.status, 400, `${p}: 400`)
    t.match(JSON.parse(r.body), { message: /invalid URL path/ }, `${p}: Docker-style {"message"}`)
  }
  const ok = await send('GET', '/containers/%E0%A4%A4/json') // a valid escape (U+0924) still works
  t.equal(ok.status, 200)
  t.same(calls.at(-1), { op: 'inspect', arg: '\u0924' })
  await new Promise((r) => setTimeout(r, 50))
  t.same(unhandled, [], 'no unhandled rejection')
})

t.test('bodies over the route limit get 413 before the engine sees them, without being buffered', async (t) => {
  const before = calls.length
  // 600 MB announced and streamed: the answer must come at once, long before 600 MB could be sent.
  const size = 600 * 1024 * 1024
  const started = Date.now()
  const reply = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
    let sent = 0
    const req = request({ socketPath: sock, agent: false, method: 'POST', path: '/containers/create', headers: { 'Content-Type': 'application/json', 'Content-Length': String(size) } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode!, body, sent })
      })
    })
    req.on('error', (e) => (e.message.includes('EPIPE') || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)))
    const chunk = Buffer.alloc(1 << 20, 0x20)
    const pump = () => {
      while (sent < size && !req.destroyed) {
        sent += chunk.length
        if (!req.write(chunk)) return req.once('drain', pump)
      }
    }
    pump()
  })
  t.equal(reply.status, 413, '413 Payload Too Large')
  t.match(JSON.parse(reply.body), { message: /request body too large for POST \/containers\/create: 629145600 bytes, at most 4194304 bytes/ })
  t.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`)
  t.ok(reply.sent < 200 * 1024 * 1024, `the client got its answer after sending ${(reply.sent / 1048576).toFixed(0)} MiB, not 600`)

  // Chunked: no Content-Length to refuse up front; refused when the limit is passed.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath: sock, agent: false, method: 'POST', path: '/containers/abc/exec', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume()
      res.on('end', () => {
        req.destroy()
        resolve(res.statusCode!)
      })
    })
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)))
    let n = 0
    const pump = () => {
      while (n++ < 64 && !req.destroyed) if (!req.write(Buffer.alloc(64 * 1024, 0x20))) return req.once('drain', pump)
    }
    pump()
  })
  t.equal(chunked, 413, 'a chunked body past the 1 MiB default: 413')
  t.equal(calls.length, before, 'the engine was never called')
  const ping = await send('GET', '/_ping')
  t.equal(ping.status, 200, 'the server still answers')
})

t.test('request bodies are checked against the route schema, naming the field', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['Memory as a string', { Image: 'busybox', HostConfig: { Memory: 'lots' } }, /^json: cannot unmarshal string into Go struct field CreateRequest\.HostConfig\.Memory of type int64$/],
    ['a fractional CPU share', { Image: 'busybox', HostConfig: { CpuShares: 1.5 } }, /cannot unmarshal number 1\.5 into Go struct field CreateRequest\.HostConfig\.CpuShares of type int64/],
    ['Cmd as a string', { Image: 'busybox', Cmd: 'ls -l' }, /cannot unmarshal string into Go struct field CreateRequest\.Cmd of type \[\]string/],
    ['an Env entry that is a number', { Image: 'busybox', Env: ['A=1', 2] }, /cannot unmarshal number into Go struct field CreateRequest\.Env of type string/],
    ['a Label value that is an object', { Image: 'busybox', Labels: { a: {} } }, /cannot unmarshal object into Go struct field CreateRequest\.Labels\.a of type string/],
    ['PortBindings of the wrong shape', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 8080 }] } } }, /HostConfig\.PortBindings\.80\/tcp\.HostPort of type string/],
    ['a body that is a list', [1, 2], /cannot unmarshal array into Go value of type container.CreateRequest$/],
    ['a body that is a string', 'busybox', /cannot unmarshal string into Go value/],
  ]
  const before = calls.length
  for (const [what, body, message] of cases) {
    const r = await send('POST', '/containers/create', JSON.stringify(body))
    t.equal(r.status, 400, `${what}: 400`)
    t.match(JSON.parse(r.body).message, message, `${what}: names the field`)
  }
  const bad = await send('POST', '/containers/create', '{"Image": "busybox",')
  t.equal(bad.status, 400, 'broken JSON: 400')
  t.match(JSON.parse(bad.body).message, /^invalid JSON in the request body/)
  const exec = await send('POST', '/containers/x/exec', JSON.stringify({ Cmd: ['sh'], Tty: 'yes' }))
  t.equal(exec.status, 400)
  t.match(JSON.parse(exec.body).message, /Go struct field ExecConfig\.Tty of type bool/)
  t.equal(calls.length, before, 'no invalid body reached the engine')

  // What docker's own CLI sends (nulls and zero values everywhere, fields tocker does not know).
  // dprint-ignore: a table, laid out by hand
  const dockerCli = {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
    Env: null, Cmd: ['true'], Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {}, StopTimeout: null,
    HostConfig: {
      Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: true, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [40, 120], CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [],
      ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false,
      SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0,
      BlkioWeightDevice: [], Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null,
      OomKillDisable: null, PidsLimit: null, Ulimits: null, MaskedPaths: null, ReadonlyPaths: null, Init: null,
    },
    NetworkingConfig: { EndpointsConfig: {} },
    Platform: null,
  }
  const ok = await send('POST', '/containers/create?name=web', JSON.stringify(dockerCli))
  t.equal(ok.status, 201, "docker CLI's body is accepted")
  const got = calls.at(-1)!.arg as { body: Record<string, any>; name: string }
  t.equal(got.name, 'web')
  t.same(got.body.Cmd, ['true'])
  t.equal(got.body.StopTimeout, null, 'a pointer field keeps its null')
  t.equal(got.body.HostConfig.PidsLimit, null)
  t.notOk('Cgroup' in got.body.HostConfig && got.body.HostConfig.Cgroup !== '', 'unknown fields pass through untouched')
  t.equal(got.body.Platform, null, 'unknown null fields pass through')
  const nulls = await send('POST', '/containers/create', JSON.stringify({ Image: 'busybox', Hostname: null, HostConfig: { Memory: null, NetworkMode: null } }))
  t.equal(nulls.status, 201, 'null for a plain field is accepted (Go leaves the zero value)')
  const b = (calls.at(-1)!.arg as { body: Record<string, any> }).body
  t.notOk('Hostname' in b, 'and removed, so the engine sees it as absent')
  t.same(b.HostConfig, {}, 'also inside HostConfig')
})

t.test('a body sent too slowly gets 408, headers too slow are dropped', async (t) => {
  const slowBody = await raw('POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Ima')
  t.match(slowBody.text, /^HTTP\/1\.1 408 /, 'body not complete within the time limit: 408')
  t.ok(slowBody.closed, 'and the connection is closed')
  // Slowloris: a request line and a few headers, then nothing.
  const slow = await raw('GET /_ping HTTP/1.1\r\nHost: x\r\nX-a: 1\r\n', 5000)
  t.ok(slow.closed, 'a client that never finishes its headers is dropped')
  t.ok(slow.ms < HEADERS_TIMEOUT + 1500, `after ${slow.ms} ms (headers timeout ${HEADERS_TIMEOUT} ms)`)
  const idle = await raw('', 5000)
  t.ok(idle.closed, 'so is a connection that never sends anything')
  // A streamed upload (image load) has no overall limit, but a sender that stops mid-body is dropped.
  const stalled = await raw('POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000), 5000)
  t.ok(stalled.closed && stalled.ms < 3000, `a stalled image upload is dropped after ${stalled.ms} ms of silence`)
})

t.test('malformed HTTP and header floods are answered and dropped', async (t) => {
  const flood = await raw(`GET /_ping HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-Flood-${i}: ${'a'.repeat(40)}`).join('\r\n')}\r\n\r\n`)
  t.match(flood.text, /^HTTP\/1\.1 431 /, '20 KiB of headers: 431')
  t.ok(flood.closed)
  const garbage = await raw('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n')
  t.match(garbage.text, /^HTTP\/1\.1 400 /, 'a TLS hello / garbage: 400')
  const badLength = await raw('POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n')
  t.match(badLength.text, /^HTTP\/1\.1 400 /, 'a negative Content-Length: 400')
  const twoLengths = await raw('POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x')
  t.match(twoLengths.text, /^HTTP\/1\.1 400 /, 'two Content-Length headers (request smuggling): 400')
  const upgradeHuge = await raw('POST /exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 629145600\r\n\r\n{')
  t.match(upgradeHuge.text, /^HTTP\/1\.1 413 /, 'an upgrade request announcing 600 MB: 413, nothing read')
  const filters = await send('GET', '/containers/json?filters=%7Bnot-json')
  t.equal(filters.status, 400, 'filters that are not JSON: 400, not 500')
  t.match(JSON.parse(filters.body).message, /invalid filters parameter/)
  const ping = await send('GET', '/_ping')
  t.equal(ping.status, 200, 'the server still answers')
})

t.test('long-lived responses are never cut by the timeouts (logs -f, attach)', async (t) => {
  // Idle for many times every timeout of the server, then the stream must still deliver.
  const quiet = HEADERS_TIMEOUT * 6
  const logs = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: sock, agent: false, path: '/containers/x/logs?follow=1&stdout=1' }, (res) => {
      let data = ''
      res.on('data', (d) => (data += d))
      res.on('end', () => resolve(data))
      setTimeout(() => {
        logsSink!.write('stdout', Buffer.from('still here\n'))
        setTimeout(() => logsSink!.end(), 50)
      }, quiet)
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(logs, 'still here\n', `logs -f delivered after ${quiet} ms of silence`)

  const attached = await new Promise<string>((resolve, reject) => {
    const s: Socket = connect(sock)
    let data = ''
    s.on('data', (d) => {
      data += d.toString()
      if (data.includes('\r\n\r\n') && !data.includes('typed late')) setTimeout(() => s.write('typed late'), quiet)
      if (data.includes('typed late')) {
        s.destroy()
        resolve(data)
      }
    })
    s.on('error', reject)
    s.write('POST /containers/x/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')
  })
  t.match(attached, /^HTTP\/1\.1 101 UPGRADED/)
  t.match(attached, /typed late$/, `attach still echoes after ${quiet} ms of silence`)
})

t.test('connections are capped: hundreds of half-sent requests cannot hold the engine, and it serves again once they go', async (t) => {
  const cap = 32
  const capSock = join(dir, 'capped.sock')
  const capped = createApiServer(engine, { maxConnections: cap, headersTimeoutMs: 60_000 })
  await new Promise<void>((r) => capped.listen(capSock, r))
  t.teardown(() => {
    capped.close()
    capped.closeAllConnections()
  })
  // 400 clients each send a request line and one header, then nothing (slowloris, all at once).
  const clients: { s: Socket; closed: boolean }[] = []
  await Promise.all(
    Array.from({ length: 400 }, () =>
      new Promise<void>((resolve) => {
        const c = { s: connect(capSock), closed: false }
        clients.push(c)
        c.s.on('error', () => {})
        c.s.on('close', () => (c.closed = true))
        c.s.on('connect', () => {
          c.s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n')
          resolve()
        })
        c.s.on('close', () => resolve())
      })),
  )
  // The ones past the cap are closed by the server as they are accepted.
  const open = await until(() => {
    const n = clients.filter((c) => !c.closed).length
    return n <= cap ? n : undefined
  }, 5000)
  t.ok(open <= cap, `${open} of 400 connections still open (cap ${cap})`)
  const n = await new Promise<number>((resolve, reject) => capped.getConnections((err, count) => (err ? reject(err) : resolve(count))))
  t.ok(n <= cap, `the server holds ${n} connections`)
  // While the cap is reached, a new client is refused at once (not left hanging).
  const refused = await new Promise<{ answered: boolean }>((resolve) => {
    const s = connect(capSock)
    let answered = false
    s.on('data', () => (answered = true))
    s.on('error', () => {})
    s.on('close', () => resolve({ answered }))
    s.on('connect', () => s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n'))
    setTimeout(() => s.destroy(), 5000)
  })
  t.notOk(refused.answered, 'a connection past the cap is closed without an answer')
  for (const c of clients) c.s.destroy()
  await until(async () => (await new Promise<number>((r) => capped.getConnections((_e, count) => r(count)))) === 0 || undefined, 5000)
  const ping = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath: capSock, agent: false, path: '/_ping' }, (res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(ping, 200, 'once they are gone, the server answers again')
})

t.test('wait: a condition other than not-running, next-exit or removed is a 400 before any wait, as Docker', async (t) => {
  const r = await send('POST', '/containers/c0ffee/wait?condition=whenever')
  t.equal(r.status, 400)
  t.equal(JSON.parse(r.body).message, 'invalid condition: "whenever"')
  t.notOk(calls.some((c) => c.op === 'wait'), 'the engine was not asked to wait')
})

t.test('the production server has the timeouts set', async (t) => {
  const s = createApiServer(engine)
  t.equal(s.maxConnections, DEFAULT_MAX_CONNECTIONS, `at most ${DEFAULT_MAX_CONNECTIONS} connections at once`)
  t.ok(DEFAULT_MAX_CONNECTIONS >= 1024 && DEFAULT_MAX_CONNECTIONS <= 16384, 'a cap far above what clients hold, far below the fd limit')
  t.equal(s.headersTimeout, 60_000, 'headers within 60 s')
  t.equal(s.requestTimeout, 0, 'no limit on a whole request (streamed uploads, hijacked streams)')
  t.equal(s.keepAliveTimeout, 5_000)
  t.equal(s.timeout, 0, 'no socket idle timeout (logs -f of a quiet container)')
})

/** The status line only (a stream such as /events stays open: its headers are the answer), within 3 s. */
function statusOf(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, agent: false, method, path, timeout: 3000, headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      if (res.statusCode! < 400) {
        req.destroy()
        return resolve({ status: res.statusCode!, body: '' })
      }
      let data = ''
      res.on('data', (d) => (data += d))
      res.on('end', () => resolve({ status: res.statusCode!, body: data }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 3 s`)))
    req.on('error', reject)
    req.end(body)
  })
}

t.test('property: any path and any JSON body get a 2xx or 4xx answer, never a 500 or silence', async (t) => {
  const before = unhandled.length
  const segment = fc.oneof(
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
    fc.stringMatching(/^(%[0-9A-Fa-f]{0,2}|[a-z0-9._~-]){0,8}$/),
    fc.constantFrom('%', '%E0%A4%A', '%FF', '%00', '..', '.', '', '%2F', 'json'),
  )
  const pathArb = fc.tuple(fc.constantFrom('', '/v1.43', '/v1.24', '/v99'), fc.constantFrom('containers', 'exec', 'images', '_ping', 'x'), fc.array(segment, { maxLength: 3 }), fc.string({ maxLength: 10 }).map(encodeURIComponent))
    .map(([v, top, segs, q]) => `${v}/${top}/${segs.join('/')}?filters=${q}&limit=${q}`)
  await fc.assert(
    fc.asyncProperty(pathArb, fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD'), async (p, method) => {
      const r = await statusOf(method, p)
      if (r.status >= 500) throw new Error(`${method} ${p}: ${r.status} ${r.body}`)
    }),
    { numRuns: 300 },
  )
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ Image: fc.oneof(fc.string(), fc.jsonValue()), Cmd: fc.jsonValue(), Env: fc.jsonValue(), HostConfig: fc.oneof(fc.jsonValue(), fc.record({ Memory: fc.jsonValue(), Binds: fc.jsonValue(), PortBindings: fc.jsonValue() })) }, {
      requiredKeys: [],
    }),
  )
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom('/containers/create', '/containers/x/exec', '/exec/e1/start'), async (b, p) => {
      const r = await statusOf('POST', p, JSON.stringify(b) ?? 'null')
      if (r.status >= 500) throw new Error(`POST ${p} ${JSON.stringify(b)}: ${r.status} ${r.body}`)
      if (r.status >= 400 && !JSON.parse(r.body).message) throw new Error('an error without a message')
    }),
    { numRuns: 300 },
  )
  t.same(unhandled.slice(before).map((e) => String((e as Error)?.stack ?? e)), [], 'no unhandled rejection')
  t.equal((await send('GET', '/_ping')).status, 200)
})
