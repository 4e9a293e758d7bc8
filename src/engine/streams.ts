// A container's output to a client: `logs` (what the json-file log holds, then, with -f, what it
// gets until the container stops) and `attach` (from now on, plus the client's bytes into the
// container's stdin). The engine hands out stdout/stderr chunks to an OutputSink; how they travel
// (HTTP response or hijacked connection, Docker's 8-byte frames or a TTY's raw bytes) is the API's
// business (api/streams.ts).
import { TockerError } from '../errors.js'
import type { RuntimeBackend } from './backend.js'
import type { ExitMonitor } from './exits.js'
import { ATTACH_HOLD_AHEAD, streamLog, type LogEmit, type LogEntry, type LogStats } from './logs.js'
import type { ContainerRecord } from './state.js'

export type StdStream = 'stdout' | 'stderr'

/** Where output goes. Writes after the client went away are dropped. */
export interface OutputSink {
  write(stream: StdStream, data: Buffer): void
  /** Resolves when the client can take more (what was written has drained), or is gone. */
  ready?(): Promise<void>
  end(): void
  /** Resolves when the client goes away. */
  readonly closed: Promise<void>
}

/** A hijacked connection (attach, exec): output one way, the client's bytes (stdin) the other. */
export interface ClientConnection extends OutputSink {
  /** The client's bytes; a consumer pauses/resumes it. Unread bytes are discarded with resume(). */
  readonly input: NodeJS.ReadableStream
}

export interface LogsQuery {
  follow: boolean
  stdout: boolean
  stderr: boolean
  timestamps: boolean
  tail?: number
  since?: number
  until?: number
}

export interface AttachOptions {
  stream: boolean
  logs: boolean
  stdin: boolean
  stdout: boolean
  stderr: boolean
}

/**
 * How long a removal waits for the container's attach streams to deliver what its log holds: they
 * end at its exit once the log is read to its end; only a client that does not read takes longer,
 * and it keeps the log open (a descriptor outlives the removal), so the removal goes on then.
 */
export const ATTACH_DRAIN_MS = 2000

export class Streams {
  /** Per container, its attach streams still delivering (attachesDone). */
  readonly #attaching = new Map<string, Set<Promise<void>>>()

  constructor(
    readonly exits: ExitMonitor,
    readonly runtime: RuntimeBackend,
    /** The engine's --debug log. */
    readonly debug: (msg: string) => void = () => {},
  ) {}

