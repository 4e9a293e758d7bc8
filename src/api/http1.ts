// A small HTTP/1.1 client for the engine's unix socket, over node:net: one connection per request
// (Connection: close), a JSON or streamed (chunked) request body, a response read as Content-Length,
// chunked or until the connection closes, and Docker's "hijack" (101 UPGRADED, then raw bytes).
//
// Why not node:http or undici (measured: test/bench/http-start.mjs, CPU of one GET over a unix
// socket, as × `node -e 0` in one run): node:http 1.29×, raw net 1.20×, undici 3.2× and fetch 3.2×
// (both compile llhttp's WebAssembly at start), against an issue goal of `tocker ps` ≤ 1.2×. The
// CLI sends a handful of requests per command to one server we write ourselves; node:http's
// agent, its header validation tables and its parser binding cost more to load than the whole
// exchange, and undici's parser costs more still. What HTTP/1.1 needs here is small and is tested
// on its own (test/unit/api/http1.test.ts: responses split at every byte, chunked bodies, errors,
// upgrade).
import { connect, type Socket } from 'node:net'
import { type Duplex, Readable } from 'node:stream'
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

/** A response whose body is this stream; `socket` is its connection (unref it to not keep the process alive). */
export class Http1Response extends Readable {
  statusCode = 0
  statusMessage = ''
  headers: Http1Headers = {}
  /** The whole body came (as node:http's IncomingMessage.complete): false for one cut short. */
  complete = false
  constructor(readonly socket: Socket) {
    super()
  }
  override _read(): void {
    this.socket.resume() // backpressure: the socket is paused while our buffer is full
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Read to its end (a Readable destroys itself after 'end'): the connection is done with.
    if (this.complete && !err) letGo(this.socket)
    else this.socket.destroy()
    cb(err)
  }
}

/** How long a connection whose answer is all in stays open before it is closed (letGo says why). */
const LET_GO_MS = 1000
const lettingGo = new Set<Duplex>()
let closing: NodeJS.Timeout | undefined

/**
 * A connection whose answer is all in (or an attach stream the engine ended): unref'd and closed
 * a while later (LET_GO_MS, all at once), not destroyed now. A one-shot command (ps, images, run)
 * has exited by then and the kernel closes the socket with the process. Why: a destroy's close
 * callback comes a loop turn later and the process waits for it before it can exit (~0.7 ms at
 * the end of an attached `run`, timeline of 12 runs), and node:net's first destroy creates
 * process.stderr (its _destroy compares `this !== process.stderr`), a stream of its own that a
 * command which prints nothing on stderr never needs. allowHalfOpen: the engine's FIN (it closes
 * after each answer) would otherwise make node:net end and destroy the socket by itself. A
 * long-lived command (run -it, logs -f, stats) still closes its answered connections, a second later.
 */
export function letGo(socket: Duplex): void {
  socket.allowHalfOpen = true
  ;(socket as Partial<Socket>).unref?.()
  lettingGo.add(socket)
  closing ??= setTimeout(() => {
    closing = undefined
    for (const s of lettingGo) s.destroy()
    lettingGo.clear()
  }, LET_GO_MS).unref()
}

export interface Http1Upgraded {
  response: Http1Response
  /** The connection after the 101: raw bytes both ways. */
  socket: Socket
  /** What came after the response head in the same read: the first bytes of the raw stream. */
  head: Buffer
}

/** The head cap: the engine's heads are a few hundred bytes. */
const MAX_HEAD = 64 * 1024

