// The lines of a container's json-file log (see logs.ts): parsing an entry (torn lines skipped and
// counted), splitting chunks into lines going forward, and reading them backwards from the end of a
// file for `--tail N`.
import { existsSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

export interface LogEntry {
  stream: 'stdout' | 'stderr'
  log: string
  time: string // RFC 3339 with nanoseconds
}

export interface LogReadOptions {
  stdout: boolean
  stderr: boolean
  /** Entries with time >= since (unix seconds, fractional). */
  since?: number
  /** Entries with time <= until (unix seconds, fractional). */
  until?: number
  /** Last N lines only (Docker counts entries). */
  tail?: number
}

/** What a reader met on the way that it could not use. */
export interface LogStats {
  /** Lines that were not a whole entry (each loses at most that one entry). */
  torn: number
  /**
   * Given: a follower's stream ends without waiting for its file's close (an answer of libuv's
   * pool, turns later), and a close that fails is reported here, after the end.
   */
  lateError?: (err: Error) => void
}

/** Bytes per read. */
export const CHUNK = 64 * 1024
/**
 * The longest line kept while looking for its end. The shim cuts lines at 16 KiB of output, at
 * most ~100 KiB once JSON-escaped; anything longer is no entry of ours and is skipped as torn.
 */
const MAX_LINE = 1024 * 1024
/** Files of one log, oldest first: name.(N-1) … name.1, name. */
export function logFiles(path: string): string[] {
  const rotated: string[] = []
  for (let i = 1; existsSync(`${path}.${i}`); i++) rotated.unshift(`${path}.${i}`)
  return existsSync(path) ? [...rotated, path] : rotated
}

/** Parse "time" (RFC 3339 with up to 9 fractional digits) into unix seconds with fraction. */
export function logTimeSeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time)
  if (!m) return Date.parse(time) / 1000
  const whole = Date.parse(m[1] + m[3]) / 1000
  return whole + (m[2] ? Number('0.' + m[2]) : 0)
}

function tryParse(text: string): LogEntry | undefined {
  try {
    const e = JSON.parse(text) as LogEntry
    return e && typeof e.log === 'string' && (e.stream === 'stdout' || e.stream === 'stderr') ? e : undefined
  } catch {
    return undefined
  }
}

/**
 * One line of the log. A line that is no entry is torn: an entry cut short by a full disk or a
 * killed writer, possibly with the next entry glued to it (an older shim did not start a new
 * line after a failed write). Inside a JSON string every '"' is escaped, so `{"log":` appears
 * unescaped only where an entry begins: the last one on the line may be a whole entry.
 */
export function parseLogLine(text: string, stats?: LogStats): LogEntry | undefined {
  if (!text) return undefined
  const e = tryParse(text)
  if (e) return e
  if (stats) stats.torn++
  const at = text.lastIndexOf('{"log":')
  return at > 0 ? tryParse(text.slice(at)) : undefined
}

export function wanted(e: LogEntry, o: LogReadOptions): boolean {
  if (e.stream === 'stdout' ? !o.stdout : !o.stderr) return false
  if (o.since !== undefined && logTimeSeconds(e.time) < o.since) return false
  if (o.until !== undefined && logTimeSeconds(e.time) > o.until) return false
  return true
}

/** Splits chunks into whole lines; what follows the last newline waits for the next chunk. */
export class Lines {
  #rest: Buffer = Buffer.alloc(0)
  /** Inside an overlong line (dropped): everything up to the next newline is skipped. */
  #skipping = false

  /** Bytes of an unfinished line held back. */
  get pending(): number {
    return this.#rest.length
  }

  /** The whole lines in what was held back plus `chunk` (without their newline). */
  feed(chunk: Buffer, stats: LogStats): string[] {
    const buf = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk
    let start = 0
    if (this.#skipping) {
      const nl = buf.indexOf(0x0a)
      if (nl < 0) return []
      start = nl + 1
      this.#skipping = false
    }
    const lines: string[] = []
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      lines.push(buf.toString('utf8', start, nl))
      start = nl + 1
    }
    this.#rest = Buffer.from(buf.subarray(start)) // a copy: the chunk's buffer is reused
    if (this.#rest.length > MAX_LINE) {
      stats.torn++
      this.#rest = Buffer.alloc(0)
      this.#skipping = true
    }
    return lines
  }

  /** Forget an unfinished line (its file ended: it was torn). */
  drop(stats: LogStats): void {
    if (this.#rest.length || this.#skipping) stats.torn++
    this.#rest = Buffer.alloc(0)
    this.#skipping = false
  }
}

