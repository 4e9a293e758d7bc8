// An in-memory registry behind the registry client's transport seam (RegistryClientOptions.fetch,
// src/image/registry/transport.ts), as go-containerregistry's tests use pkg/registry: no server, no
// socket, no root. It speaks enough of the distribution spec for pulls — GET /v2/, manifests by tag
// and digest, blobs — with optional Bearer token auth (a token server at https://auth.test/token),
// blob downloads redirected to another host (https://storage.test, as registries hand blobs to a
// CDN), and programmed faults: an HTTP status or a network error for the next N matching requests.
// Every request is recorded (method, URL, Authorization header) so a test can check the flow.
// The real registry (Debian's docker-registry) is tested in test/integration/image/registry.test.ts (integration).
import { createHash } from 'node:crypto'

export interface Recorded {
  method: string
  url: string
  authorization?: string
}

interface Fault {
  match: (r: Recorded) => boolean
  times: number
  status?: number
  headers?: Record<string, string>
  body?: string
  /** A network error instead of an answer (e.g. ECONNREFUSED, ECONNRESET), as undici throws it. */
  code?: string
}

export const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json'
const CONFIG_V1 = 'application/vnd.docker.container.image.v1+json'
const LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip'

export function sha256(b: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex')
}

export class FakeRegistry {
  readonly requests: Recorded[] = []
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>() // "<repo>@<tag|digest>"
  readonly blobs = new Map<string, Buffer>() // digest → bytes (one namespace for every repository)
  /** Bearer auth: only these tokens are accepted; undefined: no auth. */
  auth?: { service: string; tokens: string[]; issued: number }
  /** Serve blobs by redirecting to https://storage.test (which never wants auth). */
  redirectBlobs = false
  #faults: Fault[] = []

  constructor(readonly host = 'registry.test') {}

  /** Require Bearer tokens from https://auth.test/token. */
  requireToken(service = 'registry.test'): this {
    this.auth = { service, tokens: [], issued: 0 }
    return this
  }

  /** The next `times` requests matching `match` get this answer (or network error) instead. */
  fault(match: (r: Recorded) => boolean, f: Omit<Fault, 'match' | 'times'>, times = 1): void {
    this.#faults.push({ match, times, ...f })
  }

  /** A one-layer image under `repo:tag`; returns its digests. */
  addImage(repo: string, tag: string, layer = Buffer.from(`layer of ${repo}:${tag}`)) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, config: {} }))
    this.blobs.set(sha256(config), config)
    this.blobs.set(sha256(layer), layer)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_V2,
        config: { mediaType: CONFIG_V1, size: config.length, digest: sha256(config) },
        layers: [{ mediaType: LAYER, size: layer.length, digest: sha256(layer) }],
      }),
    )
    const entry = { bytes: manifest, mediaType: MANIFEST_V2 }
    this.manifests.set(`${repo}@${tag}`, entry)
    this.manifests.set(`${repo}@${sha256(manifest)}`, entry)
    return { manifest: sha256(manifest), config: sha256(config), layer: sha256(layer), layerBytes: layer, configBytes: config }
  }

  /** The transport to give RegistryClient ({ fetch: registry.fetch }). */
  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers as HeadersInit)
    const r: Recorded = { method: init.method ?? 'GET', url, ...(headers.get('authorization') ? { authorization: headers.get('authorization')! } : {}) }
    this.requests.push(r)
    const f = this.#faults.find((x) => x.times > 0 && x.match(r))
    if (f) {
      f.times--
      if (f.code) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`${f.code} (fake)`), { code: f.code }) })
      return new Response(f.body ?? '', { status: f.status, headers: f.headers })
    }
    const u = new URL(url)
    if (u.host === 'auth.test') return this.#token(u)
    if (u.host === 'storage.test') return this.#blob(u.pathname.slice('/blob/'.length))
    if (u.host !== this.host) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }) })
    const m = /^\/v2\/(?:(.+)\/(manifests|blobs)\/([^/]+))?$/.exec(u.pathname)
    if (!m) return json(404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] })
    const [, repo, kind, what] = m
    if (this.auth && !this.auth.tokens.some((t) => r.authorization === `Bearer ${t}`)) {
      const scope = repo ? `,scope="repository:${repo}:pull"` : ''
      return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': `Bearer realm="https://auth.test/token",service="${this.auth.service}"${scope}` })
    }
    if (!repo) return json(200, {})
    if (kind === 'manifests') {
      const entry = this.manifests.get(`${repo}@${what}`)
      if (!entry) return json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] })
      return new Response(new Uint8Array(entry.bytes), { status: 200, headers: { 'content-type': entry.mediaType, 'docker-content-digest': sha256(entry.bytes), 'content-length': String(entry.bytes.length) } })
    }
    if (!this.blobs.has(what!)) return json(404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] })
    if (this.redirectBlobs) return new Response(null, { status: 307, headers: { location: `https://storage.test/blob/${what}?sig=x` } })
    return this.#blob(what!)
  }

  #blob(digest: string): Response {
    const b = this.blobs.get(digest)
    if (!b) return new Response('no such object', { status: 404 })
    return new Response(new Uint8Array(b), { status: 200, headers: { 'content-length': String(b.length), 'content-type': 'application/octet-stream' } })
  }

  #token(u: URL): Response {
    if (!this.auth) return new Response('', { status: 404 })
    if (u.searchParams.get('service') !== this.auth.service) return json(400, { details: 'wrong service' })
    const token = `token-${++this.auth.issued}-${u.searchParams.getAll('scope').join('+')}`
    this.auth.tokens.push(token)
    return json(200, { token, expires_in: 300 })
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}
