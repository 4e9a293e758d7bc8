// The engine API's transport: plain HTTP/1.1 over the unix socket (http1.ts: a small client over
// node:net, which says why not node:http), JSON bodies, Docker's error bodies turned into
// TockerErrors, the engine started on demand when no one listens, and the "hijacked" connections of
// attach/exec (HTTP Upgrade: tcp, then raw bytes both ways). client.ts names the endpoints.
import type { Socket } from 'node:net'
import type { Duplex, Readable } from 'node:stream'
import { codeOfStatus, TockerError } from '../errors.js'
import type { Http1Answer, Http1Request } from './http1-message.js'
import type { Http1Response } from './http1.js'
import { pipeUsable, requestOnPipe } from './pipe-request.js'
import { pipeConnect, type PipeConnection } from './unix-pipe.js'

/**
 * The node:net client (http1.ts), loaded by the first request that needs it: one that streams
 * (logs, attach, tar bodies, --explain's trace) or goes out on a connection opened beforehand
 * (preconnect). A command whose requests are whole JSON ones (ps, images, inspect) never loads
 * node:net (pipe-request.ts says why) when libuv's pipe handle can carry them.
 */
let http1: typeof import('./http1.js') | undefined
async function netClient(): Promise<typeof import('./http1.js')> {
  return (http1 ??= await import('./http1.js'))
}

export type Query = Record<string, string | number | boolean | undefined>

