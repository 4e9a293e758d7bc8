// The OCI distribution-spec client: manifests and blobs of one registry repository.
//
//   GET /v2/<name>/manifests/<tag|digest>   Accept: the four manifest media types below
//   GET /v2/<name>/blobs/<digest>           (often redirected to storage on another host)
//
// Everything that comes back is checked against a digest before anyone uses it: a manifest fetched by
// digest must hash to it (by tag: to the Docker-Content-Digest header when the registry sends one), the
// config and the layers must hash to the digests in the manifest, which the store then records.
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { isUserFacing, TockerError } from '../../errors.js'
import { ImageIndexDoc, ImageManifestDoc, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseDocument } from '../documents.js'
import { familiarString, type Reference } from '../reference.js'
import { MediaType, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from '../types.js'
import { Authenticator, type Authorization } from './auth.js'
import { loadRegistryConfig, type Credentials, type RegistryConfig } from './config.js'
import { endpointsFor, type Endpoint } from './endpoints.js'
import { RegistryHttpError, describeNetworkError, registryHttpError } from './errors.js'
import { formatPlatform, hostPlatform, normalizePlatform, platformRank } from './platform.js'
import { RegistryNetworkError, goMethod, httpRequest, readBody, type Fetch, type HttpResponse } from './transport.js'
import { BlobVerificationError, VerifyingStream, computeDigest, digestAlgorithm } from './verify.js'

/** Every manifest type tocker understands, in Docker's order of preference. */
export const MANIFEST_ACCEPT = [
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
  MediaType.OciIndex,
  MediaType.OciManifest,
].join(', ')

const DOCKER_SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']

export interface FetchedManifest {
  mediaType: string
  digest: string
  bytes: Buffer
}

export interface ResolvedImage {
  /** Digest of what the tag (or digest) names: the index for multi-platform images. Docker prints it as "Digest:". */
  digest: string
  mediaType: string
  /** The multi-platform index, when the reference named one. */
  index?: FetchedManifest
  /** The image manifest for the chosen platform. */
  manifest: FetchedManifest
  parsed: ImageManifest
  /** The platform of the chosen index entry (undefined for a single-platform reference). */
  platform?: Platform
}

export interface RegistryClientOptions {
  config?: RegistryConfig
  /**
   * The transport every request of this client (and its token requests and uploads) goes through;
   * default Node's fetch. Tests give an in-memory registry (test/unit/fakes/registry.ts).
   */
  fetch?: Fetch
}

/** Turn any failure into the one line a person reads. */
export function failure(method: string, url: string, err: unknown): Error {
  if (isUserFacing(err) || err instanceof BlobVerificationError) return err
  if (err instanceof RegistryNetworkError) return new TockerError(err.message, { code: 'EREGISTRY', daemon: true, cause: err })
  if (err instanceof RegistryHttpError) {
    return new TockerError(`${goMethod(method)} "${url}": ${err.description}`, { code: 'EREGISTRY', daemon: true, status: err.httpStatus === 401 ? 401 : 500, cause: err })
  }
  if ((err as Error)?.name === 'AbortError') return err as Error
  return new TockerError(`${goMethod(method)} "${url}": ${describeNetworkError(err, url)}`, { code: 'EREGISTRY', daemon: true, cause: err })
}

export class RegistryClient {
  readonly config: RegistryConfig
  readonly auth: Authenticator
  readonly fetch?: Fetch
  /** The endpoint that answered for a domain (a mirror or the registry itself); blobs come from the same one. */
  private readonly chosen = new Map<string, Endpoint>()

  constructor(opts: RegistryClientOptions = {}) {
    this.config = opts.config ?? loadRegistryConfig()
    this.fetch = opts.fetch
    this.auth = new Authenticator((host) => this.config.credentials(host), opts.fetch)
  }

  /**
   * Check credentials the way `docker login` does: ping the registry, then authenticate with them
   * (a token without scope from the realm, or GET /v2/ with Basic). Throws on wrong credentials.
   */
  async checkLogin(domain: string, credentials: Credentials): Promise<void> {
    const ep = endpointsFor(domain, this.config).at(-1)!
    const url = `${ep.base}/v2/`
    try {
      const authz = await this.auth.authorize(ep, undefined, { credentials })
      if (!authz.header) return
      const { response } = await httpRequest({ url, headers: { authorization: authz.header }, fetch: this.fetch })
      await readBody(response, 1 << 20, 'registry answer')
      if (!response.ok) {
        // Docker's wording for a registry that refuses the credentials themselves (Basic auth).
        throw new TockerError(`login attempt to ${url} failed with status: ${response.status} ${response.statusText}`, { code: 'EUNAUTHORIZED', daemon: true })
      }
    } catch (err) {
      throw failure('GET', url, err)
    }
  }

  /** One authorised GET on a repository path, retried once with a fresh token after a 401. */
  private async get(ep: Endpoint, ref: Reference, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
    const scope = `repository:${ref.path}:pull`
    const url = `${ep.base}/v2/${ref.path}/${path}`
    let authz: Authorization = await this.auth.authorize(ep, scope, { signal })
    for (let attempt = 0;; attempt++) {
      const h = { ...headers, ...(authz.header ? { authorization: authz.header } : {}) }
      const res = await httpRequest({ url, headers: h, signal, fetch: this.fetch })
      if (res.response.status !== 401 || attempt > 0 || authz.fresh) return res
      // A cached token was refused (expired early, or the registry wants another scope): ask again once.
      await res.response.body?.cancel()
      this.auth.updateChallenge(ep, res.response.headers.get('www-authenticate'))
      authz = await this.auth.authorize(ep, scope, { signal, refresh: true })
    }
  }

  /** Run `op` against the domain's endpoints in order (mirrors first for docker.io), remembering the one that works. */
  private async onEndpoints<T>(ref: Reference, op: (ep: Endpoint) => Promise<T>): Promise<T> {
    const known = this.chosen.get(ref.domain)
    const endpoints = known ? [known] : endpointsFor(ref.domain, this.config)
    let lastError: unknown
    for (const ep of endpoints) {
      try {
        const value = await op(ep)
        this.chosen.set(ref.domain, ep)
        return value
      } catch (err) {
        lastError = err
        if (!ep.mirror) throw err
        // A mirror that fails (down, or does not have the image) is skipped, as Docker does.
      }
    }
    throw lastError
  }

  /** GET a manifest or index by tag or digest, verified. */
  async getManifest(ref: Reference, tagOrDigest: string, signal?: AbortSignal): Promise<FetchedManifest> {
    return this.onEndpoints(ref, (ep) => this.getManifestFrom(ep, ref, tagOrDigest, signal))
  }

  private async getManifestFrom(ep: Endpoint, ref: Reference, tagOrDigest: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const url = `${ep.base}/v2/${ref.path}/manifests/${tagOrDigest}`
    let res: HttpResponse
    let bytes: Buffer
    try {
      res = await this.get(ep, ref, `manifests/${tagOrDigest}`, { accept: MANIFEST_ACCEPT }, signal)
      bytes = await readBody(res.response, MAX_MANIFEST_BYTES, 'manifest')
    } catch (err) {
      throw failure('GET', url, err)
    }
    const { response } = res
    if (!response.ok) {
      const err = registryHttpError(response.status, bytes.toString())
      if (err.errorCode === 'MANIFEST_UNKNOWN' || err.errorCode === 'NAME_UNKNOWN' || response.status === 404) {
        const what = familiarString({ ...ref, tag: tagOrDigest.includes(':') ? undefined : tagOrDigest, digest: tagOrDigest.includes(':') ? tagOrDigest : undefined })
        const known = err.errorCode ? err.description : 'manifest unknown: manifest unknown'
        throw new TockerError(`manifest for ${what} not found: ${known}`, { code: 'ENOTFOUND', daemon: true })
      }
      if (err.errorCode === 'DENIED') {
        throw new TockerError(`pull access denied for ${familiarString({ domain: ref.domain, path: ref.path })}, repository does not exist or may require 'tocker login': ${err.description}`, { code: 'EDENIED', status: 403, daemon: true })
      }
      throw failure('GET', url, err)
    }
    // Which digest must the bytes have? The one asked for, or the one the registry announces.
    const expected = tagOrDigest.includes(':') ? tagOrDigest : (response.headers.get('docker-content-digest') ?? undefined)
    const algorithm = expected ? digestAlgorithm(expected) : 'sha256'
    const digest = computeDigest(bytes, algorithm)
    if (expected && digest !== expected) {
      throw new TockerError(`manifest verification failed for digest ${expected}: the registry sent content hashing to ${digest}`, { code: 'EDIGEST', daemon: true })
    }
    const declared = (response.headers.get('content-type') ?? '').split(';')[0].trim()
    let mediaType = declared
    let json: any
    try {
      json = JSON.parse(bytes.toString('utf8'))
    } catch {
      throw new TockerError(`invalid manifest for ${familiarString(ref)}: not JSON`, { code: 'EMANIFEST', daemon: true })
    }
    if (typeof json?.mediaType === 'string' && json.mediaType) mediaType = json.mediaType
    if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') {
      mediaType = Array.isArray(json?.manifests) ? MediaType.OciIndex : MediaType.OciManifest
    }
    if (DOCKER_SCHEMA1.includes(mediaType) || json?.schemaVersion === 1) {
      throw new TockerError(`unsupported manifest media type ${mediaType}: Docker image manifest schema 1 is deprecated; push the image again with a current tool`, { code: 'EMANIFEST', daemon: true })
    }
    if (![MediaType.DockerManifestList, MediaType.DockerManifest, MediaType.OciIndex, MediaType.OciManifest].includes(mediaType as any)) {
      throw new TockerError(`unsupported manifest media type ${mediaType}`, { code: 'EMANIFEST', daemon: true })
    }
    return { mediaType, digest, bytes }
  }

  /**
   * Resolve a reference to one image manifest: fetch what the tag/digest names; if it is an index
   * (OCI index or Docker manifest list), pick the entry for `platform` (default: this machine's).
   */
  async resolveImage(ref: Reference, opts: { platform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    const tagOrDigest = ref.digest ?? ref.tag ?? 'latest'
    const top = await this.getManifest(ref, tagOrDigest, opts.signal)
    let manifest = top
    let index: FetchedManifest | undefined
    let platform: Platform | undefined
    for (let depth = 0; isIndex(manifest.mediaType); depth++) {
      if (depth > 2) throw new TockerError(`index nesting too deep in ${familiarString(ref)}`, { code: 'EMANIFEST', daemon: true })
      index = manifest
      const parsed = parseDocument(ImageIndexDoc, manifest.bytes, `image index ${manifest.digest} of ${familiarString(ref)}`, badManifest)
      const entry = choosePlatform(parsed, opts.platform ?? hostPlatform())
      platform = entry.platform
      manifest = await this.getManifest(ref, entry.digest, opts.signal)
      if (manifest.digest !== entry.digest) throw new TockerError(`manifest verification failed for digest ${entry.digest}`, { code: 'EDIGEST', daemon: true })
    }
    const parsed = parseDocument(ImageManifestDoc, manifest.bytes, `image manifest ${manifest.digest} of ${familiarString(ref)}`, badManifest)
    return { digest: top.digest, mediaType: top.mediaType, index, manifest, parsed, platform }
  }

  /** Open a blob as a stream that fails (before 'end') unless it has exactly the descriptor's size and digest. */
  async openBlob(ref: Reference, desc: Descriptor, opts: { signal?: AbortSignal; onProgress?: (bytes: number) => void; what?: string } = {}): Promise<VerifyingStream> {
    return this.onEndpoints(ref, async (ep) => {
      const url = `${ep.base}/v2/${ref.path}/blobs/${desc.digest}`
      let res: HttpResponse
      try {
        res = await this.get(ep, ref, `blobs/${desc.digest}`, {}, opts.signal)
      } catch (err) {
        throw failure('GET', url, err)
      }
      if (!res.response.ok || !res.response.body) {
        const body = await readBody(res.response, 1 << 20, 'registry answer').catch(() => Buffer.alloc(0))
        throw failure('GET', url, registryHttpError(res.response.status, body.toString()))
      }
      const verifier = new VerifyingStream({
        digest: desc.digest,
        size: desc.size,
        onProgress: opts.onProgress,
        what: opts.what ?? 'filesystem layer verification failed for digest',
      })
      const source = Readable.fromWeb(res.response.body as unknown as WebReadableStream<Uint8Array>)
      source.on('error', (err) => {
        // The connection broke mid-body: say so in Docker's words, not undici's ("terminated").
        const described = err instanceof BlobVerificationError ? err : new TockerError(`error pulling ${desc.digest}: ${describeBodyError(err, verifier.bytes, desc)}`, { code: 'EREGISTRY', daemon: true, cause: err })
        verifier.destroy(described)
      })
      // If the consumer gives up (another layer failed), stop downloading this one too.
      verifier.on('close', () => {
        if (!source.readableEnded) source.destroy()
      })
      source.pipe(verifier)
      return verifier
    })
  }

  /** A small blob (an image config) read whole and verified. */
  async getBlob(ref: Reference, desc: Descriptor, opts: { signal?: AbortSignal; what?: string } = {}): Promise<Buffer> {
    if (desc.size > MAX_CONFIG_BYTES) throw new TockerError(`blob ${desc.digest} is too large to read whole (${desc.size} bytes)`, { code: 'EMANIFEST', daemon: true })
    const stream = await this.openBlob(ref, desc, { signal: opts.signal, what: opts.what ?? 'image config verification failed for digest' })
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }
}

function describeBodyError(err: unknown, received: number, desc: Descriptor): string {
  const code = (err as any)?.cause?.code ?? (err as any)?.code
  if (code === 'UND_ERR_SOCKET' || (err as Error)?.message === 'terminated' || code === 'ECONNRESET') {
    return `unexpected EOF after ${received} of ${desc.size} bytes`
  }
  return (err as Error)?.message ?? String(err)
}

function isIndex(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList
}

/** A registry's document that is not what it claims (Docker: "invalid manifest …"). */
function badManifest(message: string): TockerError {
  return new TockerError(`invalid ${message}`, { code: 'EMANIFEST', daemon: true })
}

/** Pick the index entry for `want`; the error names the platforms that are there. */
export function choosePlatform(index: ImageIndex, want: Platform): Descriptor {
  let best: Descriptor | undefined
  let bestRank = Infinity
  for (const entry of index.manifests ?? []) {
    const rank = platformRank(want, entry.platform)
    if (rank >= 0 && rank < bestRank) {
      best = entry
      bestRank = rank
    }
  }
  if (best) return best
  const available = (index.manifests ?? [])
    .filter((m) => m.platform && m.platform.os !== 'unknown')
    .map((m) => formatPlatform(normalizePlatform(m.platform!)))
  throw new TockerError(
    `no matching manifest for ${formatPlatform(normalizePlatform(want))} in the manifest list entries` +
      (available.length ? ` (available: ${[...new Set(available)].join(', ')})` : ''),
    { code: 'ENOPLATFORM', daemon: true },
  )
}
