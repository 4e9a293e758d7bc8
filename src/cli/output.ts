// Docker-like terminal output: tables laid out as Go's tabwriter does (padding 3), relative times,
// human sizes.
import { writeSync } from 'node:fs'
import { decimalSize } from '../api/json-message.js'
import { humanDuration } from '../human-duration.js'

export { humanDuration }

/**
 * Lay out rows as Docker's tables: every column but the last padded to its widest cell + 3.
 * `minWidth` is tabwriter's minwidth (Docker's ps/images formatter uses 10: a column is at least
 * 10 wide, padding included).
 */
export function table(header: string[], rows: string[][], minWidth = 0): string {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(minWidth - 3, ...all.map((r) => (r[i] ?? '').length)))
  return (
    all
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] + 3)))
          .join('')
          .trimEnd()
      )
      .join('\n') + '\n'
  )
}

/** What `docker images` shows: decimal (1000-based) units, 3 significant digits: "4.26MB", "1.2GB", "0B". */
export function humanSize(bytes: number): string {
  return decimalSize(bytes, 3)
}

/**
 * Go's time.Time.String() in UTC, as Docker's CreatedAt columns show it: "2024-05-01 10:11:12 +0000
 * UTC". Built from the getUTC* fields, not Date's toISOString: V8's toISOString goes through its
 * date cache, whose first use sets up ICU's time zone (~1 ms of every `tocker ps` and `tocker
 * images`, which fill this column for --format even when the table does not show it). Years
 * outside 0-9999 (and an invalid date, a RangeError) go through toISOString as before.
 */
export function goTimeUtc(ms: number): string {
  const d = new Date(ms)
  const year = d.getUTCFullYear()
  if (!(year >= 0 && year <= 9999)) return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC')
  const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`)
  return `${String(year).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000 UTC`
}

export function ago(date: Date | string | number, now = Date.now()): string {
  return `${humanDuration(now - new Date(date).getTime())} ago`
}

/** A 1 ms sleep for writeStdout's wait on a full non-blocking pipe (Atomics.wait: no busy loop). */
const NAP = new Int32Array(new SharedArrayBuffer(4))

/**
 * A command's whole output (ps's, images' table) to fd 1 by write(2) itself, not through
 * process.stdout: a command that prints once need not make Node's stdout stream (a file, pipe or
 * terminal writer) nor run its first write through Writable's code, ~0.5-1 ms of a `tocker ps`
 * (callgrind, same engine: 126.7-133.3 vs 132.1-135.7 M instructions). What the stream did is done
 * here: every byte written (a short write goes on), a full pipe waited for (fd 1 can be
 * non-blocking: libuv sets O_NONBLOCK on a pipe once process.stdout exists, in this process or
 * another one sharing it), and a reader gone (`tocker ps | head -1`) ends the command quietly with
 * 141, as Docker's CLI dies of SIGPIPE (main.ts, quietOnBrokenPipe).
 */
export function writeStdout(text: string): void {
  const buf = Buffer.from(text)
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(1, buf, off)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EPIPE') process.exit(141)
      if (code !== 'EAGAIN') throw err
      Atomics.wait(NAP, 0, 0, 1)
    }
  }
}
