// HTTP/1.1 as the CLI speaks it to the engine, without any connection: a request's head (what
// may be sent, how its body is framed) and the response parser, fed the bytes of whichever
// connection carries them (http1.ts: node:net; pipe-request.ts: libuv's pipe itself). No Node
// module is loaded here: `tocker ps` reaches this file without node:net or node:stream.
import type { Socket } from 'node:net'
import { TockerError } from '../errors.js'

export interface Http1Request {
  socketPath: string
  /**
   * A connection to socketPath opened beforehand (EngineTransport.preconnect), used instead of a
   * new one: once connected, the request's bytes go out within this call.
   */
  socket?: Socket
  method: string
  /** The request target: path and query, already percent-encoded. */
  path: string
  headers: Record<string, string>
  /** A whole body (sent with Content-Length) or a stream (sent chunked). */
  body?: Buffer | NodeJS.ReadableStream
}

/** Response headers: lower-case names, repeated ones joined with ", " (as node:http does). */
export type Http1Headers = Record<string, string>

/** A whole answer: its head and its body, read to the end. */
export interface Http1Answer {
  statusCode: number
  headers: Http1Headers
  body: Buffer
}

/** The head cap: the engine's heads are a few hundred bytes. */
const MAX_HEAD = 64 * 1024

/** node:http's message and code for a connection that ended before its response did (cli/reconnect.ts knows the code). */
export function hangUp(message = 'socket hang up'): TockerError {
  return new TockerError(message, { code: 'ECONNRESET', internal: true })
}

/** A request we refuse to send (our own bug, never the user's input: paths and queries are encoded). */
function unsafe(what: string): TockerError {
  return new TockerError(`refusing to send an HTTP request with ${what}`, { code: 'EHTTPREQUEST', internal: true })
}

function malformed(what: string): TockerError {
  return new TockerError(`the engine sent a malformed HTTP response: ${what}`, { code: 'EHTTPRESPONSE', internal: true })
}

/** CR, LF or NUL in a request line or header would split the request: only printable ASCII is sent. */
const UNSAFE_PATH = /[^\x21-\x7e]/
const UNSAFE_VALUE = /[^\t\x20-\x7e]/
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * The head of request `r`, its body's framing included: a whole body is sent with its
 * Content-Length, a stream chunked; `upgrade` (the hijack) keeps the connection, anything else
 * asks the engine to close it after its answer. Throws (EHTTPREQUEST) on what must not be sent.
 */
export function requestHeadOf(r: Http1Request, upgrade: boolean): string {
  const body = r.body
  const framing = body === undefined
    ? (r.method === 'POST' || r.method === 'PUT' ? 'Content-Length: 0\r\n' : '')
    : Buffer.isBuffer(body)
    ? `Content-Length: ${body.length}\r\n`
    : 'Transfer-Encoding: chunked\r\n'
  return requestHead(r, framing + (upgrade ? '' : 'Connection: close\r\n'))
}

