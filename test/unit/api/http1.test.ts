// The CLI's HTTP/1.1 client (src/api/http1.ts) without node:http on its side: the response parser
// fed every response split at every byte boundary (chunked, Content-Length, close-delimited,
// body-less, 1xx first, upgrade with bytes behind the head), what it must refuse, and the client
// against a real node:http server on a unix socket: JSON both ways, Docker's error body, a streamed
// (chunked) request body, a large streamed response, the hijack (101 then raw bytes both ways),
// no engine (ENOENT / ECONNREFUSED), a connection cut before or inside a response, connections
// opened ahead (preconnect). No root needed.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect as netConnect, createServer as createNetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { EngineClient, isEngineDown, readBody } from '../../../src/api/client.js'
import { request, requestWhole, ResponseParser, type ResponseHead } from '../../../src/api/http1.js'
import { isTockerError } from '../../../src/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'tocker-http1-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

interface Parsed {
  heads: ResponseHead[]
  body: Buffer
  ended: boolean
  upgraded?: Buffer
}

/** Feed `raw` to a fresh parser in the given pieces; what it reported. */
function parse(pieces: Buffer[], o: { head?: boolean; upgrade?: boolean; close?: boolean } = {}): Parsed {
  const out: Parsed = { heads: [], body: Buffer.alloc(0), ended: false }
  const chunks: Buffer[] = []
  const p = new ResponseParser(!!o.head, {
    head: (h) => (out.heads.push(h), o.upgrade && h.status === 101 ? 'upgrade' : 'body'),
    data: (d) => chunks.push(Buffer.from(d)),
    end: () => (out.ended = true),
    upgrade: (rest) => (out.upgraded = Buffer.from(rest)),
  })
  for (const piece of pieces) p.feed(piece)
  if (o.close) p.finish()
  out.body = Buffer.concat(chunks)
  return out
}

/** Every way to cut `raw` in two, and one byte at a time: each must parse as the whole does. */
function everySplit(t: Test, raw: string, want: { status: number; body: string; headers?: Record<string, string>; upgraded?: string }, o: { head?: boolean; upgrade?: boolean; close?: boolean } = {}): void {
  const b = Buffer.from(raw, 'latin1')
  const splits: Buffer[][] = [[b], Array.from(b, (x) => Buffer.from([x]))]
  for (let i = 1; i < b.length; i++) splits.push([b.subarray(0, i), b.subarray(i)])
  let bad = 0
  t.ok(raw.length > 10)
  for (const pieces of splits) {
    const r = parse(pieces, o)
    const ok = r.heads.length === 1 && r.heads[0].status === want.status && r.body.toString('latin1') === want.body &&
      (want.upgraded === undefined ? r.ended : r.upgraded !== undefined && raw.slice(raw.indexOf('\r\n\r\n') + 4).startsWith(r.upgraded.toString('latin1'))) &&
      Object.entries(want.headers ?? {}).every(([k, v]) => r.heads[0].headers[k] === v)
    if (!ok && bad++ === 0) t.fail(`split ${pieces.map((p) => p.length).join('+')}: ${JSON.stringify({ heads: r.heads, body: r.body.toString('latin1'), ended: r.ended })}`)
  }
  t.equal(bad, 0, `${splits.length} splits parse alike`)
}

t.test('parser: chunked body (extensions, trailers) split at every byte', async (t) => {
  const raw = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n' +
    '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n'
  everySplit(t, raw, { status: 200, body: 'hello 0123456789', headers: { 'content-type': 'application/json', 'x-a': '1, 2' } })
})

