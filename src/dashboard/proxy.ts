// The page speaks the Docker Engine API itself: /api/<Docker path> is passed to the engine's unix
// socket as it is (a learner can watch the very calls `docker` would make in the browser's
// network tab). Only the calls the dashboard needs are let through; everything else is a 404 here.
// Streams (events, logs -f, pull progress) are piped as they come, and end upstream when the
// browser goes away.
import { request, type IncomingMessage, type ServerResponse } from 'node:http'
import { isEngineDown } from '../api/client.js'

/** The Docker API calls the page makes, as METHOD and path pattern. */
const ALLOWED: [string, RegExp][] = [
  ['GET', /^\/_ping$/],
  ['GET', /^\/version$/],
  ['GET', /^\/info$/],
  ['GET', /^\/events$/],
  ['GET', /^\/system\/df$/],
  ['GET', /^\/images\/json$/],
  ['POST', /^\/images\/create$/],
  ['GET', /^\/images\/.+\/(json|history)$/],
  ['DELETE', /^\/images\/.+$/],
  ['GET', /^\/containers\/json$/],
  ['POST', /^\/containers\/create$/],
  ['GET', /^\/containers\/[^/]+\/(json|logs|top|kernel)$/],
  ['POST', /^\/containers\/[^/]+\/(start|stop|restart|kill)$/],
  ['DELETE', /^\/containers\/[^/]+$/],
]

/** The engine's request bodies are small JSON (a create is the biggest); the engine bounds them too. */
const BODY_LIMIT = 1 << 20

export function allowed(method: string, path: string): boolean {
  return ALLOWED.some(([m, p]) => m === method && p.test(path))
}

export function engineDownMessage(socket: string): string {
  return `Cannot connect to the tocker engine at unix://${socket}. Is the tocker engine running?`
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy()
  const data = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), 'Cache-Control': 'no-store' })
  res.end(data)
}

/** Pass one API call to the engine: `path` is the Docker path with its query (without /api). */
export function proxy(socket: string, req: IncomingMessage, res: ServerResponse, path: string): void {
  const length = Number(req.headers['content-length'] ?? 0)
  if (length > BODY_LIMIT) return sendJson(res, 413, { message: `request body too large (${length} bytes; at most ${BODY_LIMIT})` })
  const up = request({
    socketPath: socket,
    method: req.method,
    path,
    headers: {
      Host: 'tocker',
      ...(req.headers['content-type'] ? { 'Content-Type': req.headers['content-type'] } : {}),
      ...(req.headers['content-length'] ? { 'Content-Length': req.headers['content-length'] } : {}),
      ...(req.headers['transfer-encoding'] ? { 'Transfer-Encoding': req.headers['transfer-encoding'] } : {}),
    },
  })
  let received = 0
  req.on('data', (d: Buffer) => {
    received += d.length
    if (received > BODY_LIMIT) {
      up.destroy()
      sendJson(res, 413, { message: `request body too large (more than ${BODY_LIMIT} bytes)` })
      req.destroy()
    }
  })
  req.pipe(up)
  up.on('response', (r) => {
    res.writeHead(r.statusCode ?? 502, {
      'Content-Type': r.headers['content-type'] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      ...(r.headers['content-length'] ? { 'Content-Length': r.headers['content-length'] } : {}),
    })
    res.flushHeaders()
    r.pipe(res)
    r.on('error', () => res.destroy())
  })
  up.on('error', (err) => {
    if (isEngineDown(err)) return sendJson(res, 502, { message: engineDownMessage(socket), engineDown: true })
    sendJson(res, 502, { message: `the engine's answer broke off: ${err.message}` })
  })
  // The browser went away (a closed logs pane, a closed tab): end the engine's side too, so an
  // /events or logs -f stream does not outlive its reader.
  res.on('close', () => up.destroy())
}
