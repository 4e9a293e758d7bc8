// The HTTP layer under the registry client, on Node's built-in fetch (undici). Chosen by measurement:
// test/bench/http-client.mjs streams a 50 MB blob through each candidate; built-in fetch read through
// Readable.fromWeb is within noise of plain node:http and of node-fetch, so no dependency is needed.
//
// What it adds to fetch:
//   - every request (and every redirect hop) is reported through the trace layer (`tocker --explain`);
//   - redirects are followed by hand, and the Authorization header is dropped as soon as a hop leaves
//     the origin it was meant for (registries redirect blob downloads to storage on another host,
//     which must never see the registry credentials or token);
//   - retries with exponential backoff on 5xx/429 answers and broken connections, never on
//     "connection refused" or "no such host" (nothing will change by waiting a second);
//   - network errors worded as Docker users know them: Get "URL": dial tcp …: connection refused.
import { tracedAsync } from '../../trace/trace.js'
import { TockerError } from '../../errors.js'
import { describeNetworkError, isRetryableNetworkError, isRetryableStatus } from './errors.js'

/**
 * The one call that reaches the network: Node's fetch by default. The registry client takes another
 * (RegistryClientOptions.fetch, as go-containerregistry's remote.WithTransport) so that its flows —
 * token auth, redirects, retries, verification — can be tested against an in-memory registry.
 */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>

export interface HttpRequest {
  /** The transport (default: Node's fetch). */
  fetch?: Fetch
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH'
  url: string
  headers?: Record<string, string>
  /** A push's upload: a Buffer (may be sent again on a retry) or a stream (sent once, never retried). */
  body?: Buffer | AsyncIterable<Uint8Array>
  signal?: AbortSignal
  /** Extra attempts after the first, for 5xx answers and broken connections (default 3). */
  retries?: number
}

export interface HttpResponse {
  response: Response
  /** The URL that finally answered, after redirects. */
  url: string
}

/** A request that got no HTTP answer at all (internal: the client words it, code EREGISTRY). */
export class RegistryNetworkError extends TockerError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly description: string,
    cause: unknown,
  ) {
    super(`${goMethod(method)} "${url}": ${description}`, { code: 'EREGISTRYNET', internal: true, cause })
    this.name = 'RegistryNetworkError'
  }
}

/** Go's net/http spells methods this way in its errors: Get "…", Head "…". */
export function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase()
}

const MAX_REDIRECTS = 10
const BACKOFF_MS = 200

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function describeRequest(url: string, headers: Record<string, string>): string {
  const authz = headers.authorization ?? headers.Authorization
  const scheme = authz ? ` [${authz.split(' ')[0]} auth]` : ''
  return `${url}${scheme}`
}

function describeResponse(res: Response): string {
  const location = res.headers.get('location')
  const length = res.headers.get('content-length')
  return `${res.status} ${res.statusText}` + (location ? ` → ${location}` : '') + (length && !location ? `, ${length} bytes` : '')
}

/** One request, one hop: no redirects, no retries. */
async function fetchOnce(send: Fetch, method: string, url: string, headers: Record<string, string>, signal?: AbortSignal, body?: HttpRequest['body']): Promise<Response> {
  return tracedAsync(
    'registry',
    method,
    () => describeRequest(url, headers),
    async () => {
      try {
        // A streamed body needs duplex 'half' (undici sends it chunked while the answer may start).
        const init = body === undefined ? {} : Buffer.isBuffer(body) ? { body } : { body: body as unknown as ReadableStream, duplex: 'half' }
        return await send(url, { method, headers, redirect: 'manual', signal, ...init } as RequestInit)
      } catch (err) {
        if (signal?.aborted) throw err
        throw new RegistryNetworkError(method, url, describeNetworkError(err, url), err)
      }
    },
    describeResponse,
  )
}

/** Follow redirects by hand, keeping Authorization only while on the original origin. */
async function fetchFollowing(req: HttpRequest): Promise<HttpResponse> {
  const method = req.method ?? 'GET'
  const origin = new URL(req.url).origin
  let url = req.url
  let headers = { ...(req.headers ?? {}) }
  for (let hop = 0;; hop++) {
    const response = await fetchOnce(req.fetch ?? fetch, method, url, headers, req.signal, req.body)
    const location = response.headers.get('location')
    // An upload's answer carries a Location too (where to send the next part): it is no redirect.
    if (method !== 'GET' && method !== 'HEAD') return { response, url }
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return { response, url }
    await response.body?.cancel()
    if (hop >= MAX_REDIRECTS) {
      throw new RegistryNetworkError(method, req.url, `stopped after ${MAX_REDIRECTS} redirects`, undefined)
    }
    url = new URL(location, url).toString()
    if (new URL(url).origin !== origin) {
      // Another host (a CDN, object storage): it gets neither the registry's token nor the password.
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'))
    }
  }
}

/** A registry request with redirects, retries and tracing. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const retries = req.body !== undefined && !Buffer.isBuffer(req.body) ? 0 : (req.retries ?? 3)
  for (let attempt = 0;; attempt++) {
    let result: HttpResponse
    try {
      result = await fetchFollowing(req)
    } catch (err) {
      if (attempt < retries && err instanceof RegistryNetworkError && isRetryableNetworkError(err.cause)) {
        await sleep(BACKOFF_MS * 2 ** attempt, req.signal)
        continue
      }
      throw err
    }
    if (attempt < retries && isRetryableStatus(result.response.status)) {
      await result.response.body?.cancel()
      const retryAfter = Number(result.response.headers.get('retry-after'))
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 10_000) : BACKOFF_MS * 2 ** attempt
      await sleep(wait, req.signal)
      continue
    }
    return result
  }
}

/** Read a whole body, refusing more than `limit` bytes (manifests and configs are small; a registry is not trusted). */
export async function readBody(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel()
    throw new TockerError(`${what} is too large (${declared} bytes, at most ${limit})`, { code: 'ETOOLARGE', internal: true })
  }
  if (!response.body) return Buffer.alloc(0)
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength
    if (total > limit) throw new TockerError(`${what} is too large (more than ${limit} bytes)`, { code: 'ETOOLARGE', internal: true })
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
  }
  return Buffer.concat(chunks)
}
