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
import { type Http1Answer, type Http1Headers, type Http1Request, hangUp, requestHeadOf, type ResponseHead, ResponseParser } from './http1-message.js'

export { type Http1Answer, type Http1Headers, type Http1Request, type ResponseHead, ResponseParser } from './http1-message.js'
/** node:net's connect, for transport.ts's preconnect: node:net is loaded only with this file. */
export { connect }

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
  let head: string
  try {
    head = requestHeadOf(r, upgrade)
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
