// The HTTP side of the engine's API: routing Docker's paths (with or without a /v1.xx prefix) to
// handlers, with the bounds an untrusted client needs, the same for every route:
//   - path parameters are percent-decoded inside the request's error handling: a malformed escape
//     (%E0%A4%A) is a 400, never an unhandled rejection;
//   - every body is read with its route's size limit (413 before reading when Content-Length says
//     too much, as soon as a chunked body passes it) and a time limit (408), and a JSON body is
//     checked against the route's schema (400 naming the field) before the handler sees it;
//   - headers must arrive within `headersTimeoutMs` (a slowloris client is dropped), at most 16 KiB
//     of them (Node's limit: 431); an idle keep-alive connection closes after 5 s;
//   - at most `maxConnections` connections at once: a client opening thousands (or holding many
//     half-sent requests) gets new ones refused, while the engine keeps its memory and its file
//     descriptors for its containers;
//   - nothing bounds how long a response may last: wait, logs -f, events and hijacked attach/exec
//     streams stay open for hours (Node's requestTimeout only covers receiving the request, and is
//     off here: streamed uploads such as image loads are bounded by their own idle timeout).
// Errors go out as Docker's {"message": …} body with Docker's status codes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { isTockerError, isUserFacing, TockerError } from '../errors.js'
import { DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT_MS, parseJsonBody, readBody, readUpgradeBody, type BodyLimits } from './http-body.js'
import { MULTIPLEXED_STREAM, RAW_STREAM } from './streams.js'
import type { BodyValidator } from './validate.js'
import { runInScope, type TraceScope } from '../trace/scope.js'
import { report } from '../trace/trace.js'

export type Params = Record<string, string>

export interface Ctx {
  req: IncomingMessage
  res?: ServerResponse
  /** Set for a hijacked (Upgrade) request. */
  socket?: Duplex
  head?: Buffer
  params: Params
  query: URLSearchParams
  /** The request's JSON body, read within the route's limits and checked against its schema. */
  body: () => Promise<any>
}
export type Handler = (ctx: Ctx) => Promise<unknown>

export interface BodySpec {
  /** The body's schema (src/api/schemas.ts); without one the JSON is passed on unchecked. */
  schema?: BodyValidator<unknown>
  /** Bytes; DEFAULT_BODY_LIMIT (1 MiB) when not set. */
  limit?: number
  timeoutMs?: number
}

export interface RouteOptions {
  /** The handler writes the response itself (streams, hijacks). */
  raw?: boolean
  /**
   * The request body: JSON within limits (the default, with no schema and 1 MiB), or 'stream' for
   * a handler that reads `req` itself (an image tar, a build context): it must bound what it keeps
   * and time out an idle sender itself.
   */
  body?: BodySpec | 'stream'
}

export interface Route {
  method: string
  pattern: RegExp
  keys: string[]
  handler: Handler
  raw: boolean
  body: BodySpec | 'stream'
}

/** `opts` may be `true` for { raw: true }. Path parameters are written {name}; {name:.*} may contain slashes. */
export function route(method: string, path: string, handler: Handler, opts: boolean | RouteOptions = {}): Route {
  const o: RouteOptions = typeof opts === 'boolean' ? { raw: opts } : opts
  const keys: string[] = []
  const pattern = new RegExp(
    '^(?:/v[0-9.]+)?' +
      path.replace(/\{(\w+)(:\.\*)?\}/g, (_, k: string, greedy?: string) => {
        keys.push(k)
        return greedy ? '(.+?)' : '([^/]+)'
      }) +
      '/?$',
  )
  return { method, pattern, keys, handler, raw: !!o.raw, body: o.body ?? {} }
}

// ---- query parameters ----

export function bool(q: URLSearchParams, k: string): boolean {
  const v = q.get(k)
  return v === '1' || v === 'true' || v === 'True'
}

export function int(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k)
  if (v === null || v === '') return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new TockerError(`invalid value for ${k}: ${v}`, { code: 'EINVALID' })
  return n
}

/** A JSON-valued query parameter (Docker's `filters`); 400 when it is not JSON. */
export function jsonQuery<T>(q: URLSearchParams, k: string): T | undefined {
  const v = q.get(k)
  if (v === null || v === '') return undefined
  try {
    return JSON.parse(v) as T
  } catch {
    throw new TockerError(`invalid ${k} parameter: not JSON: ${v.length > 80 ? v.slice(0, 80) + '…' : v}`, { code: 'EINVALID' })
  }
}

// ---- hijacking ----

/**
 * Take over the connection: with an Upgrade request, answer "101 UPGRADED" as Docker does; a
 * client that did not ask for an upgrade gets "200 OK" and then the raw stream all the same.
 */
