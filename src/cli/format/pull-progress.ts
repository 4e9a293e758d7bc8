// Docker's JSON message stream (pull, load) on the CLI's side, as moby's jsonmessage printer shows
// it: one line per layer; on a terminal the lines are redrawn in place with progress bars (cursor
// up, clear line, rewrite, cursor back down); otherwise every status change is a plain line and
// progress updates are left out. An error message in the stream ends it as an error.
import { progressString, readJsonMessages, type JSONMessage } from '../../api/json-message.js'
import { TockerError } from '../../errors.js'

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

  message(m: JSONMessage): void {
    if (m.error !== undefined || m.errorDetail) throw new TockerError(m.errorDetail?.message ?? m.error ?? 'unknown error', { code: 'ESTREAM' })
    if (m.stream !== undefined) {
      this.out.write(m.stream)
      this.ids = []
      return
    }
    if (m.status === undefined) return
    // Layer lines carry progressDetail (empty without numbers); "latest: Pulling from …" has an id only.
    if (m.id === undefined || m.progressDetail === undefined) {
      this.line(m.id ? `${m.id}: ${m.status}` : m.status)
      return
    }
    const p = m.progressDetail
    const progress = p.current !== undefined && p.total ? progressBar(p.current, p.total, this.out.columns ?? 80) : ''
    if (!this.tty) {
      if (progress) return
      this.out.write(`${m.id}: ${m.status}\n`)
      return
    }
    const text = `${m.id}: ${m.status}${progress ? ' ' + progress : ''}`
    const index = this.ids.indexOf(m.id)
    if (index < 0) {
      this.ids.push(m.id)
      this.out.write(text + '\n')
      return
    }
    const up = this.ids.length - index
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`)
  }
}

/** Read a JSON message stream to its end, printing it; rejects with the stream's error, if any. */
export async function displayJsonMessages(stream: AsyncIterable<Buffer | string>, out: PullOutput): Promise<void> {
  const printer = new PullPrinter(out)
  for await (const m of readJsonMessages(stream)) printer.message(m)
}

/** Docker's JSONProgress.String() for this terminal's width (the bar only when it is wider than 110). */
export function progressBar(current: number, total: number, columns: number): string {
  return progressString({ current, total }, columns)
}
