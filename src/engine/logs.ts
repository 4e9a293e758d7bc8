// Reading a container's json-file log (written by the shim's logs.c): the rotated files in order,
// `--tail N`, `--since`/`--until`, and `-f` (follow the file as it grows and across rotations until
// the container stops). Docker's format: one {"log","stream","time"} object per line.
//
// The cost is bounded whatever the container writes, because the engine serves every client from
// one thread:
//   - reads are asynchronous (libuv's threadpool) and 64 KiB at a time, so the event loop runs
//     between chunks (`ps` answers while a `logs -f` follows a container writing at full speed);
//   - after each chunk the consumer's `emit` is awaited: it resolves when the client has taken what
//     it got (backpressure), so a slow client slows the reading, never fills the engine's memory;
//   - `--tail N` reads backwards from the end, a chunk at a time, until it has N entries, then
//     streams forward from there: a 30 MB log costs the last few KiB, not a parse of 30 MB;
//   - nothing holds the whole log: a full `logs` is a stream of chunks.
// Torn lines (the writer died or the disk filled mid-entry; see logs.c) are skipped at the next
// newline and counted; an entry glued to a torn one on the same line is still found.
// Lines, parsing and reading backwards: log-lines.ts.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { TockerError } from '../errors.js'

import { pinLog } from './log-pin.js'
import { CHUNK, Lines, logFiles, openLog, parseLogLine, tailStart, wanted, wholeLinesEnd, type LogEntry, type LogReadOptions, type LogStats, type OpenLog } from './log-lines.js'

// The log reader's public surface, as before the split into log-lines.ts.
export { logFiles, logTimeSeconds, parseLogLine, type LogEntry, type LogReadOptions, type LogStats } from './log-lines.js'

/**
 * Takes the entries of one chunk, in order; resolves when the client can take more (the reader
 * awaits it before reading on: that is the backpressure), to false if the client is gone.
 */
export type LogEmit = (entries: LogEntry[]) => Promise<boolean | void>

export interface FollowOptions {
  /** Resolves when the container stopped: what it wrote last is still read, then the stream ends. */
  exited: Promise<unknown>
  /** Resolves when the client went away: the stream ends at once. */
  cancelled: Promise<unknown>
  /**
   * Called once the point the stream starts from is fixed (the files opened, `tail` placed):
   * whatever the container writes after this is streamed. attach connects the client's stdin only
   * then, else a shell could answer a line typed at once before the start was placed past it.
   */
  positioned?: () => void
  /**
   * attach: hold up to this many log files that appeared ahead of the reader, so that a reader
   * slower than the container loses nothing to rotation (see #follow); the disk they hold is at most
   * this many times max-size. `logs -f`: none, as Docker's json-file follower, which stays current
   * and loses what was rotated away under it.
   */
  holdAhead?: number
}

/** attach's holdAhead: 16 files (160 MB of held log at the default max-size 10m). */
export const ATTACH_HOLD_AHEAD = 16

/**
 * The log's names a follower holding `hold` files looks at for files it has not held yet (holdNew):
 * name, name.1 … name.(hold+1). The hold newest, one more for a rotation during the walk, and one
 * more to meet the newest file known.
 */
export function heldNames(hold: number): number {
  return hold + 2
}

/**
 * The names the shim keeps while an attach pins the log (its --log-pin-files, json-log.c): exactly
 * those attach's follower looks at. The shim gets the number from here, not a constant of its own.
 */
export const ATTACH_PIN_FILES = heldNames(ATTACH_HOLD_AHEAD)

export const LOG_DEFAULTS = { maxSize: '10m', maxFile: 3 } as const

/** inotify can miss events under pressure: look at the file this often anyway. */
const POLL_MS = 500

/**
 * The log to a client: what it holds now (filtered, `tail`), then with `follow` what is written
 * until the container stops or the client leaves. Resolves when done; `stats` counts torn lines.
 */
export async function streamLog(path: string, o: LogReadOptions, emit: LogEmit, follow?: FollowOptions, stats: LogStats = { torn: 0 }): Promise<void> {
  await new LogStream(path, o, emit, stats).run(follow)
}

class LogStream {
  /** The client went away (emit said so, or follow's `cancelled`): read nothing more. */
  #stopped = false
  readonly #buf = Buffer.allocUnsafe(CHUNK)