export function hijack(ctx: Ctx, mode: 'raw' | 'multiplexed'): Duplex {
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

// ---- errors ----

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict', 413: 'Payload Too Large', 500: 'Internal Server Error' }

function sendError(req: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined, err: unknown, debug: boolean): void {
  const status = isTockerError(err) ? err.status : 500
  const message = isTockerError(err) ? err.message : (err as Error)?.message ?? String(err)
  if (!isUserFacing(err) && debug) process.stderr.write(`tockerd: ${(err as Error)?.stack ?? err}\n`)
  // "hint" is tocker's own field (what to do about it); Docker's clients read only "message".
  const hint = isTockerError(err) ? err.hint : undefined
  const body = JSON.stringify(hint ? { message, hint } : { message }) + '\n'
  // A body we did not read (refused as too large or too slow, or never wanted) is not drained:
  // the connection closes after the answer instead.
  const close = !req.complete
  if (res && !res.headersSent) {
    if (close && req.socket) lingeringClose(req.socket)
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(close ? { Connection: 'close' } : {}) })
    res.end(body)
  } else if (res) {
    res.destroy()
  } else if (socket && !socket.destroyed && !socket.writableEnded) {
    lingeringClose(socket)
    socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    socket.resume() // discard what the client still sends
  }
}

/** How long a refused client may go on sending while it reads the answer. */
const LINGER_MS = 1000

/**
 * A lingering close, as Go's net/http does it: after an answer to a request whose body was not
 * read (413, 408), stop writing (FIN) but go on reading and discarding for a moment, then close.
 * Closing at once would reset a client that is still sending, and it could lose the answer.
 * Bounded by time only: discarding costs no memory.
 */
function lingeringClose(socket: Duplex): void {
  const s = socket as Duplex & { destroySoon?: () => void }
  // node:http calls destroySoon() once a Connection: close answer is out: make that a half-close.
  s.destroySoon = () => s.end()
  const timer = setTimeout(() => s.destroy(), LINGER_MS)
  timer.unref()
  s.once('close', () => clearTimeout(timer))
}

// ---- the server ----

/**
 * Connections open at once (streams such as logs -f, attach and events included): far above what
 * clients hold (a docker CLI command 1-3, compose a few per service), far below what would cost
 * the engine its memory (an idle connection is ~10 KiB in Node) or its fds (Node raises the soft
 * RLIMIT_NOFILE to the hard limit).
 */
export const DEFAULT_MAX_CONNECTIONS = 4096

export interface ServeOptions {
  debug?: boolean
  /** Headers must arrive within this (slowloris); default 60 s. */
  headersTimeoutMs?: number
  /** How often Node checks for that; default 5 s (tests use less). */
  checkIntervalMs?: number
  /** Connections open at once, beyond which new ones are closed at accept; default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number
  /** The time limit of JSON bodies whose route sets none; default 60 s. */
  bodyTimeoutMs?: number
  /** A route with a streamed body ({ body: 'stream' }) drops a sender idle this long; default 5 min. */
  streamIdleTimeoutMs?: number
  /** Headers on every response (Docker's Api-Version, Server, Ostype …). */
  headers?: Record<string, string>
  /**
   * The trace scope a request runs in (an explaining client's session, trace/scope.ts), by its
   * headers. The request's end is then reported as an `api` trace event in that scope: the client
   * knows its engine-side work for that request is all on its trace stream.
   */
  scope?: (req: IncomingMessage) => TraceScope | undefined
}

/** Find the route and decode its parameters; 404 (no path) or 405-as-404 (no method), 400 (bad escape). */
export function match(table: Route[], method: string, pathname: string): { route: Route; params: Params } {
  for (const r of table) {
    if (r.method !== method) continue
    const m = r.pattern.exec(pathname)
    if (!m) continue
    const params: Params = {}
    for (let i = 0; i < r.keys.length; i++) {
      try {
        params[r.keys[i]] = decodeURIComponent(m[i + 1])
      } catch {
        throw new TockerError(`invalid URL path: ${JSON.stringify(m[i + 1])} is not a valid percent-encoded UTF-8 string`, { code: 'EBADPATH' })
      }
    }
    return { route: r, params }
  }
  throw new TockerError('page not found', { code: 'ENOTFOUND' })
}

