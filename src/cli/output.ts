// Docker-like terminal output: tables laid out as Go's tabwriter does (padding 3), relative times,
// human sizes.
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

export function ago(date: Date | string | number, now = Date.now()): string {
  return `${humanDuration(now - new Date(date).getTime())} ago`
}