function requestHead(r: Http1Request, framing: string): string {
  if (UNSAFE_PATH.test(r.path)) throw unsafe(`unescaped characters in its path: ${JSON.stringify(r.path)}`)
  if (!TOKEN.test(r.method)) throw unsafe(`an invalid method: ${JSON.stringify(r.method)}`)
  let head = `${r.method} ${r.path} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(r.headers)) {
    if (!TOKEN.test(name) || UNSAFE_VALUE.test(value)) throw unsafe(`an invalid header: ${JSON.stringify(name)}`)
    head += `${name}: ${value}\r\n`
  }
  return head + framing + '\r\n'
}

export interface ResponseHead {
  status: number
  message: string
  headers: Http1Headers
}

interface ParserEvents {
  /** The head is in: 'body' to read the body next, 'upgrade' for a 101 that hands the connection over. */
  head(h: ResponseHead): 'body' | 'upgrade'
  data(d: Buffer): void
  end(): void
  upgrade(rest: Buffer): void
}

/**
 * An HTTP/1.1 response, fed in pieces of any size: its head, then its body framed by chunked
 * transfer coding, Content-Length, or the end of the connection (RFC 9112 §6.3). Throws on what
 * is not HTTP (the connection is then dropped). Exported for its tests.
 */
type ParserState = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'close' | 'done'

export class ResponseParser {
  #state: ParserState = 'head'
  /** Bytes of a head or line not yet whole, kept for the next feed. */
  #buf: Buffer | undefined
  #left = 0

  constructor(
    readonly noBody: boolean,
    readonly on: ParserEvents,
  ) {}

  feed(d: Buffer): void {
    let b = this.#buf ? Buffer.concat([this.#buf, d]) : d
    this.#buf = undefined
    while (b.length) {
      switch (this.#state) {
        case 'head': {
          const end = lineEnd(b, true)
          if (end < 0) {
            if (b.length > MAX_HEAD) throw malformed(`a head longer than ${MAX_HEAD} bytes`)
            this.#buf = b
            return
          }
          const h = parseHead(latin1(b, end))
          b = b.subarray(end + 4)
          if (h.status >= 100 && h.status < 200 && h.status !== 101) continue // 100 Continue and friends: the real head follows
          if (this.on.head(h) === 'upgrade') {
            this.#state = 'done'
            this.on.upgrade(b)
            return
          }
          // A body-less response ends here: anything after it is not ours.
          if (this.#begin(h) === 'done') return
          continue
        }
        case 'length': {
          b = this.#take(b)
          if (this.#left === 0) return this.#end()
          continue
        }
        case 'close':
          this.on.data(b)
          return
        case 'chunk-size':
        case 'trailer': {
          const eol = lineEnd(b, false)
          if (eol < 0) {
            if (b.length > 4096) throw malformed('a chunk-size or trailer line longer than 4096 bytes')
            this.#buf = b
            return
          }
          const line = latin1(b, eol)
          b = b.subarray(eol + 2)
          if (this.#state === 'trailer') {
            if (line === '') return this.#end()
            continue
          }
          const size = line.split(';', 1)[0].trim()
          if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw malformed(`a bad chunk size ${JSON.stringify(line.slice(0, 40))}`)
          this.#left = parseInt(size, 16)
          this.#state = this.#left === 0 ? 'trailer' : 'chunk-data'
          continue
        }
        case 'chunk-data': {
          b = this.#take(b)
          if (this.#left === 0) this.#state = 'chunk-crlf'
          continue
        }
        case 'chunk-crlf': {
          if (b.length < 2) {
            if (b[0] !== 0x0d) throw malformed('no CRLF after a chunk')
            this.#buf = b
            return
          }
          if (b[0] !== 0x0d || b[1] !== 0x0a) throw malformed('no CRLF after a chunk')
          b = b.subarray(2)
          this.#state = 'chunk-size'
          continue
        }
        case 'done':
          return // bytes after the response (the engine closes the connection): ignored
      }
    }
  }

  /** Hand on the part of `b` that belongs to the body's current piece (#left bytes at most); the rest of `b`. */
  #take(b: Buffer): Buffer {
    const n = Math.min(this.#left, b.length)
    this.on.data(b.subarray(0, n))
    this.#left -= n
    return b.subarray(n)
  }

  /** The connection ended: the end of a close-delimited body, else too early. */
  finish(): void {
    if (this.#state === 'close') return this.#end()
    if (this.#state !== 'done') throw hangUp(this.#state === 'head' ? 'socket hang up' : 'aborted')
  }

  #begin(h: ResponseHead): ParserState {
    const te = h.headers['transfer-encoding']
    const cl = h.headers['content-length']
    if (this.noBody || h.status === 204 || h.status === 304) this.#end()
    else if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) throw malformed(`a Transfer-Encoding without chunked last: ${JSON.stringify(te)}`)
      this.#state = 'chunk-size'
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl.trim())) throw malformed(`a bad Content-Length ${JSON.stringify(cl)}`)
      this.#left = Number(cl.trim())
      if (this.#left === 0) this.#end()
      else this.#state = 'length'
    } else {
      this.#state = 'close'
    }
    return this.#state
  }

  #end(): void {
    this.#state = 'done'
    this.on.end()
  }
}

/**
 * Where the first CRLF (`blank`: CRLF CRLF, the head's end) in `b` starts, or -1. A loop over the
 * bytes, not Buffer's indexOf: its first call in a process compiles Node's search code
 * (bidirectionalIndexOf and the encodings' indexOf), ~0.3 M instructions of a `tocker ps`
 * (callgrind), for a head of a few hundred bytes.
 */
function lineEnd(b: Buffer, blank: boolean): number {
  for (let i = 0; i + (blank ? 3 : 1) < b.length; i++) {
    if (b[i] === 0x0d && b[i + 1] === 0x0a && (!blank || (b[i + 2] === 0x0d && b[i + 3] === 0x0a))) return i
  }
  return -1
}

/**
 * `b`'s first `end` bytes as latin1 text: Buffer's own latin1Slice, what toString('latin1') ends in,
 * without toString's encoding lookup (getEncodingOps), compiled at its first call: ~0.2 M
 * instructions of every command's request.
 */
function latin1(b: Buffer, end: number): string {
  return (b as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, end)
}

function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n')
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0])
  if (!m) throw malformed(`a status line ${JSON.stringify(lines[0].slice(0, 60))}`)
  const headers: Http1Headers = {}
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]
    const colon = line.indexOf(':')
    if (colon <= 0) throw malformed(`a header line ${JSON.stringify(line.slice(0, 60))}`)
    const name = line.slice(0, colon).toLowerCase()
    if (!TOKEN.test(name)) throw malformed(`a header name ${JSON.stringify(name.slice(0, 60))}`)
    const value = line.slice(colon + 1).trim()
    if (name === 'content-length' && headers[name] !== undefined && headers[name] !== value) throw malformed('two different Content-Length headers')
    headers[name] = headers[name] === undefined || name === 'content-length' ? value : `${headers[name]}, ${value}`
  }
  return { status: Number(m[1]), message: m[2] ?? '', headers }
}