export function serve(table: Route[], opts: ServeOptions = {}): Server {
  const dispatch = (req: IncomingMessage, res: ServerResponse | undefined, socket?: Duplex, head?: Buffer): Promise<void> => {
    const scope = opts.scope?.(req)
    if (!scope) return handle(req, res, socket, head)
    return runInScope(scope, async () => {
      try {
        await handle(req, res, socket, head)
      } finally {
        report({ kind: 'api', op: req.method ?? 'GET', detail: (req.url ?? '/').split('?')[0], result: String(res?.statusCode ?? 101) })
      }
    })
  }
  const handle = async (req: IncomingMessage, res: ServerResponse | undefined, socket?: Duplex, head?: Buffer) => {
    if (res) { for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v) }
    try {
      let url: URL
      try {
        url = new URL(req.url ?? '/', 'http://tocker')
      } catch {
        throw new TockerError(`invalid URL: ${JSON.stringify(req.url)}`, { code: 'EBADPATH' })
      }
      const method = req.method ?? 'GET'
      const { route: r, params } = match(table, method, url.pathname)
      let bodyPromise: Promise<any> | undefined
      let rest = head
      const spec = r.body
      if (spec === 'stream' && !socket) idleUntilBodyEnds(req, opts.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS)
      if (spec !== 'stream') {
        const limits: BodyLimits = { limit: spec.limit ?? DEFAULT_BODY_LIMIT, timeoutMs: spec.timeoutMs ?? opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS, what: `${method} ${url.pathname}` }
        const decode = (data: Buffer) => {
          const value = parseJsonBody(data)
          return spec.schema && value !== undefined ? spec.schema(value) : value
        }
        if (socket) {
          const split = await readUpgradeBody(socket, head ?? Buffer.alloc(0), req, limits)
          rest = split.rest
          bodyPromise = Promise.resolve(decode(split.body))
        } else if (hasBody(req)) {
          // Read (and check) before the handler runs: a refused body never reaches the engine.
          bodyPromise = readBody(req, limits).then(decode)
          await bodyPromise
        } else {
          bodyPromise = Promise.resolve(undefined)
        }
      }
      const ctx: Ctx = {
        req,
        res,
        socket,
        head: rest,
        params,
        query: url.searchParams,
        body: () => bodyPromise ?? Promise.reject(new TockerError(`${method} ${url.pathname} streams its body: read ctx.req`, { code: 'EINTERNAL' })),
      }
      const value = await r.handler(ctx)
      if (r.raw || !res) return
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
      try {
        sendError(req, res, socket, err, !!opts.debug)
      } catch {
        // The connection is beyond answering: drop it rather than the engine.
        ;(socket ?? res?.socket ?? req.socket)?.destroy()
      }
    }
  }
  const server = createServer(
    {
      // Slowloris: a client must finish its headers in time; Node checks every checkIntervalMs.
      headersTimeout: opts.headersTimeoutMs ?? 60_000,
      // Off: it would also cut streamed uploads (image loads) that are legitimately slow. JSON
      // bodies have their own time limit (http-body.ts); responses are never limited.
      requestTimeout: 0,
      connectionsCheckingInterval: opts.checkIntervalMs ?? 5_000,
      keepAliveTimeout: 5_000,
      // At most 16 KiB of headers (Node's default, said here so nobody raises it by accident).
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => void dispatch(req, res),
  )
  // Go's http.Server (Docker's) has no such cap and relies on the socket being root's; ours is
  // too, but a runaway script or a client that leaks connections must not take the engine's
  // memory and fds with it. Past the cap Node closes a new connection as it is accepted (the
  // client sees the connection reset); the engine says so on its log, once in a while.
  server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  let lastDropLogged = 0
  server.on('drop', () => {
    if (Date.now() - lastDropLogged < 10_000) return
    lastDropLogged = Date.now()
    process.stderr.write(`tockerd: ${server.maxConnections} API connections are open, the most allowed: refusing new ones until some close\n`)
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that goes away mid-stream must never take the engine down with it.
    socket.on('error', () => socket.destroy())
    void dispatch(req, undefined, socket, head)
  })
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()))
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed HTTP, too many headers (431), a headers timeout (408): answer if the socket still
    // can, then drop it. Node's default does the same; this one never throws on a dead socket.
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.writable)) return void socket.destroy()
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'
    const body = JSON.stringify({ message: status === 431 ? 'request headers too large' : status === 408 ? 'timeout reading the request headers' : `malformed HTTP request: ${err.message}` }) + '\n'
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  })
  return server
}

/** A streamed upload that stops sending for this long is cut (an image load from a stalled pipe). */
const DEFAULT_STREAM_IDLE_MS = 5 * 60_000

/**
 * A streamed body has no overall time limit (a big image over a slow pipe is fine), but a sender
 * that goes quiet mid-body is dropped after `ms` of silence. Once the body is in, the answer may
 * take as long as it takes (a load's progress, a long pull).
 */
function idleUntilBodyEnds(req: IncomingMessage, ms: number): void {
  if (!hasBody(req) || req.complete) return
  const socket = req.socket
  socket.setTimeout(ms, () => socket.destroy())
  req.once('end', () => socket.setTimeout(0))
  req.once('close', () => socket.setTimeout(0))
}

/** Does the request carry a body (a Content-Length above 0, or chunked)? */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length']
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined
}
