// The push half of the OCI distribution spec, as Docker's daemon speaks it:
//
//   HEAD /v2/<name>/blobs/<digest>                       is the blob there already? ("Layer already exists")
//   POST /v2/<name>/blobs/uploads/?mount=<d>&from=<repo> cross-repository mount: 201 = done without
//                                                        sending a byte ("Mounted from <repo>"), 202 = not
//                                                        mountable, the answer is a new upload session
//   POST /v2/<name>/blobs/uploads/                       start an upload: 202 + Location (the session)
//   PATCH <location>  (the bytes, streamed, chunked)     202 + the session's next Location
//   PUT <location>?digest=<d>                            close it: 201, the registry has checked the digest
//   PUT /v2/<name>/manifests/<tag>                       the manifest last, once every blob it names is there
//
// Every request carries a token with push scope for the repository ("repository:me/web:pull,push"),
// plus pull scope on the repository a blob is mounted from; a cached token that the registry refuses is
// asked for again once.
import { TockerError } from '../../errors.js'
import type { Reference } from '../reference.js'
import type { Authorization } from './auth.js'
import { failure, type RegistryClient } from './client.js'
import { endpointsFor, type Endpoint } from './endpoints.js'
import { RegistryHttpError, registryHttpError } from './errors.js'
import { httpRequest, readBody, type HttpRequest, type HttpResponse } from './transport.js'

export interface BlobDescriptor {
  mediaType: string
  digest: string
  size: number
}

export class RegistryUploader {
  readonly ep: Endpoint
  readonly scope: string

  constructor(
    readonly client: RegistryClient,
    readonly ref: Reference,
  ) {
    // Pushes go to the registry itself, never to a pull mirror.
    this.ep = endpointsFor(ref.domain, client.config).at(-1)!
    this.scope = `repository:${ref.path}:pull,push`
  }

  /**
   * One authorised request; a 401 with a cached token is retried once with a fresh one. The token
   * (or the Basic password) goes only to the registry's own origin: an upload session's Location may
   * name another host, which gets the request without Authorization (Docker's client likewise
   * authorises only hosts whose challenge it knows).
   */
  private async send(req: Omit<HttpRequest, 'headers'> & { headers?: Record<string, string> }, scope = this.scope): Promise<HttpResponse> {
    if (new URL(req.url).origin !== new URL(this.ep.base).origin) return httpRequest({ ...req, fetch: this.client.fetch })
    let authz: Authorization = await this.client.auth.authorize(this.ep, scope)
    for (let attempt = 0;; attempt++) {
      const res = await httpRequest({ ...req, fetch: this.client.fetch, headers: { ...req.headers, ...(authz.header ? { authorization: authz.header } : {}) } })
      const replayable = req.body === undefined || Buffer.isBuffer(req.body)
      if (res.response.status !== 401 || attempt > 0 || authz.fresh || !replayable) return res
      await res.response.body?.cancel()
      this.client.auth.updateChallenge(this.ep, res.response.headers.get('www-authenticate'))
      authz = await this.client.auth.authorize(this.ep, scope, { refresh: true })
    }
  }

  private url(path: string): string {
    return `${this.ep.base}/v2/${this.ref.path}/${path}`
  }

  /** The error of a failed answer, in Docker's words. */
  private async refused(method: string, url: string, res: Response): Promise<Error> {
    const body = await readBody(res, 1 << 20, 'registry answer').catch(() => Buffer.alloc(0))
    return this.failed(method, url, registryHttpError(res.status, body.toString()))
  }

  /**
   * The error of a request that failed. Docker's push says a refusal bare (no method and URL):
   * "denied: requested access to the resource is denied", and a token server's refusal of the
   * stored password "unauthorized: incorrect username or password".
   */
  private failed(method: string, url: string, err: unknown): Error {
    if (err instanceof RegistryHttpError && (err.errorCode === 'DENIED' || err.errorCode === 'UNAUTHORIZED')) {
      return new TockerError(err.description, { code: 'EDENIED', status: err.httpStatus === 401 ? 401 : 403, daemon: true, cause: err })
    }
    return failure(method, url, err)
  }