/** node:http's message and code for a connection that ended before its response did (cli/reconnect.ts knows the code). */
function hangUp(message = 'socket hang up'): TockerError {
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

/**
 * Send one request; resolves with the response once its head is in (the body is the stream), or,
 * when `upgrade` and the engine answers 101, with the connection itself. Rejects with the socket's
 * error (ENOENT, ECONNREFUSED: no engine) or ECONNRESET when the connection ends before the head.
 */
export function request(r: Http1Request): Promise<Http1Response>
export function request(r: Http1Request, upgrade: true): Promise<Http1Response | Http1Upgraded>
export function request(r: Http1Request, upgrade = false): Promise<Http1Response | Http1Upgraded> {
  return exchange(r, upgrade ? 'upgrade' : 'stream') as Promise<Http1Response | Http1Upgraded>
}

/** A whole answer: its head and its body, read to the end. */
export interface Http1Answer {
  statusCode: number
  headers: Http1Headers
  body: Buffer
}

/**
 * Send one request and resolve once the whole answer is in (the API's JSON answers). Not through a
 * Readable: a process's first stream push, flow and 'end' cost ~1 ms of first-use work in Node,
 * between the engine's answer and the command's next step (run's wait, ps's table).
 */
export function requestWhole(r: Http1Request): Promise<Http1Answer> {
  return exchange(r, 'whole') as Promise<Http1Answer>
}

function exchange(r: Http1Request, mode: 'stream' | 'upgrade' | 'whole'): Promise<Http1Response | Http1Upgraded | Http1Answer> {
  const upgrade = mode === 'upgrade'
  const body = r.body
  const whole = Buffer.isBuffer(body)
  const framing = body === undefined
    ? (r.method === 'POST' || r.method === 'PUT' ? 'Content-Length: 0\r\n' : '')
    : whole
    ? `Content-Length: ${body.length}\r\n`
    : 'Transfer-Encoding: chunked\r\n'
  let head: string
  try {
    head = requestHead(r, framing + (upgrade ? '' : 'Connection: close\r\n'))
  } catch (err) {
    r.socket?.destroy() // a spare connection would otherwise keep the process alive
    throw err
  }
  return new Promise((resolve, reject) => {
    const socket = r.socket ?? connect(r.socketPath)
    // mode 'whole': no stream, the head and the body's pieces until they are all in.
    const res = mode === 'whole' ? undefined : new Http1Response(socket)
    let answer: ResponseHead | undefined
    const pieces: Buffer[] = []
    let settled = false
    let done = false // the whole response is in: what the socket does next does not matter
    const parser = new ResponseParser(r.method === 'HEAD', {
      head: (h) => {
        if (!res) {
          answer = h
          return 'body'
        }
        res.statusCode = h.status
        res.statusMessage = h.message
        res.headers = h.headers
        if (upgrade && h.status === 101) return 'upgrade'
        settled = true
        resolve(res)
        return 'body'
      },
      data: (d) => {
        if (!res) pieces.push(d)
        else if (!res.push(d)) socket.pause()
      },
      end: () => {
        done = true
        if (!res) {
          settled = true
          resolve({ statusCode: answer!.status, headers: answer!.headers, body: pieces.length === 1 ? pieces[0] : Buffer.concat(pieces) })
        } else {
          res.complete = true
          res.push(null)
        }
        letGo(socket)
      },
      upgrade: (rest) => {
        settled = done = true
        socket.off('data', onData)
        socket.off('end', onEnd)
        socket.off('error', onError)
        // Paused until the caller listens: bytes that arrive before then wait in the socket.
        socket.pause()
        const resumeOnListen = (event: string | symbol) => {
          if (event !== 'data') return
          socket.off('newListener', resumeOnListen)
          process.nextTick(() => socket.resume())
        }
        socket.on('newListener', resumeOnListen)
        resolve({ response: res!, socket, head: rest })
      },
    })
    const fail = (err: Error) => {
      if (done) return
      done = true
      if (!settled) {
        settled = true
        socket.destroy()
        reject(err)
      } else {
        res?.destroy(err)
      }
    }
    const onData = (d: Buffer) => {
      try {
        parser.feed(d)
      } catch (err) {
        fail(err as Error)
      }
    }
    const onEnd = () => {
      try {
        parser.finish()
      } catch (err) {
        fail(err as Error)
      }
    }
    const onError = (err: Error) => fail(err)
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('error', onError)
    // Only when it matters: an Error (its stack trace) costs more than the rest of a short request.
    socket.on('close', () => done || fail(hangUp()))
    if (body === undefined || whole) {
      socket.write(body?.length ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1'))
      return
    }
    socket.write(Buffer.from(head, 'latin1'))
    const src = body as NodeJS.ReadableStream
    src.on('data', (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (!b.length || done || socket.destroyed) return
      if (!socket.write(Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, CRLF]))) {
        src.pause()
        socket.once('drain', () => src.resume())
      }
    })
    src.on('end', () => {
      if (!done && !socket.destroyed) socket.write(LAST_CHUNK)
    })
    src.on('error', (err: Error) => fail(err))
  })
}

const CRLF = Buffer.from('\r\n')
const LAST_CHUNK = Buffer.from('0\r\n\r\n')

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
  #buf: Buffer = Buffer.alloc(0)
  #left = 0

  constructor(
    readonly noBody: boolean,
    readonly on: ParserEvents,
  ) {}

  feed(d: Buffer): void {
    let b = this.#buf.length ? Buffer.concat([this.#buf, d]) : d
    this.#buf = Buffer.alloc(0)
    while (b.length) {
      switch (this.#state) {
        case 'head': {
          const end = b.indexOf('\r\n\r\n')
          if (end < 0) {
            if (b.length > MAX_HEAD) throw malformed(`a head longer than ${MAX_HEAD} bytes`)
            this.#buf = b
            return
          }
          const h = parseHead(b.subarray(0, end).toString('latin1'))
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
          const n = Math.min(this.#left, b.length)
          this.on.data(b.subarray(0, n))
          b = b.subarray(n)
          this.#left -= n
          if (this.#left === 0) return this.#end()
          continue
        }
        case 'close':
          this.on.data(b)
          return
        case 'chunk-size':
        case 'trailer': {
          const eol = b.indexOf('\r\n')
          if (eol < 0) {
            if (b.length > 4096) throw malformed('a chunk-size or trailer line longer than 4096 bytes')
            this.#buf = b
            return
          }
          const line = b.subarray(0, eol).toString('latin1')
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
          const n = Math.min(this.#left, b.length)
          this.on.data(b.subarray(0, n))
          b = b.subarray(n)
          this.#left -= n
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