t.test('parser: Content-Length body split at every byte; what follows it is ignored', async (t) => {
  everySplit(t, 'HTTP/1.1 404 Not Found\r\nContent-Length: 27\r\n\r\n{"message":"No such thing"}GARBAGE', { status: 404, body: '{"message":"No such thing"}' })
  everySplit(t, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', { status: 200, body: '' })
})

t.test('parser: a body until the connection closes; no body for HEAD, 204, 304; 100 Continue skipped', async (t) => {
  everySplit(t, 'HTTP/1.0 200 OK\r\n\r\nraw bytes\r\n0\r\n', { status: 200, body: 'raw bytes\r\n0\r\n' }, { close: true })
  everySplit(t, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { status: 200, body: '' }, { head: true })
  everySplit(t, 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n', { status: 204, body: '' })
  everySplit(t, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}', { status: 201, body: '{}' })
})

t.test('parser: 101 hands over the rest of the bytes, at every split', async (t) => {
  // At every split the head is read whole and what follows it in that piece is handed over.
  everySplit(t, 'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\x01\x00\x00\x00', {
    status: 101,
    body: '',
    upgraded: 'the tail',
    headers: { upgrade: 'tcp' },
  }, { upgrade: true })
  // The bytes after the head come whole in the piece that ends the head.
  const r = parse([Buffer.from('HTTP/1.1 101 UPGRADED\r\n\r\nfirst bytes')], { upgrade: true })
  t.equal(r.upgraded?.toString(), 'first bytes')
})

t.test('parser: refuses what is not HTTP, and says a response was cut', async (t) => {
  const code = (f: () => void) => {
    try {
      f()
      return 'none'
    } catch (err) {
      return (err as { code?: string }).code
    }
  }
  const bad = [
    'SSH-2.0-OpenSSH\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '1'.repeat(5000),
  ]
  for (const raw of bad) t.equal(code(() => parse([Buffer.from(raw)])), 'EHTTPRESPONSE', JSON.stringify(raw.slice(0, 50)))
  t.equal(code(() => parse([Buffer.from('x'.repeat(70_000))])), 'EHTTPRESPONSE', 'a head without end is capped')
  t.equal(code(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc')], { close: true })), 'ECONNRESET', 'cut inside a body')
  t.equal(code(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')], { close: true })), 'ECONNRESET', 'cut between chunks')
  t.equal(code(() => parse([Buffer.from('HTTP/1.1 200')], { close: true })), 'ECONNRESET', 'cut inside the head')
})

// ---- the client against node:http ----

let n = 0
async function serve(t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void, upgrade?: (req: IncomingMessage, socket: Socket, head: Buffer) => void): Promise<string> {
  const path = join(dir, `s${++n}.sock`)
  const server: Server = createServer(handler)
  if (upgrade) server.on('upgrade', upgrade)
  await new Promise<void>((r) => server.listen(path, r))
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))))
  return path
}

const collect = async (s: Readable) => {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

t.test('client: JSON both ways, query, headers, chunked response, Docker error body', { timeout: 20_000 }, async (t) => {
  const sock = await serve(t, async (req, res) => {
    const body = (await collect(req)).toString()
    if (req.url === '/echo?a=1') {
      res.setHeader('Content-Type', 'application/json')
      // Several writes: node:http sends them chunked.
      res.write('{"method":' + JSON.stringify(req.method))
      res.write(',"host":' + JSON.stringify(req.headers.host) + ',"ct":' + JSON.stringify(req.headers['content-type'] ?? null))
      res.end(',"session":' + JSON.stringify(req.headers['x-tocker-session'] ?? null) + ',"body":' + (body || 'null') + '}')
      return
    }
    res.writeHead(404, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ message: 'No such container: nope', hint: 'try ps' }))
  })
  const client = new EngineClient(sock)
  client.traceSession = 's1'
  t.same(await client.json('POST', '/echo', { query: { a: 1, b: undefined }, body: { x: [1, 'ü'] } }), {
    method: 'POST',
    host: 'tocker',
    ct: 'application/json',
    session: 's1',
    body: { x: [1, 'ü'] },
  })
  t.same(await client.json('GET', '/echo', { query: { a: 1 } }), { method: 'GET', host: 'tocker', ct: null, session: 's1', body: null })
  const err = await client.inspectContainer('nope').catch((e: unknown) => e)
  t.ok(isTockerError(err))
  t.match(err, { message: 'No such container: nope', hint: 'try ps', status: 404, code: 'ENOTFOUND' })
})

t.test('client: a streamed request body (chunked) and a large streamed response arrive whole', { timeout: 20_000 }, async (t) => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17)
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  const sock = await serve(t, async (req, res) => {
    if (req.url === '/up') {
      const got = await collect(req)
      res.writeHead(200, { 'Content-Type': 'application/json' })
      return res.end(JSON.stringify({ te: req.headers['transfer-encoding'], sha: sha(got), n: got.length }))
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }) // chunked, in pieces
    for (let off = 0; off < big.length; off += 100_000) res.write(big.subarray(off, off + 100_000))
    res.end()
  })
  const up = await request({ socketPath: sock, method: 'POST', path: '/up', headers: { Host: 'tocker' }, body: Readable.from([big.subarray(0, 1), big.subarray(1, 70_000), big.subarray(70_000)]) })
  t.same(JSON.parse(await readBody(up)), { te: 'chunked', sha: sha(big), n: big.length })
  const down = await request({ socketPath: sock, method: 'GET', path: '/down', headers: { Host: 'tocker' } })
  // Read slowly: backpressure pauses the socket, nothing is lost.
  const chunks: Buffer[] = []
  for await (const c of down) {
    chunks.push(c as Buffer)
    if (chunks.length % 8 === 0) await new Promise((r) => setTimeout(r, 1))
  }
  t.equal(sha(Buffer.concat(chunks)), sha(big))
  t.equal(down.complete, true)
})