export interface OpenLog {
  fh: FileHandle
  ino: number
  /** Where reading stops (the size when opened: a full `logs` does not chase a growing file). */
  size: number
}

export async function openLog(file: string): Promise<OpenLog | undefined> {
  let fh: FileHandle
  try {
    fh = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined // rotated away meanwhile
    throw err
  }
  const st = await fh.stat()
  return { fh, ino: st.ino, size: st.size }
}

/**
 * Where the last `n` wanted entries begin: lines are read backwards, a chunk at a time, from the
 * end of the last file, then the files before it. Returns the file index and offset to stream from.
 */
export async function tailStart(files: OpenLog[], n: number, o: LogReadOptions): Promise<{ index: number; offset: number }> {
  let found = 0
  for (let index = files.length - 1; index >= 0; index--) {
    const back = new BackwardLines(files[index])
    for (let line = await back.previous(); line; line = await back.previous()) {
      const e = parseLogLine(line.text) // torn lines are counted when they are streamed
      if (e && wanted(e, o) && ++found === n) return { index, offset: line.offset }
    }
  }
  return { index: 0, offset: 0 }
}

/** The whole lines of a file, last first, read a chunk at a time from its end. */
class BackwardLines {
  /** Bytes [start, start + data.length) of the file: whole lines, the last one ending in "\n". */
  #data: Buffer = Buffer.alloc(0)
  #start: number
  #found = false

  constructor(readonly f: OpenLog) {
    this.#start = f.size
  }

  /** The previous chunk of the file, or undefined at its start. */
  async #chunk(): Promise<{ buf: Buffer; at: number } | undefined> {
    if (this.#start === 0) return undefined
    const len = Math.min(CHUNK, this.#start)
    this.#start -= len
    const buf = Buffer.allocUnsafe(len)
    const { bytesRead } = await this.f.fh.read(buf, 0, len, this.#start)
    return { buf: buf.subarray(0, bytesRead), at: this.#start }
  }

  /**
   * Skip back to the newline before the current position, dropping what lies after it (an
   * unfinished line at the end of the file, or an overlong one): `data` then ends at that newline.
   */
  async #toNewline(): Promise<boolean> {
    for (let c = await this.#chunk(); c; c = await this.#chunk()) {
      const nl = c.buf.lastIndexOf(0x0a)
      if (nl >= 0) {
        this.#data = c.buf.subarray(0, nl + 1)
        return true
      }
    }
    return false
  }

  /** The line before the last one returned: its text, where it starts, and where its newline ends. */
  async previous(): Promise<{ text: string; offset: number; end: number } | undefined> {
    if (!this.#found) {
      this.#found = true
      if (!(await this.#toNewline())) return undefined
    }
    for (;;) {
      if (this.#data.length === 0) {
        if (this.#start === 0) return undefined
        if (!(await this.#toNewline())) return undefined
      }
      const nl = this.#data.lastIndexOf(0x0a, this.#data.length - 2)
      if (nl < 0 && this.#start > 0) {
        if (this.#data.length > MAX_LINE) {
          // Never an entry of ours: drop it, go on before it.
          this.#data = Buffer.alloc(0)
          if (!(await this.#toNewline())) return undefined
          continue
        }
        const c = (await this.#chunk())!
        this.#data = Buffer.concat([c.buf, this.#data])
        continue
      }
      const lineStart = nl + 1 // 0 at the file's start
      const text = this.#data.toString('utf8', lineStart, this.#data.length - 1)
      const end = this.#start + this.#data.length
      this.#data = this.#data.subarray(0, lineStart)
      return { text, offset: this.#start + lineStart, end }
    }
  }
}

/** The offset just past the file's last newline (where an unfinished last line begins). */
export async function wholeLinesEnd(f: OpenLog): Promise<number> {
  return (await new BackwardLines(f).previous())?.end ?? 0
}