  /** HEAD a blob in the target repository: its size when there, undefined when not. */
  async blobSize(digest: string): Promise<number | undefined> {
    const url = this.url(`blobs/${digest}`)
    let res: HttpResponse
    try {
      res = await this.send({ method: 'HEAD', url })
    } catch (err) {
      throw this.failed('HEAD', url, err)
    }
    await res.response.body?.cancel()
    if (res.response.status === 404) return undefined
    if (!res.response.ok) throw await this.refused('HEAD', url, res.response)
    const size = Number(res.response.headers.get('content-length'))
    return Number.isFinite(size) ? size : undefined
  }

  /** Ask the registry to mount `digest` from another repository of it; true when it did. */
  async mount(digest: string, from: string): Promise<boolean> {
    const url = `${this.url('blobs/uploads/')}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`
    let res: HttpResponse
    try {
      res = await this.send({ method: 'POST', url, headers: { 'content-length': '0' } }, `${this.scope} repository:${from}:pull`)
    } catch (err) {
      throw this.failed('POST', url, err)
    }
    await res.response.body?.cancel()
    if (res.response.status === 201) return true
    // 202: the registry could not mount it (not there, or no access to `from`) and opened an upload
    // session instead; we drop it and upload in a session of our own.
    if (res.response.status === 202) return false
    if (res.response.status === 401 || res.response.status === 403 || res.response.status === 404) return false
    throw await this.refused('POST', url, res.response)
  }

  /** One request of an upload that must answer with one of `expect`; its body is dropped. */
  private async step(method: 'POST' | 'PATCH' | 'PUT', url: string, expect: number[], req: { headers?: Record<string, string>; body?: HttpRequest['body'] } = {}): Promise<Response> {
    let res: HttpResponse
    try {
      res = await this.send({ method, url, headers: req.headers ?? { 'content-length': '0' }, body: req.body })
    } catch (err) {
      throw this.failed(method, url, err)
    }
    if (!expect.includes(res.response.status)) throw await this.refused(method, url, res.response)
    await res.response.body?.cancel()
    return res.response
  }

  /** POST /blobs/uploads/: a new upload session, its URL. */
  private async startUpload(): Promise<string> {
    const start = this.url('blobs/uploads/')
    return this.location(await this.step('POST', start, [202]), start)
  }

  /** `location` with ?digest=: the URL that closes an upload. */
  private closing(location: string, digest: string): string {
    const u = new URL(location)
    u.searchParams.set('digest', digest)
    return u.toString()
  }

  /** Upload a blob streamed from `body` (POST, one PATCH, PUT ?digest=): the registry checks the digest. */
  async upload(body: AsyncIterable<Uint8Array>, digestOf: () => string): Promise<void> {
    const location = await this.startUpload()
    const patched = await this.step('PATCH', location, [202], { headers: { 'content-type': 'application/octet-stream' }, body })
    await this.step('PUT', this.closing(this.location(patched, location), digestOf()), [201])
  }

  /** A small blob (the image config) in one request: POST, then PUT ?digest= with the bytes. */
  async uploadBytes(bytes: Buffer, digest: string): Promise<void> {
    await this.step('PUT', this.closing(await this.startUpload(), digest), [201], { headers: { 'content-type': 'application/octet-stream' }, body: bytes })
  }

  /** PUT the manifest under a tag. */
  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<void> {
    await this.step('PUT', this.url(`manifests/${tag}`), [200, 201], { headers: { 'content-type': mediaType }, body: bytes })
  }

  /** The upload session's URL from a Location header (registries may answer with a relative one). */
  private location(res: Response, base: string): string {
    const loc = res.headers.get('location')
    if (!loc) throw new TockerError(`the registry ${this.ep.host} answered an upload without a Location header`, { code: 'EREGISTRY', daemon: true })
    return new URL(loc, base).toString()
  }
}