t.test('client: the hijack: 101, bytes behind the head, raw bytes both ways; refused with an error body', { timeout: 20_000 }, async (t) => {
  const sock = await serve(t, (_req, res) => {
    res.writeHead(409, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ message: 'container is not running' }))
  }, (req, socket, head) => {
    if (req.url?.startsWith('/containers/')) {
      const msg = '{"message":"container is not running"}'
      socket.end(`HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${msg.length}\r\n\r\n${msg}`)
      return
    }
    if (req.url?.startsWith('/refuse')) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n{"message":"No such exec: x"}'.replace('28', String('{"message":"No such exec: x"}'.length)))
      return
    }
    t.equal(req.headers.upgrade, 'tcp')
    // The JSON body of exec start (Content-Length bytes) is the first thing on the raw connection:
    // it may have come with the head.
    const length = Number(req.headers['content-length'])
    let body = head
    const answer = () => {
      // The head and the first output in one write: the client must not lose them.
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly:' + body.toString())
      setTimeout(() => socket.write(' later'), 30)
      socket.on('data', (d) => socket.end(` echo:${d}`))
    }
    if (body.length >= length) return answer()
    const more = (d: Buffer) => {
      body = Buffer.concat([body, d])
      if (body.length < length) return
      socket.off('data', more)
      answer()
    }
    socket.on('data', more)
  })
  const client = new EngineClient(sock)
  const conn = await client.startExecAttached('abc', false)
  t.equal(conn.multiplexed, true)
  // The caller listens a little later: what came meanwhile waits in the socket.
  await new Promise((r) => setTimeout(r, 80))
  const got: Buffer[] = [conn.head]
  conn.socket.on('data', (d: Buffer) => got.push(d))
  conn.socket.write('ping')
  await new Promise((r) => conn.socket.on('close', r))
  t.equal(Buffer.concat(got).toString(), 'early:{"Detach":false,"Tty":false} later echo:ping')
  const refused = await client.hijack('/refuse').catch((e: unknown) => e)
  t.match(refused, { message: 'No such exec: x', status: 404 })
  const notUpgraded = await client.attach('x', { stream: 1 }).catch((e: unknown) => e)
  t.match(notUpgraded, { message: 'container is not running', status: 409 }, 'a plain answer to an attach is its error')
})

