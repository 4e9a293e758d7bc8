// The engine's HTTP API on a unix socket, shaped after the Docker Engine API: the same paths (with
// or without a /v1.xx prefix), query parameters, JSON field names, {"message": …} error bodies and
// status codes (400 bad input, 404 no such thing, 409 conflict, 500 other). Attach and exec use
// Docker's hijack: the HTTP connection is upgraded and then carries the process's stdio.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { isTockerError, TockerError } from '../errors.js'
import { onTrace } from '../trace/trace.js'
import type { Engine } from '../engine/engine.js'
import { imageHandlers } from './image-routes.js'
import { ENGINE_HEADERS, systemHandlers } from './system-routes.js'
import { connectionSink, MULTIPLEXED_STREAM, RAW_STREAM, responseSink } from './streams.js'
import type { ContainerCreateBody, ExecCreateBody } from './types.js'

type Params = Record<string, string>
interface Ctx {
  req: IncomingMessage
  res?: ServerResponse
  /** Set for a hijacked (Upgrade) request. */
  socket?: Duplex
  head?: Buffer
  params: Params
  query: URLSearchParams
  body: () => Promise<any>
}
type Handler = (ctx: Ctx) => Promise<unknown>

interface Route {
  method: string
  pattern: RegExp
  keys: string[]
  handler: Handler
  /** The handler writes the response itself (streams, hijacks). */
  raw?: boolean
}

function route(method: string, path: string, handler: Handler, raw = false): Route {
  const keys: string[] = []
  const pattern = new RegExp(
    '^(?:/v[0-9.]+)?' +
      // {name:.*} may contain slashes (image names: "127.0.0.1:5000/library/busybox").
      path.replace(/\{(\w+)(:\.\*)?\}/g, (_, k: string, greedy?: string) => {
        keys.push(k)
        return greedy ? '(.+?)' : '([^/]+)'
      }) +
      '/?$',
  )
  return { method, pattern, keys, handler, raw }
}

function bool(q: URLSearchParams, k: string): boolean {
  const v = q.get(k)
  return v === '1' || v === 'true' || v === 'True'
}

function int(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k)
  if (v === null || v === '') return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new TockerError(`invalid value for ${k}: ${v}`, { status: 400 })
  return n
}

