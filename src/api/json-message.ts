// Docker's JSON message stream (moby's pkg/jsonmessage): what POST /images/create (pull) and
// POST /images/load answer with, one JSON object per line, e.g.
//
//   {"status":"Pulling from library/busybox","id":"latest"}
//   {"status":"Downloading","progressDetail":{"current":32768,"total":2217377},"progress":"[>   ]  32.77kB/2.217MB","id":"a3ed95caeb02"}
//   {"status":"Digest: sha256:…"}
//   {"stream":"Loaded image: busybox:latest\n"}
//   {"errorDetail":{"message":"…"},"error":"…"}
//
// Layer messages carry "progressDetail" (empty when there is no progress to show): that is how a
// client knows the line belongs to the block of per-layer lines it redraws in place.
export interface JSONProgress {
  current?: number
  total?: number
  /** Unix seconds when the operation started (for Docker's time-left estimate). */
  start?: number
}

export interface JSONMessage {
  status?: string
  id?: string
  progressDetail?: JSONProgress
  /** The daemon's own rendering of progressDetail (clients may draw their own). */
  progress?: string
  stream?: string
  aux?: unknown
  errorDetail?: { code?: number; message: string }
  error?: string
}

export function errorMessage(message: string): JSONMessage {
  return { errorDetail: { message }, error: message }
}

/** A layer's status line: progressDetail is always there (empty without numbers). */
export function layerMessage(id: string, status: string, current?: number, total?: number): JSONMessage {
  if (current === undefined) return { status, progressDetail: {}, id }
  const detail: JSONProgress = total ? { current, total } : { current }
  return { status, progressDetail: detail, progress: progressString(detail, 200), id }
}

/**
 * Docker's JSONProgress.String(): "[=====>      ]  1.23MB/4.56MB" (the bar only when the
 * terminal is wider than 110 columns; the daemon draws it for 200).
 */
export function progressString(p: JSONProgress, columns: number): string {
  const current = p.current ?? 0
  const total = p.total ?? 0
  if (current <= 0 && total <= 0) return ''
  if (total <= 0) return decimalSize(current).padStart(8)
  const percentage = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2))
  const bar = columns > 110 ? `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ` : ''
  const numbers = current > total ? decimalSize(current).padStart(8) : `${decimalSize(current).padStart(8)}/${decimalSize(total)}`
  return bar + numbers
}

/**
 * go-units' HumanSizeWithPrecision: decimal units ("32.77kB", "2.217MB"). HumanSize, which progress
 * and `system df` use, keeps 4 significant digits; `docker images` keeps 3 ("4.26MB").
 */
export function decimalSize(bytes: number, precision = 4): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let i = 0
  let v = bytes
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${Number(v.toPrecision(precision))}${units[i]}`
}

/**
 * The daemon's side of a JSON message stream over an HTTP response. Nothing is sent until the
 * first message, so an error that happens before it can still be an HTTP error status (Docker's
 * "if !output.Flushed() { return err }"); after it, errors travel in the stream.
 */
export class JsonMessageWriter {
  #started = false

  constructor(
    private readonly res: { headersSent: boolean; writeHead(status: number, headers: Record<string, string>): unknown; write(chunk: string): boolean; flushHeaders?(): void },
  ) {}

  get flushed(): boolean {
    return this.#started
  }

  write(m: JSONMessage): void {
    if (!this.#started) {
      this.#started = true
      if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': 'application/json' })
    }
    this.res.write(JSON.stringify(m) + '\r\n')
  }
}

/** The client's side: JSON objects split off a byte stream, line by line. */
export async function* readJsonMessages(body: AsyncIterable<Buffer | string>): AsyncGenerator<JSONMessage> {
  let buf = ''
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      if (line) yield JSON.parse(line) as JSONMessage
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as JSONMessage
}