t.test('client: no engine (ENOENT, ECONNREFUSED), a connection cut before or inside an answer, unsafe requests', { timeout: 20_000 }, async (t) => {
  const missing = await new EngineClient(join(dir, 'none.sock')).ping().catch((e: unknown) => e)
  t.equal((missing as NodeJS.ErrnoException).code, 'ENOENT')
  t.ok(isEngineDown(missing))
  const stale = join(dir, 'stale.sock')
  writeFileSync(stale, '') // not a socket at all: connect is refused
  const refused = await new EngineClient(stale).ping().catch((e: unknown) => e)
  t.ok(isEngineDown(refused), `a stale socket file: ${(refused as NodeJS.ErrnoException).code}`)

  const path = join(dir, `cut${++n}.sock`)
  const raw = createNetServer((s) => {
    s.once('data', (d) => {
      const url = d.toString().split(' ')[1]
      if (url === '/nothing') s.destroy()
      else if (url === '/half') s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial"')
      else if (url === '/garbage') s.end('<html>not http</html>\r\n\r\n')
    })
  })
  await new Promise<void>((r) => raw.listen(path, r))
  t.teardown(() => new Promise<void>((r) => raw.close(() => r())))
  const client = new EngineClient(path)
  t.match(await client.json('GET', '/nothing').catch((e: unknown) => e), { code: 'ECONNRESET', message: 'socket hang up' })
  t.match(await client.json('GET', '/half').catch((e: unknown) => e), { code: 'ECONNRESET' }, 'a body cut short is an error, not a short answer')
  t.match(await client.json('GET', '/garbage').catch((e: unknown) => e), { code: 'EHTTPRESPONSE' })

  const sock = await serve(t, (_req, res) => res.end('{}'))
  const unsafe: { path?: string; method?: string; headers?: Record<string, string> }[] = [
    { path: '/a b' },
    { path: '/a\r\nX-Evil: 1' },
    { method: 'GET /x HTTP/1.1\r\n' },
    { headers: { 'X-A': 'v\r\nX-Evil: 1' } },
    { headers: { 'Bad Name': 'v' } },
  ]
  for (const bad of unsafe) {
    t.throws(() => request({ socketPath: sock, method: 'GET', path: '/ok', headers: {}, ...bad }), { code: 'EHTTPREQUEST' }, JSON.stringify(bad))
  }
})

t.test('client: preconnect: requests go out on the connections opened before, within the write call; stale or failed spares are not used', { timeout: 20_000 }, async (t) => {
  // The server's 'connection' listener sees every connection as it is accepted.
  const accepted: Socket[] = []
  const probe = join(dir, `pre${++n}.sock`)
  const server = createServer((req, res) => res.end(JSON.stringify({ url: req.url, conn: accepted.indexOf(req.socket) })))
  server.on('connection', (s: Socket) => accepted.push(s))
  await new Promise<void>((r) => server.listen(probe, r))
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))))

  // The server accepts a connection in its own turn, after the client saw it connected.
  const acceptedAll = async (k: number) => {
    for (let i = 0; i < 200 && accepted.length < k; i++) await new Promise((r) => setTimeout(r, 5))
    return accepted.length
  }
  const client = new EngineClient(probe)
  await client.preconnect(2)
  t.equal(await acceptedAll(2), 2, 'two connections open before any request')
  t.same(await client.json('GET', '/a'), { url: '/a', conn: 0 }, 'the first request on the first spare')
  t.same(await client.json('GET', '/b'), { url: '/b', conn: 1 }, 'the second on the second')
  t.same(await client.json('GET', '/c'), { url: '/c', conn: 2 }, 'then a connection of its own')

  // On a connected spare the request's bytes leave within request(): nothing waits for the loop.
  await client.preconnect()
  const spare = (await acceptedAll(4)) - 1
  const s = netConnect(probe)
  await new Promise((r) => s.once('connect', r))
  const pending = request({ socketPath: probe, socket: s, method: 'GET', path: '/now', headers: { Host: 'tocker' } })
  t.ok(s.bytesWritten > 0 && s.writableLength === 0, 'written synchronously')
  t.equal(await readBody(await pending), JSON.stringify({ url: '/now', conn: spare + 1 }))
  t.same(await client.json('GET', '/d'), { url: '/d', conn: spare }, 'the spare opened before is still used')

  // A spare older than a second is closed unused (the engine drops idle connections in time).
  await client.preconnect()
  const old = (await acceptedAll(7)) - 1
  await new Promise((r) => setTimeout(r, 1100))
  t.same(await client.json('GET', '/e'), { url: '/e', conn: old + 1 }, 'a fresh connection, not the stale spare')

  // No engine: preconnect does not fail; the request connects anew and reports it (the CLI starts an engine on that).
  const none = new EngineClient(join(dir, 'none-pre.sock'))
  await none.preconnect(2)
  const err = await none.ping().catch((e: unknown) => e)
  t.ok(isEngineDown(err), `no engine: ${(err as NodeJS.ErrnoException).code}`)
})