export function routes(engine: Engine): Route[] {
  const img = imageHandlers(engine)
  const sys = systemHandlers(engine)
  return [
    route('GET', '/_ping', sys.ping, true),
    route('HEAD', '/_ping', sys.ping, true),
    route('GET', '/version', sys.version),
    route('GET', '/info', sys.info),
    route('GET', '/events', sys.events, true),
    route('GET', '/system/df', sys.df),
    route('POST', '/containers/prune', sys.pruneContainers),
    route('POST', '/auth', img.auth),
    route('POST', '/images/create', img.pull, true),
    route('GET', '/images/json', img.list),
    route('GET', '/images/get', img.save, true),
    route('POST', '/images/load', img.load, true),
    route('POST', '/images/prune', img.prune),
    route('GET', '/images/{name:.*}/json', img.inspect),
    route('GET', '/images/{name:.*}/history', img.history),
    route('GET', '/images/{name:.*}/get', img.save, true),
    route('POST', '/images/{name:.*}/tag', img.tag),
    route('DELETE', '/images/{name:.*}', img.remove),
    route('POST', '/containers/create', async ({ query, body, res }) => {
      const r = await engine.create((await body()) as ContainerCreateBody, query.get('name') ?? undefined)
      res!.statusCode = 201
      return r
    }),
    route('GET', '/containers/json', async ({ query }) =>
      engine.list({
        all: bool(query, 'all'),
        limit: int(query, 'limit'),
        filters: query.get('filters') ? (JSON.parse(query.get('filters')!) as Record<string, string[] | Record<string, boolean>>) : {},
      }),
    ),
    route('GET', '/containers/{id}/json', async ({ params }) => engine.inspect(params.id)),
    route('POST', '/containers/{id}/start', async ({ params, res }) => {
      const started = await engine.start(params.id)
      res!.statusCode = started ? 204 : 304
    }),
    route('POST', '/containers/{id}/stop', async ({ params, query, res }) => {
      const stopped = await engine.stop(params.id, int(query, 't'), query.get('signal') ?? undefined)
      res!.statusCode = stopped ? 204 : 304
    }),
    route('POST', '/containers/{id}/restart', async ({ params, query, res }) => {
      await engine.restart(params.id, int(query, 't'))
      res!.statusCode = 204
    }),
    route('POST', '/containers/{id}/kill', async ({ params, query, res }) => {
      await engine.kill(params.id, query.get('signal') ?? 'SIGKILL')
      res!.statusCode = 204
    }),
    route('POST', '/containers/{id}/wait', async (ctx) => {
      const cond = (ctx.query.get('condition') ?? 'not-running') as 'not-running' | 'next-exit' | 'removed'
      // Docker sends the headers at once and the body when the container stops.
      const waiting = engine.wait(ctx.params.id, cond)
      await waiting.ready
      ctx.res!.writeHead(200, { 'Content-Type': 'application/json' })
      ctx.res!.flushHeaders()
      const r = await waiting.result
      ctx.res!.end(JSON.stringify(r) + '\n')
    }, true),
    route('DELETE', '/containers/{id}', async ({ params, query, res }) => {
      await engine.remove(params.id, { force: bool(query, 'force'), volumes: bool(query, 'v') })
      res!.statusCode = 204
    }),
    route('POST', '/containers/{id}/rename', async ({ params, query, res }) => {
      await engine.rename(params.id, query.get('name') ?? '')
      res!.statusCode = 204
    }),
    route('GET', '/containers/{id}/top', async ({ params, query }) => engine.top(params.id, query.get('ps_args') ?? undefined)),
    route('POST', '/containers/{id}/resize', async ({ params, query, res }) => {
      await engine.resize(params.id, int(query, 'h') ?? 24, int(query, 'w') ?? 80)
      res!.statusCode = 200
    }),
    route('GET', '/containers/{id}/logs', async ({ params, query, res, req }) => {
      await engine.logs(
        params.id,
        {
          follow: bool(query, 'follow'),
          stdout: bool(query, 'stdout'),
          stderr: bool(query, 'stderr'),
          timestamps: bool(query, 'timestamps'),
          tail: query.get('tail') && query.get('tail') !== 'all' ? Number(query.get('tail')) : undefined,
          since: query.get('since') ? Number(query.get('since')) : undefined,
          until: query.get('until') ? Number(query.get('until')) : undefined,
        },
        (tty) => responseSink(req, res!, tty),
      )
    }, true),
    route('POST', '/containers/{id}/attach', async (ctx) => {
      const mode = await engine.attachMode(ctx.params.id)
      const conn = connectionSink(hijack(ctx, mode), mode === 'raw')
      await engine.attach(ctx.params.id, conn, {
        stream: bool(ctx.query, 'stream'),
        logs: bool(ctx.query, 'logs'),
        stdin: bool(ctx.query, 'stdin'),
        stdout: bool(ctx.query, 'stdout'),
        stderr: bool(ctx.query, 'stderr'),
      })
    }, true),
    route('POST', '/containers/{id}/exec', async ({ params, body, res }) => {
      const r = await engine.execCreate(params.id, (await body()) as ExecCreateBody)
      res!.statusCode = 201
      return r
    }),
    route('POST', '/exec/{id}/start', async (ctx) => {
      const b = ((await ctx.body()) ?? {}) as { Detach?: boolean; Tty?: boolean }
      if (b.Detach) {
        await engine.execStart(ctx.params.id, undefined)
        ctx.res?.writeHead(200, { 'Content-Type': 'application/json' })
        ctx.res?.end()
        return
      }
      const tty = engine.execTty(ctx.params.id)
      const conn = connectionSink(hijack(ctx, tty ? 'raw' : 'multiplexed'), tty)
      await engine.execStart(ctx.params.id, conn)
    }, true),
    route('POST', '/exec/{id}/resize', async ({ params, query, res }) => {
      await engine.execResize(params.id, int(query, 'h') ?? 24, int(query, 'w') ?? 80)
      res!.statusCode = 200
    }),
    route('GET', '/exec/{id}/json', async ({ params }) => engine.execInspect(params.id)),
    // tocker's own: every kernel-level action of the engine as it happens, one JSON object per line
    // (what `tocker --explain` prints for commands the engine carries out).
    route('GET', '/tocker/trace', async ({ res, req }) => {
      res!.writeHead(200, { 'Content-Type': 'application/x-ndjson' })
      res!.flushHeaders()
      const stop = onTrace((e) => res!.write(JSON.stringify(e) + '\n'))
      await new Promise<void>((resolve) => {
        req.on('close', resolve)
        res!.on('close', resolve)
      })
      stop()
    }, true),
  ]
}

/**
 * Take over the connection: with an Upgrade request, answer "101 UPGRADED" as Docker does; a
 * client that did not ask for an upgrade gets "200 OK" and then the raw stream all the same.
 */