export function qs(q?: Query): string {
  if (!q) return ''
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

/** A spare connection older than this is closed unused (the engine drops idle ones after its headers timeout). */
const SPARE_MAX_AGE_MS = 1000

const NOT_RUNNING_CODES = new Set(['ECONNREFUSED', 'ENOENT'])

export function isEngineDown(err: unknown): boolean {
  return NOT_RUNNING_CODES.has((err as NodeJS.ErrnoException)?.code ?? '')
}

export class EngineTransport {
  #starting: Promise<void> | undefined
  /** `tocker --explain`'s trace session: sent with every request (X-Tocker-Session) so the engine reports our work to it. */
  traceSession: string | undefined
  /** Connections opened ahead of the requests about to use them (preconnect), oldest first. */
  #spares: { socket: Socket; at: number }[] = []
  /** The same on libuv's pipe handle, for whole requests (preconnect's `whole`). */
  #pipeSpares: { pipe: PipeConnection; at: number }[] = []

  /**
   * `startEngine`: called (once) when the first request finds no engine listening; the request
   * is then sent again. No separate ping: a command costs one round trip.
   */
  constructor(
    readonly socketPath: string,
    readonly startEngine?: () => Promise<void>,
  ) {}

  /**
   * Open `n` connections now, for the next `n` requests (of #send and hijack), and resolve once
   * they are connected or failed (never rejects: a request on a failed one connects anew and gets
   * the error itself). Why: a unix socket connects within connect(2), but node:net reports it only
   * in a later turn of the event loop, and a request written before that waits for the turn, behind
   * whatever else that turn runs first (in `run`, V8's young-generation GC, 3-10 ms, scheduled by the
   * code that built the request). Written on a connection that is already open, the request's bytes
   * go out within the write call. Unused spares do not keep the process alive.
   */
  async preconnect(n = 1, o: { whole?: boolean } = {}): Promise<void> {
    // `whole`: the next n requests are whole ones (create, start): on the pipe handle they need no
    // node:net, which then loads after the first of them is sent (run's create), not before.
    if (o.whole && pipeUsable()) {
      const opened: Promise<void>[] = []
      for (let i = 0; i < n; i++) {
        const pipe = pipeConnect(this.socketPath)!
        pipe.unref()
        this.#pipeSpares.push({ pipe, at: performance.now() })
        opened.push(pipe.ready)
      }
      await Promise.all(opened)
      return
    }
    const { connect } = http1 ?? (await netClient())
    const opened: Promise<void>[] = []
    for (let i = 0; i < n; i++) {
      const socket = connect(this.socketPath)
      socket.unref()
      // An unused spare's error (no engine) is nobody's: a request connects anew and reports it.
      socket.on('error', () => {})
      this.#spares.push({ socket, at: performance.now() })
      opened.push(
        new Promise((resolve) => {
          socket.once('connect', resolve)
          socket.once('close', () => resolve())
        }),
      )
    }
    await Promise.all(opened)
  }

  /** The oldest spare connection still open and young enough, or undefined (then a request connects). */
  #spare(): Socket | undefined {
    for (let s = this.#spares.shift(); s; s = this.#spares.shift()) {
      if (!s.socket.destroyed && performance.now() - s.at < SPARE_MAX_AGE_MS) return s.socket.ref()
      s.socket.destroy()
    }
    return undefined
  }

  /** The oldest spare pipe connection still good and young enough, or undefined. */
  #pipeSpare(): PipeConnection | undefined {
    for (let s = this.#pipeSpares.shift(); s; s = this.#pipeSpares.shift()) {
      if (s.pipe.usable() && performance.now() - s.at < SPARE_MAX_AGE_MS) return s.pipe
      s.pipe.close()
    }
    return undefined
  }

  /** One request; resolves with the response (body unread). */
  raw(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<Http1Response> {
    return this.#withEngine(() => this.#send(method, path, opts))
  }

  /** `send`; if no engine was listening, once more after starting one (when this client may). */
  async #withEngine<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send()
    } catch (err) {
      if (!this.startEngine || !isEngineDown(err)) throw err
    }
    await this.#engineStarted()
    return send()
  }

  /**
   * One start at a time (concurrent requests share it); once it has settled the next request that
   * finds no engine asks again: an engine can go away and come back during one command.
   */
  #engineStarted(): Promise<void> {
    return (this.#starting ??= this.startEngine!().finally(() => (this.#starting = undefined)))
  }

  #send(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string> }): Promise<Http1Response> {
    const r = this.#request(method, path, opts)
    // Once loaded, the request leaves within this call (as on a spare: preconnect says why).
    return http1 ? http1.request(r) : netClient().then((h) => h.request(r))
  }

  /**
   * A whole request: on a spare connection through node:net (already loaded: preconnect loaded
   * it), else on libuv's pipe handle when it can be used, else through node:net.
   */
  #whole(method: string, path: string, opts: { query?: Query; body?: unknown }): Promise<Http1Answer> {
    const pipe = this.#pipeSpare()
    if (pipe) return requestOnPipe(this.#request(method, path, opts, false), pipe)
    const r = this.#request(method, path, opts)
    if (r.socket) return http1!.requestWhole(r)
    if (pipeUsable()) return requestOnPipe(r)
    return netClient().then((h) => h.requestWhole(r))
  }

  /** `spare`: on a node:net spare connection when there is one. */
  #request(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string> }, spare = true): Http1Request {
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body))
    return {
      socketPath: this.socketPath,
      socket: spare ? this.#spare() : undefined,
      method,
      path: path + qs(opts.query),
      headers: {
        Host: 'tocker',
        ...(body ? { 'Content-Type': 'application/json' } : {}),
        ...(this.traceSession ? { 'X-Tocker-Session': this.traceSession } : {}),
        ...opts.headers,
      },
      body,
    }
  }

  /**
   * A request whose body is a tar stream (load, build, import, PUT archive): rejects with the engine's
   * error on an error status, else hands over the response. `traced` sends the --explain session
   * (the requests whose kernel work --explain shows).
   */
  protected async sendTar(method: string, path: string, tar: NodeJS.ReadableStream, o: { traced?: boolean; headers?: Record<string, string> } = {}): Promise<Http1Response> {
    const res = await (http1 ?? (await netClient())).request({
      socketPath: this.socketPath,
      method,
      path,
      headers: { Host: 'tocker', 'Content-Type': 'application/x-tar', ...(o.traced && this.traceSession ? { 'X-Tocker-Session': this.traceSession } : {}), ...o.headers },
      body: tar,
    })
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, await readBody(res))
    return res
  }

  async json<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const res: Http1Answer = await this.#withEngine(() => this.#whole(method, path, opts))
    // toString() without arguments: UTF-8 as toString('utf8') is, without its encoding lookup
    // (getEncodingOps, compiled at its first call: ~0.2 M instructions of every command).
    const text = res.body.toString()
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, text)
    return (text ? JSON.parse(text) : undefined) as T
  }

  /** A streamed response (logs): rejects on an error status, else hands over the body stream. */
  async stream(method: string, path: string, query?: Query): Promise<Http1Response> {
    const res = await this.raw(method, path, { query })
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, await readBody(res))
    return res
  }

  /**
   * Docker's hijack: POST with "Connection: Upgrade, Upgrade: tcp"; the engine answers
   * "101 UPGRADED" and the socket carries the container's stdio from then on.
   */
  hijack(path: string, query?: Query, body?: unknown): Promise<{ socket: Duplex; head: Buffer; multiplexed: boolean }> {
    return this.#withEngine(() => this.#hijack(path, query, body))
  }

  async #hijack(path: string, query?: Query, body?: unknown): Promise<{ socket: Duplex; head: Buffer; multiplexed: boolean }> {
    const h = http1 ?? (await netClient())
    const r = await h.request(this.#request('POST', path, { query, body, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } }), true)
    // Anything but "101 UPGRADED" is an answer instead of a stream: an error (404, 409, …).
    if (r instanceof h.Http1Response) throw errorFrom(r.statusCode, await readBody(r))
    return { socket: r.socket, head: r.head, multiplexed: r.response.headers['content-type'] === 'application/vnd.docker.multiplexed-stream' }
  }
}

export function readBody(res: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
  })
}

/** Docker's error body {"message": "..."} → a TockerError the CLI prints as Docker does. */
export function errorFrom(status: number, text: string): TockerError {
  let message = text.trim()
  let hint: string | undefined
  try {
    const body = JSON.parse(text) as { message?: string; hint?: string }
    message = body.message ?? message
    hint = body.hint
  } catch {
    /* not JSON: keep the text */
  }
  return new TockerError(message || `engine answered ${status}`, { code: codeOfStatus(status), status, daemon: true, hint })
}
