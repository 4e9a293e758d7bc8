// Raw HTTP requests to an engine's unix socket, as any Docker API client makes them: for tests that
// check the API itself (status codes, headers, bodies, streams) without tocker's own client.
import { request } from 'node:http'
import type { Readable } from 'node:stream'

export interface ApiResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any
  /** The body as JSON lines (a stream of messages or events). */
  lines: any[]
  raw: Buffer
}

export interface ApiRequest {
  body?: unknown
  /** A body to stream as it is (a tar for /images/load). */
  stream?: Readable | Buffer
  headers?: Record<string, string>
  timeoutMs?: number
}

export function api(socketPath: string, method: string, path: string, opts: ApiRequest = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const json = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body))
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: {
          Host: 'docker',
          ...(json ? { 'Content-Type': 'application/json', 'Content-Length': String(json.length) } : {}),
          ...(Buffer.isBuffer(opts.stream) ? { 'Content-Type': 'application/x-tar', 'Content-Length': String(opts.stream.length) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          clearTimeout(timer)
          const raw = Buffer.concat(chunks)
          const text = raw.toString('utf8')
          let parsed: unknown
          try {
            parsed = JSON.parse(text)
          } catch {
            parsed = undefined
          }
          const lines: unknown[] = []
          for (const l of text.split('\n')) {
            if (!l.trim()) continue
            try {
              lines.push(JSON.parse(l))
            } catch {
              break
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parsed, lines, raw })
        })
        res.on('error', reject)
      },
    )
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs ?? 120_000} ms`)), opts.timeoutMs ?? 120_000)
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    if (opts.stream && !Buffer.isBuffer(opts.stream)) opts.stream.pipe(req)
    else req.end(Buffer.isBuffer(opts.stream) ? opts.stream : json)
  })
}

/** A streaming GET (/events): the JSON objects as they arrive, and a way to stop. */
export function apiStream(socketPath: string, path: string): { items: any[]; ready: Promise<number>; waitFor(pred: (x: any) => boolean, ms?: number): Promise<any>; close(): void } {
  const items: any[] = []
  const waiters: { pred: (x: any) => boolean; resolve: (x: any) => void }[] = []
  let buf = ''
  const req = request({ socketPath, method: 'GET', path, headers: { Host: 'docker' } })
  const ready = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0)
      res.on('data', (d: Buffer) => {
        buf += d.toString('utf8')
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim()
          buf = buf.slice(nl + 1)
          if (!line) continue
          const item = JSON.parse(line)
          items.push(item)
          for (const w of [...waiters]) {
            if (w.pred(item)) {
              waiters.splice(waiters.indexOf(w), 1)
              w.resolve(item)
            }
          }
        }
      })
      res.on('error', () => {})
    })
    req.on('error', reject)
  })
  req.end()
  return {
    items,
    ready,
    waitFor(pred, ms = 10_000) {
      const found = items.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const w = { pred, resolve }
        waiters.push(w)
        setTimeout(() => {
          if (waiters.includes(w)) {
            waiters.splice(waiters.indexOf(w), 1)
            reject(new Error(`no matching item within ${ms} ms (got ${JSON.stringify(items).slice(0, 500)})`))
          }
        }, ms).unref()
      })
    },
    close: () => req.destroy(),
  }
}
