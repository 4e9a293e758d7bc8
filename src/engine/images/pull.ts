// POST /images/create?fromImage=…&tag=…: the engine pulls (src/image/pull.ts) and streams Docker's
// JSON progress messages, the lines `docker pull` prints:
//   latest: Pulling from library/busybox
//   a3ed95caeb02: Pulling fs layer / Waiting / Downloading [==>  ] / Verifying Checksum /
//                 Download complete / Extracting / Pull complete       (or: Already exists)
//   Digest: sha256:…
//   Status: Downloaded newer image for busybox:latest
// Credentials come only from the request (X-Registry-Auth), as with Docker's daemon: the client
// keeps them; the engine's own settings (insecure registries, mirrors) come from daemon.json.
import { TockerError } from '../../errors.js'
import { layerMessage, type JSONMessage } from '../../api/json-message.js'
import type { AuthConfig } from '../../api/types.js'
import { pullImage, type PullEvent } from '../../image/pull.js'
import { familiarString, parseReference, validateDigest, type Reference } from '../../image/reference.js'
import { RegistryClient } from '../../image/registry/client.js'
import { loadDaemonConfig, type Credentials } from '../../image/registry/config.js'
import { parsePlatform } from '../../image/registry/platform.js'
import type { ImageStore } from '../../image/store.js'

export interface PullRequest {
  fromImage: string
  tag?: string
  platform?: string
  /** The X-Registry-Auth header, as sent. */
  auth?: string
}

/** fromImage + tag as Docker's daemon joins them: a tag that is a digest pins the digest. */
export function pullReference(fromImage: string, tag?: string): Reference {
  try {
    return joinReference(fromImage, tag)
  } catch (err) {
    throw new TockerError((err as Error).message, { code: 'EINVALID', daemon: true, cause: err })
  }
}

function joinReference(fromImage: string, tag?: string): Reference {
  if (!fromImage) throw new TockerError('invalid reference format', { code: 'EINVALIDREF' })
  let ref = parseReference(fromImage)
  if (tag) {
    if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/.test(tag)) {
      validateDigest(tag)
      ref = { domain: ref.domain, path: ref.path, digest: tag }
    } else {
      ref = parseReference(`${familiarString({ domain: ref.domain, path: ref.path })}:${tag}`)
    }
  }
  if (ref.tag === undefined && ref.digest === undefined) ref = { ...ref, tag: 'latest' }
  return ref
}

/** X-Registry-Auth: base64url(JSON AuthConfig). Empty or "{}" means anonymous. */
export function decodeAuthHeader(header: string | undefined): AuthConfig | undefined {
  if (!header) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'))
  } catch {
    throw new TockerError('invalid X-Registry-Auth header: not base64-encoded JSON', { code: 'EINVALID', daemon: true })
  }
  if (!parsed || typeof parsed !== 'object') return undefined
  return parsed as AuthConfig
}

export function credentialsOf(auth: AuthConfig | undefined): Credentials | undefined {
  if (!auth) return undefined
  if (auth.username && auth.password !== undefined) return { username: auth.username, password: auth.password }
  if (auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  return undefined
}

/** A registry client that knows only the engine's settings and this request's credentials. */
export function requestClient(auth: AuthConfig | undefined): RegistryClient {
  const creds = credentialsOf(auth)
  return new RegistryClient({ config: { ...loadDaemonConfig(), credentials: () => creds } })
}

function toMessage(e: PullEvent): JSONMessage {
  if (e.kind === 'pulling') return { status: `Pulling from ${e.path}`, id: e.id }
  return layerMessage(e.id, e.status, e.current, e.total)
}

/** Pull, sending each step to `send`; resolves with the image ID. */
export async function pullToStream(store: ImageStore, req: PullRequest, send: (m: JSONMessage) => void, signal?: AbortSignal): Promise<{ id: string; ref: Reference }> {
  const ref = pullReference(req.fromImage, req.tag)
  const platform = req.platform ? parsePlatform(req.platform) : undefined
  const client = requestClient(decodeAuthHeader(req.auth))
  const result = await pullImage(ref, { store, client, platform, signal, onEvent: (e) => send(toMessage(e)) })
  // A reference with a tag and a digest is pulled (and reported) by its digest, as Docker does.
  const pulled = ref.digest !== undefined ? { ...ref, tag: undefined } : ref
  send({ status: `Digest: ${result.digest}` })
  send({ status: `Status: ${result.downloaded ? 'Downloaded newer image for' : 'Image is up to date for'} ${familiarString(pulled)}` })
  return { id: result.id, ref: pulled }
}