  constructor(
    readonly path: string,
    readonly o: LogReadOptions,
    readonly emit: LogEmit,
    readonly stats: LogStats,
  ) {}

  async run(follow?: FollowOptions): Promise<void> {
    void follow?.cancelled.then(() => (this.#stopped = true))
    const { current, offset } = await this.#readNow(follow?.positioned)
    if (!follow || this.#stopped) return void (await current?.fh.close())
    await this.#follow(current, offset, follow)
  }

  /**
   * The log as it is now, a chunk at a time (with `tail`: from where its last N entries begin).
   * Returns the current file, still open, and where its whole lines end: follow goes on from there.
   */
  async #readNow(positioned?: () => void): Promise<{ current?: OpenLog; offset: number }> {
    const files: OpenLog[] = []
    for (const file of logFiles(this.path)) {
      const f = await openLog(file)
      if (f) files.push(f)
    }
    const current = files.at(-1)
    try {
      let start = { index: 0, offset: 0 }
      const { tail } = this.o
      if (tail !== undefined && tail >= 0) {
        start = tail === 0 ? { index: files.length - 1, offset: current ? await wholeLinesEnd(current) : 0 } : await tailStart(files, tail, this.o)
      }
      positioned?.()
      let offset = 0
      for (let index = Math.max(start.index, 0); index < files.length && !this.#stopped; index++) {
        const f = files[index]
        const lines = new Lines()
        offset = index === start.index ? start.offset : 0
        while (offset < f.size && !this.#stopped) {
          const n = await this.#read(f, offset, f.size - offset, lines)
          if (n === 0) break
          offset += n
        }
        if (f !== current) lines.drop(this.stats) // a rotated file is complete: an unfinished line is torn
        else offset -= lines.pending // follow reads that line again, whole
      }
      return { current, offset }
    } finally {
      for (const f of files) if (f !== current) await f.fh.close()
    }
  }

  /**
   * One chunk from `offset` into `lines`, its entries emitted (awaiting the client). Returns the
   * bytes read. `now`: read on this thread (a page-cache read of at most CHUNK bytes), not on
   * libuv's pool, whose answer comes turns later, behind whatever else the pool is doing.
   */
  async #read(f: OpenLog, offset: number, max: number, lines: Lines, now = false): Promise<number> {
    const len = Math.min(CHUNK, max)
    // One turn of the event loop first, as a pool read gives: inotify's events of the log's
    // rotations, already queued, are handled (held ahead) before a rotated file is looked for.
    if (now) await new Promise<void>((r) => setImmediate(r))
    const bytesRead = now ? readSync(f.fh.fd, this.#buf, 0, len, offset) : (await f.fh.read(this.#buf, 0, len, offset)).bytesRead
    if (bytesRead === 0) return 0
    const entries: LogEntry[] = []
    for (const line of lines.feed(this.#buf.subarray(0, bytesRead), this.stats)) {
      const e = parseLogLine(line, this.stats)
      if (e && wanted(e, this.o)) entries.push(e)
    }
    if (entries.length && (await this.emit(entries)) === false) this.#stopped = true
    return bytesRead
  }

  /** Follow from `offset` of `log` (or from the first file to appear), across rotations. */
  async #follow(log: OpenLog | undefined, offset: number, f: FollowOptions): Promise<void> {
    let exited = false
    let signalled = false
    let waiter: (() => void) | undefined
    const wake = () => {
      signalled = true
      const w = waiter
      waiter = undefined
      w?.()
    }
    const changed = (): Promise<void> => {
      if (signalled) {
        signalled = false
        return Promise.resolve()
      }
      return new Promise((r) => (waiter = r))
    }
    const exit = () => {
      exited = true
      wake()
    }
    // No grace after the exit: the shim writes exit.json only once its relay has read the
    // container's pipes (or pty) to their end and written the last entries (native-shims/shim
    // main.c: stdio_relay, then wait_exit, then write_exit_status), so when the exit is recorded
    // the log is whole: one more read to its end delivers the rest. (A 50 ms grace here held
    // every attached `run` that long after its container ended.)
    void f.exited.then(exit, exit)
    void f.cancelled.then(wake)
    // attach (holdAhead): a follower slower than the container (a program printing tens of MB)
    // may fall more than max-file rotations behind, and the shim then unlinks files it has not
    // read. So each file that appears under the log's name is opened at once and its descriptor
    // held: an unlinked file's data stays readable until the last close, and is read through
    // /proc/self/fd/N when its turn comes (as Docker's attach, which does not read the log at all,
    // loses nothing). The opens are synchronous, in the inotify event's own turn of the event loop:
    // one through libuv's pool waited behind the follower's own reads while the shim rotated on.
    const ahead: { fd: number; ino: number }[] = []
    let openFailed: unknown
    const hold = f.holdAhead ?? 0
    // The newest file known: held, or being read. Its descriptor is open, so its inode number
    // cannot be given to a new file meanwhile.
    let newest = log?.ino
    /**
     * Hold every file written after the newest one known, oldest first. An engine that was busy
     * (a long turn, or descheduled at load 10) handles inotify's events after several rotations:
     * the log's name then stands for a file two or more ahead, and holding only that one skipped
     * the files between (a whole 10 MB of json lost, or read twice: `run` printed 2,443,638 or
     * 3,278,198 bytes of 3,000,000). So the names are looked at, newest first: log, log.1, log.2…
     * (logs.c renames log.1 → log.2, then log → log.1, then creates log), until the newest known
     * file. Newest first because a rotation only moves a file to an older name: a walk towards
     * older names meets a file again (skipped: held already) but never passes one it has not seen,
     * as a walk from the oldest would when a rotation moved a file behind it. A name missing for a
     * moment (between two renames) is passed over.
     */
    const holdNew = () => {
      const found: { fd: number; ino: number }[] = []
      for (let i = 0; i < heldNames(hold); i++) {
        let fd: number
        try {
          fd = openSync(i === 0 ? this.path : `${this.path}.${i}`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
        } catch (err) {
          // A name missing is a rotation under way; any other failure stops the walk, and the
          // follower reports it (takeAhead, or at its end).
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') openFailed ??= err
          if (openFailed) break
          continue
        }
        const { ino } = fstatSync(fd)
        if (ino === newest) {
          closeSync(fd)
          break
        }
        if (found.some((a) => a.ino === ino) || ahead.some((a) => a.ino === ino)) closeSync(fd)
        else found.push({ fd, ino })
      }
      for (const a of found.reverse()) {
        ahead.push(a)
        newest = a.ino
      }
      // Past the bound the oldest held file goes: what the reader has not read of it is lost.
      while (ahead.length > hold) closeSync(ahead.shift()!.fd)
    }
    /**
     * The next held file, open for reading (undefined: none held). A name the walk could not open
     * (not ENOENT: EACCES, ELOOP, EMFILE...) is an error here: the walk stopped at it, so the files
     * past it were never held, and waiting on would end the attach as if all had been read.
     */
    const takeAhead = async (): Promise<OpenLog | undefined> => {
      if (hold > 0) holdNew()
      if (openFailed) throw unreadableLog(this.path, openFailed)
      const a = ahead.shift()
      if (!a) return undefined
      try {
        return await openLog(`/proc/self/fd/${a.fd}`)
      } finally {
        closeSync(a.fd)
      }
    }
    let watcher: FSWatcher | undefined
    try {
      // inotify on the directory sees writes, creates and renames of the log files.
      watcher = watch(dirname(this.path), (event, file) => {
        if (hold > 0 && event === 'rename' && String(file) === basename(this.path)) holdNew()
        if (!file || String(file).startsWith(basename(this.path))) wake()
      })
      watcher.on('error', () => {}) // the directory went away (rm -f): the timer and `exited` end it
    } catch {
      /* no inotify: the timer alone */
    }
    const timer = setInterval(wake, POLL_MS)
    timer.unref()

    const lines = new Lines()
    let unpin: (() => void) | undefined
    try {
      // Holding each file as inotify tells of it is not enough on its own: an engine that does
      // not run for max-file rotations learns of a file only after the shim's rename dropped it.
      // The pin makes the shim keep `hold` more files until this follower is done (log-pin.ts).
      unpin = hold > 0 ? pinLog(this.path) : undefined
      while (!this.#stopped) {
        // The end comes only from a look that began after the exit was known. An open or a read
        // runs on libuv's pool and its answer comes back turns later: the pread may have found
        // the end of the file before the shim's last write, and the exit (read from exit.json,
        // written after that write) have been recorded meanwhile. Taking that stale end for the
        // last one lost the end of the output (`run --rm … echo` printed nothing, ~1 run in 80
        // when the exit was recorded fastest). exit() wakes `changed`: one more look follows.
        const exitKnown = exited
        if (!log) {
          // (attach: only the files held, in order. An open by name raced the event's hold of
          // the same file, which was then read twice.)
          log = (await takeAhead()) ?? (hold > 0 ? undefined : await openLog(this.path))
          offset = 0
          if (!log) {
            if (exitKnown) break
            await changed()
            continue
          }
        }
        // After the exit the rest is read here and now: the attach ends (and --rm's removal,
        // which waits for it, goes on) without waiting for the pool (0.3-12 ms at load 2-3).
        const n = await this.#read(log, offset, CHUNK, lines, exitKnown)
        if (n > 0) {
          offset += n
          continue
        }
        // At the end of this file. Rotated? Then its name is another file now: once this one is
        // read to its very end (the writer may have added a last line before renaming), go on
        // with the file that came after it.
        if (nameIno(this.path) !== log.ino) {
          const more = await this.#read(log, offset, CHUNK, lines, exitKnown)
          if (more > 0) {
            offset += more
            continue
          }
          lines.drop(this.stats)
          if (openFailed) throw unreadableLog(this.path, openFailed)
          // attach: the next file held (looked for again now: inotify's events may come late or
          // overflow). Not there yet (between the shim's rename and create): stay on this one,
          // open, until it is. logs -f: the next by name.
          const next = hold > 0 ? await takeAhead() : await successor(this.path, log.ino)
          if (!next && hold > 0) {
            if (exitKnown) break
            await changed()
            continue
          }
          await log.fh.close()
          log = next
          offset = 0
          continue
        }
        if (exitKnown) break
        await changed()
      }
      // A walk that failed (in an inotify event's turn) after the last file was taken: reported.
      if (openFailed && !this.#stopped) throw unreadableLog(this.path, openFailed)
    } finally {
      clearInterval(timer)
      watcher?.close()
      // (At load 5 the pool's answer to this close came 1-10 ms later, and the attach's end, and
      // with it run --rm's removal, waited for it.)
      const late = this.stats.lateError
      if (log && late) void log.fh.close().catch(late)
      else await log?.fh.close()
      for (const a of ahead.splice(0)) closeSync(a.fd)
      unpin?.()
    }
  }
}

/**
 * The inode the log's name stands for now; undefined between the shim's rename and create. Any
 * other failure is an error: taken for a rotation, it sent follow back to the oldest file, which
 * it then printed again.
 */
function nameIno(path: string): number | undefined {
  try {
    return statSync(path).ino
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw unreadableLog(path, err)
  }
}

function unreadableLog(path: string, cause: unknown): TockerError {
  return new TockerError(`cannot read the container's log ${path}: ${(cause as Error).message}`, { code: 'ESTATE', cause })
}

/**
 * The file written after the one with inode `ino`: the next in logFiles() order. If that file is
 * gone (the reader fell more than max-file rotations behind), the oldest one left: what was in
 * between is lost, as with Docker's json-file.
 */
async function successor(path: string, ino: number): Promise<OpenLog | undefined> {
  const files = logFiles(path)
  let next = 0
  for (let i = 0; i < files.length; i++) {
    const st = await stat(files[i]).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined // rotated away meanwhile
      throw unreadableLog(files[i], err)
    })
    if (st?.ino === ino) {
      next = i + 1
      break
    }
  }
  return next < files.length ? openLog(files[next]) : undefined
}

/** Bytes of text from Docker's size syntax: "10m" → 10485760. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(s.trim())
  if (!m) return undefined
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g']
  return Math.floor(Number(m[1]) * mult)
}

/** Every wanted entry of the log as it is now, in memory: for tests and small tools only. */
export async function readLogEntries(path: string, o: LogReadOptions, stats?: LogStats): Promise<LogEntry[]> {
  const out: LogEntry[] = []
  await streamLog(path, o, async (entries) => void out.push(...entries), undefined, stats)
  return out
}
