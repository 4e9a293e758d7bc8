// Reading request bodies with bounds. An API client is not trusted to be small or quick: a body
// larger than its route allows is refused with 413 before it is read (Content-Length) or as soon as
// it passes the limit (chunked), and a client that sends its body too slowly gets 408. Nothing is
// ever held in memory beyond the route's limit.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { TockerError } from '../errors.js'

/** What a JSON body may weigh unless its route says otherwise (Docker's own bodies are a few KiB). */
export const DEFAULT_BODY_LIMIT = 1 << 20
/** How long a client may take to send a (small, JSON) body once its headers are in. */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000

export interface BodyLimits {
  /** Bytes. */
  limit: number
  timeoutMs: number
  /** "POST /containers/create", for the messages. */
  what: string
}

export function tooLarge(size: number | undefined, l: BodyLimits): TockerError {
  const got = size === undefined ? `more than ${l.limit} bytes` : `${size} bytes`
  return new TockerError(`request body too large for ${l.what}: ${got}, at most ${l.limit} bytes`, { code: 'EBODYTOOLARGE' })
}

function tooSlow(l: BodyLimits): TockerError {
  return new TockerError(`timeout reading the request body of ${l.what}: not received within ${l.timeoutMs / 1000} s`, { code: 'EBODYTIMEOUT' })
}

/** The declared Content-Length; NaN for a malformed one (node:http already refuses most of those). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const h = req.headers['content-length']
  if (h === undefined) return undefined
  return /^\d+$/.test(h) ? Number(h) : NaN
}

/** The whole body of a plain request, within `l`. */
export function readBody(req: IncomingMessage, l: BodyLimits): Promise<Buffer> {
  const declared = declaredLength(req)
  if (declared !== undefined && !(declared <= l.limit)) return Promise.reject(Number.isNaN(declared) ? badLength() : tooLarge(declared, l))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (err?: Error) => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
      if (err) {
        // Stop reading: the reply (sent with Connection: close) ends the connection.
        req.pause()
        reject(err)
      } else resolve(Buffer.concat(chunks, size))
    }
    const onData = (c: Buffer) => {
      size += c.length
      if (size > l.limit) return done(tooLarge(undefined, l))
      chunks.push(c)
    }
    const onEnd = () => done()
    const onError = (err: Error) => done(err)
    const onAborted = () => done(new TockerError('the client closed the connection while sending the request body', { code: 'EINVALID' }))
    const timer = setTimeout(() => done(tooSlow(l)), l.timeoutMs)
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('aborted', onAborted)
  })
}

/**
 * An upgraded (hijacked) request's body is not parsed by node:http: it is the first Content-Length
 * bytes of the connection; what follows is already the client's stdin (`rest`).
 */
export async function readUpgradeBody(socket: Duplex, head: Buffer, req: IncomingMessage, l: BodyLimits): Promise<{ body: Buffer; rest: Buffer }> {
  const declared = declaredLength(req) ?? 0
  if (Number.isNaN(declared)) throw badLength()
  if (declared > l.limit) throw tooLarge(declared, l)
  let buf = head
  const deadline = Date.now() + l.timeoutMs
  while (buf.length < declared) {
    const chunk = await new Promise<Buffer | undefined | 'timeout'>((resolve) => {
      const finish = (v: Buffer | undefined | 'timeout') => {
        clearTimeout(timer)
        socket.off('data', onData)
        socket.off('end', onEnd)
        socket.off('close', onEnd)
        socket.pause()
        resolve(v)
      }
      const onData = (d: Buffer) => finish(d)
      const onEnd = () => finish(undefined)
      const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - Date.now()))
      socket.once('data', onData)
      socket.once('end', onEnd)
      socket.once('close', onEnd)
      socket.resume()
    })
    if (chunk === 'timeout') throw tooSlow(l)
    if (!chunk) break
    buf = Buffer.concat([buf, chunk])
  }
  return { body: buf.subarray(0, declared), rest: buf.subarray(declared) }
}

function badLength(): TockerError {
  return new TockerError('invalid Content-Length header', { code: 'EINVALID' })
}

/** A body's bytes as JSON (undefined for an empty body); 400 naming the problem otherwise. */
export function parseJsonBody(data: Buffer): unknown {
  const text = data.toString('utf8')
  if (!text.trim()) return undefined
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new TockerError(`invalid JSON in the request body: ${(err as Error).message}`, { code: 'EBADBODY' })
  }
}