  /** `open(tty)` is called once the request is known to be valid: it starts the response. */
  async logs(rec: ContainerRecord, q: LogsQuery, open: (tty: boolean) => OutputSink): Promise<void> {
    const tty = !!rec.Config.Tty
    if (!q.stdout && !q.stderr) throw new TockerError('Bad parameters: you must choose at least one stream', { code: 'EINVALID', daemon: true })
    const out = open(tty)
    const opts = { stdout: q.stdout, stderr: q.stderr, since: q.since, until: q.until, tail: q.tail }
    const follow = q.follow && rec.State.Running ? { exited: this.#nextExit(rec), cancelled: out.closed } : undefined
    await this.#stream(rec, opts, sinkEmit(out, q.timestamps), follow)
    out.end()
  }

  /**
   * Attach to the container's stdio: what it writes from now on (read from its log file, which
   * the shim writes even when nobody is attached) and, with stdin, the connection's bytes into
   * its stdin. Ends when the current (or, if not running, the next) run ends.
   *
   * `connect` opens the client's connection (the API's "101 UPGRADED"): it is called once the
   * point the stream starts from is placed, not before. Docker's CLI (and ours) starts the
   * container when it has the 101; a 101 sent before the start was placed let a restarted
   * container (`start -a`) write before the end of its old log was taken as the start, and its
   * first output was skipped.
   */
  async attach(rec: ContainerRecord, connect: () => ClientConnection, o: AttachOptions): Promise<void> {
    const opts = { stdout: o.stdout, stderr: o.stderr, tail: o.logs ? undefined : 0 }
    let cancel!: () => void
    const cancelled = new Promise<void>((resolve) => (cancel = resolve))
    let conn: ClientConnection | undefined
    const open = (): ClientConnection => {
      if (conn) return conn
      conn = connect()
      void conn.closed.then(cancel)
      if (o.stream) {
        if (o.stdin && rec.Config.OpenStdin && this.runtime.openStdin) {
          // The client's bytes go to the container's stdin from here on: the output's start is
          // placed, so a line typed at once is answered after that start and the answer shown.
          conn.input.pause()
          void this.#pipeStdin(rec, conn)
        } else {
          conn.input.resume() // discard
        }
      }
      return conn
    }
    const follow = o.stream ? { exited: this.#nextExit(rec), cancelled, positioned: () => void open(), holdAhead: ATTACH_HOLD_AHEAD } : undefined
    if (!follow) open()
    let emit: LogEmit | undefined
    const streaming = this.#stream(rec, opts, (entries) => (emit ??= sinkEmit(open(), false))(entries), follow)
    if (follow) this.#track(rec.Id, streaming)
    await streaming
    open().end()
  }

  /**
   * Resolves once every attach stream of the container has delivered what its log holds, or after
   * `boundMs`. The removal waits for this before it moves the container's directory (and its log)
   * away: an attachment made before the start may not have found the log yet when a quick program
   * has already ended (its follower is still placing its start, a turn of the event loop or a
   * thread-pool open behind the start's work), and would find nothing once the log is gone.
   */
  attachesDone(id: string, boundMs = ATTACH_DRAIN_MS): Promise<void> {
    const streams = this.#attaching.get(id)
    if (!streams?.size) return Promise.resolve()
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)))
    return Promise.race([Promise.allSettled([...streams]).then(() => {}), bound]).finally(() => clearTimeout(timer))
  }

  #track(id: string, streaming: Promise<void>): void {
    let streams = this.#attaching.get(id)
    if (!streams) this.#attaching.set(id, streams = new Set())
    streams.add(streaming)
    const done = () => {
      streams.delete(streaming)
      if (!streams.size && this.#attaching.get(id) === streams) this.#attaching.delete(id)
    }
    streaming.then(done, done)
  }

  /** The end of the current (or next) run, as soon as it is known: the log then holds all of it. */
  #nextExit(rec: ContainerRecord): Promise<void> {
    return new Promise<void>((resolve) => this.exits.onNextExit(rec.Id, resolve, 'ended'))
  }

  /** The log through `emit` (logs.ts bounds the cost); torn lines met on the way go to the debug log. */
  async #stream(rec: ContainerRecord, opts: Parameters<typeof streamLog>[1], emit: LogEmit, follow: Parameters<typeof streamLog>[3]): Promise<void> {
    const stats: LogStats = { torn: 0, lateError: (err) => this.debug(`logs of ${rec.Id}: closing ${rec.LogPath}: ${err.message}`) }
    try {
      await streamLog(rec.LogPath, opts, emit, follow, stats)
    } finally {
      if (stats.torn) this.debug(`logs of ${rec.Id}: skipped ${stats.torn} torn line(s) in ${rec.LogPath} (an entry cut by a full disk or a killed shim)`)
    }
  }

  async #pipeStdin(rec: ContainerRecord, conn: ClientConnection): Promise<void> {
    const input = conn.input // paused by attach() until now
    // The container's output still reaches the client when its stdin cannot be opened (e.g. the
    // container ended meanwhile): the reason goes to the debug log instead of vanishing.
    const stdin = await this.runtime.openStdin!(rec).catch((err: Error) => void this.debug(`attach to ${rec.Id}: its stdin could not be opened: ${err.message}`))
    if (!stdin) return void input.resume()
    input.on('data', (d: Buffer) => {
      // The container's pace: when it does not read its stdin, the client waits (not the engine's memory).
      if (!stdin.write(d)) {
        input.pause()
        stdin.once('drain', () => input.resume())
      }
    })
    const close = () => {
      // Docker's StdinOnce: the container's stdin closes when the attached client's does — but
      // not with a TTY (moby: CloseStdin && !TTY): there EOF is a key (Ctrl-D) the terminal
      // sends as a byte, and a client that went away (Ctrl-P Ctrl-Q) leaves the shell running.
      if (rec.Config.StdinOnce && !rec.Config.Tty) stdin.end()
    }
    input.on('end', close)
    input.on('close', close)
    // EPIPE when the container closed its stdin or ended: the client's further bytes have nowhere to go.
    stdin.on('error', (err) => this.debug(`attach to ${rec.Id}: writing its stdin: ${err.message}`))
    input.resume()
  }
}

/**
 * Entries to a sink: one write per run of entries of the same stream (a multiplexed frame may
 * hold many lines), then wait until the client took them. False once the client is gone.
 */
function sinkEmit(out: OutputSink, timestamps: boolean): LogEmit {
  let gone = false
  void out.closed.then(() => (gone = true))
  return async (entries) => {
    if (gone) return false
    for (let i = 0; i < entries.length;) {
      const stream = entries[i].stream
      const parts: Buffer[] = []
      for (; i < entries.length && entries[i].stream === stream; i++) parts.push(entryBytes(entries[i], timestamps))
      out.write(stream, parts.length === 1 ? parts[0] : Buffer.concat(parts))
    }
    await out.ready?.()
    return !gone
  }
}

/** One log entry's bytes, with Docker's timestamp in front when asked for. */
function entryBytes(e: LogEntry, timestamps: boolean): Buffer {
  const data = Buffer.from(e.log, 'utf8')
  return timestamps ? Buffer.concat([Buffer.from(`${fixedNano(e.time)} `), data]) : data
}

/** Docker prints log timestamps with exactly 9 fractional digits (RFC3339NanoFixed). */
function fixedNano(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-].*)$/.exec(time)
  if (!m) return time
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`
}