t.test("client: a connection whose answer is all in is let go (unref'd, closed a second later), not closed at once", { timeout: 20_000 }, async (t) => {
  // A server that ends each answer (as the engine does: Connection: close) and then sees when the
  // client closes its side (allowHalfOpen: its own end does not close the connection).
  const probe = join(dir, `letgo${++n}.sock`)
  const closedAt = new Map<string, number>()
  const conns: Socket[] = []
  const server = createNetServer({ allowHalfOpen: true }, (s) => {
    conns.push(s)
    let path = ''
    s.once('data', (d) => {
      path = d.toString('latin1').split(' ')[1]
      const body = JSON.stringify({ url: path })
      // /cut: the head and part of the body; the rest never comes.
      if (path === '/cut') s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length + 10}\r\n\r\n${body}`)
      else s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
    })
    s.on('end', () => closedAt.set(path, performance.now()))
    s.on('close', () => closedAt.has(path) || closedAt.set(path, performance.now()))
    s.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(probe, r))
  t.teardown(() => new Promise<void>((r) => (conns.forEach((c) => c.destroy()), server.close(() => r()))))
  const open = async () => {
    const s = netConnect(probe)
    await new Promise((r) => s.once('connect', r))
    return s
  }

  // A whole (JSON) answer, and a streamed one read to its end.
  const whole = await open()
  const answer = await requestWhole({ socketPath: probe, socket: whole, method: 'GET', path: '/whole', headers: { Host: 'tocker' } })
  t.equal(answer.body.toString(), JSON.stringify({ url: '/whole' }))
  const streamed = await open()
  t.equal(await readBody(await request({ socketPath: probe, socket: streamed, method: 'GET', path: '/stream', headers: { Host: 'tocker' } })), JSON.stringify({ url: '/stream' }))
  const answeredAt = performance.now()
  // The server's FIN has come meanwhile: node:net would end and close the socket on it by itself.
  await new Promise((r) => setTimeout(r, 100))
  t.notOk(whole.destroyed, "the whole answer's connection is still open 100 ms later")
  t.notOk(streamed.destroyed, "the streamed answer's too")
  t.same([...closedAt.keys()], [], 'the server saw no close yet')
  // Closed a second after (a long-lived command does not keep its answered connections).
  for (let i = 0; i < 300 && closedAt.size < 2; i++) await new Promise((r) => setTimeout(r, 10))
  t.ok(whole.destroyed && streamed.destroyed, 'both closed later')
  t.same([...closedAt.keys()].sort(), ['/stream', '/whole'], 'the server saw both close')
  t.ok(Math.min(...closedAt.values()) - answeredAt > 500, `closed ${(Math.min(...closedAt.values()) - answeredAt).toFixed(0)} ms after the answers`)

  // An answer given up on before its end: its connection is closed at once, as before.
  const cut = await open()
  const res = await request({ socketPath: probe, socket: cut, method: 'GET', path: '/cut', headers: { Host: 'tocker' } })
  res.destroy()
  t.ok(cut.destroyed, 'a response given up on closes its connection at once')
})
