// Docker's pull output: one line per layer. On a terminal the lines are redrawn in place with
// progress bars (cursor up, clear line, rewrite, cursor back down); otherwise every status change
// is a plain line and progress updates are left out, as Docker's jsonmessage printer does.
import type { PullEvent } from '../../image/pull.js'
import { humanSize } from '../output.js'

export interface PullOutput {
  write(s: string): unknown
  isTTY?: boolean
  columns?: number
}

export class PullPrinter {
  /** Layer IDs in the order their lines were printed (terminal mode). */
  private ids: string[] = []

  constructor(private readonly out: PullOutput) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY)
  }

  /** A line that is not about one layer ("Digest: …"); it ends the block of layer lines. */
  line(text: string): void {
    this.out.write(text + '\n')
    this.ids = []
  }

  event(e: PullEvent): void {
    if (e.kind === 'pulling') {
      this.line(`${e.id}: Pulling from ${e.path}`)
      return
    }
    const progress = e.status === 'Downloading' && e.total ? progressBar(e.current ?? 0, e.total, this.out.columns ?? 80) : ''
    if (!this.tty) {
      if (progress) return
      this.out.write(`${e.id}: ${e.status}\n`)
      return
    }
    const text = `${e.id}: ${e.status}${progress ? ' ' + progress : ''}`
    const index = this.ids.indexOf(e.id)
    if (index < 0) {
      this.ids.push(e.id)
      this.out.write(text + '\n')
      return
    }
    const up = this.ids.length - index
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`)
  }
}

/** Docker's JSONProgress.String(): "[=====>      ]  1.23MB/4.56MB" (the bar only on wide terminals). */
export function progressBar(current: number, total: number, columns: number): string {
  const numbers = `${humanSize(current).padStart(8)}/${humanSize(total)}`
  if (columns <= 110) return numbers
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2))
  return `[${'='.repeat(filled)}>${' '.repeat(Math.max(0, 50 - filled))}] ${numbers}`
}