function hijack(ctx: Ctx, mode: 'raw' | 'multiplexed'): Duplex {
  const contentType = mode === 'raw' ? RAW_STREAM : MULTIPLEXED_STREAM
  if (ctx.socket) {
    ctx.socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`)
    if (ctx.head?.length) ctx.socket.unshift(ctx.head)
    return ctx.socket
  }
  const res = ctx.res!
  const socket = res.socket!
  res.detachSocket(socket)
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`)
  return socket
}

function parseJson(text: string): any {
  if (!text.trim()) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new TockerError('invalid JSON in the request body', { status: 400 })
  }
}

async function splitUpgradeBody(socket: Duplex, head: Buffer, length: number): Promise<{ body: Buffer; rest: Buffer }> {
  let buf = head
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | undefined>((resolve) => {
      const onData = (d: Buffer) => {
        socket.off('end', onEnd)
        socket.pause()
        resolve(d)
      }
      const onEnd = () => {
        socket.off('data', onData)
        resolve(undefined)
      }
      socket.once('data', onData)
      socket.once('end', onEnd)
      socket.resume()
    })
    if (!chunk) break
    buf = Buffer.concat([buf, chunk])
  }
  return { body: buf.subarray(0, length), rest: buf.subarray(length) }
}

function readJson(req: IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (!text) return resolve(undefined)
      try {
        resolve(JSON.parse(text))
      } catch {
        reject(new TockerError('invalid JSON in the request body', { status: 400 }))
      }
    })
    req.on('error', reject)
  })
}

function sendError(res: ServerResponse | undefined, socket: Duplex | undefined, err: unknown, debug: boolean): void {
  const status = isTockerError(err) ? err.status : 500
  const message = isTockerError(err) ? err.message : (err as Error)?.message ?? String(err)
  if (!isTockerError(err) && debug) process.stderr.write(`tockerd: ${(err as Error)?.stack ?? err}\n`)
  // "hint" is tocker's own field (what to do about it); Docker's clients read only "message".
  const hint = isTockerError(err) ? err.hint : undefined
  const body = JSON.stringify(hint ? { message, hint } : { message }) + '\n'
  if (res && !res.headersSent) {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
    res.end(body)
  } else if (res) {
    res.destroy()
  } else if (socket && !socket.destroyed && !socket.writableEnded) {
    socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
}

export function createApiServer(engine: Engine, opts: { debug?: boolean } = {}): Server {
  const table = routes(engine)
  const dispatch = async (req: IncomingMessage, res: ServerResponse | undefined, socket?: Duplex, head?: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://tocker')
    const method = req.method ?? 'GET'
    if (res) for (const [k, v] of Object.entries(ENGINE_HEADERS)) res.setHeader(k, v)
    let matched: Route | undefined
    let params: Params = {}
    for (const r of table) {
      const m = r.pattern.exec(url.pathname)
      if (!m) continue
      if (r.method !== method) continue
      matched = r
      params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]))
      break
    }
    try {
      if (!matched) throw new TockerError(`page not found`, { status: 404 })
      let bodyPromise: Promise<any> | undefined
      let rest = head
      if (socket) {
        // An upgraded request's body is not parsed by node:http: it is the first Content-Length
        // bytes of the connection; what follows is already the client's stdin.
        const split = await splitUpgradeBody(socket, head ?? Buffer.alloc(0), Number(req.headers['content-length'] ?? 0))
        rest = split.rest
        bodyPromise = Promise.resolve(parseJson(split.body.toString('utf8')))
      }
      const ctx: Ctx = { req, res, socket, head: rest, params, query: url.searchParams, body: () => (bodyPromise ??= readJson(req)) }
      const value = await matched.handler(ctx)
      if (matched.raw || !res) return
      if (value === undefined) {
        if (!res.statusCode || res.statusCode === 200) res.statusCode = 204
        res.end()
      } else if (typeof value === 'string') {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8')
        res.end(value)
      } else {
        const text = JSON.stringify(value) + '\n'
        res.setHeader('Content-Type', 'application/json')
        res.setHeader('Content-Length', Buffer.byteLength(text))
        res.end(text)
      }
    } catch (err) {
      sendError(res, socket, err, !!opts.debug)
    }
  }
  const server = createServer((req, res) => void dispatch(req, res))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that goes away mid-stream must never take the engine down with it.
    socket.on('error', () => socket.destroy())
    void dispatch(req, undefined, socket, head)
  })
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()))
  // Long-lived: wait/logs -f/attach may stay open for hours.
  server.requestTimeout = 0
  server.headersTimeout = 0
  server.keepAliveTimeout = 5000
  return server
}
