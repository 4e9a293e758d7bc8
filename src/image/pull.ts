// `pull`: bring an image from a registry into the store, as Docker's daemon does it.
//
//   1. resolve the reference to one image manifest (an index picks the platform), digests verified;
//   2. fetch the image config (verified against the manifest) and check it lists one DiffID per layer;
//   3. for each layer: the store has its DiffID → "Already exists"; otherwise stream the blob (the
//      client verifies size and sha256 of the COMPRESSED bytes as they pass) straight into the store's
//      addLayer, which gunzips, unpacks and verifies the DiffID of the UNCOMPRESSED tar; at most
//      three layers at a time, like Docker;
//   4. commit the image record and move the tag. Nothing becomes visible before every digest checked.
//
// A failure anywhere stops the other downloads and nothing is committed (the store's addLayer leaves
// nothing behind for a layer it rejects).
import type { Readable } from 'node:stream'
import { isUserFacing, TockerError } from '../errors.js'
import { ImageConfigDoc, parseDocument } from './documents.js'
import { familiarString, fullName, fullString, type Reference } from './reference.js'
import { RegistryClient } from './registry/client.js'
import { formatPlatform, normalizePlatform } from './registry/platform.js'
import { BlobVerificationError } from './registry/verify.js'
import { note } from '../trace/trace.js'
import { MediaType, type Descriptor, type Platform } from './types.js'

/** What pull needs from the image store (src/image/store.ts's ImageStore provides it). */
export interface PullStore {
  hasLayer(diffID: string): boolean
  /** Get ready to unpack this many layers (e.g. start unpacking threads) while the pull talks to the registry. */
  prepareLayers?(count: number): void
  addLayer(desc: Descriptor, diffID: string, body: Readable): Promise<'added' | 'exists'>
  /** Take back layers this pull added when it fails (those no image uses). */
  discardLayers?(diffIDs: string[]): void
  /** Release the pins of a pull that failed before its commit. */
  unpinLayers?(diffIDs: string[]): void
  putBlob(digest: string, data: Buffer): void
  getBlob(digest: string): Buffer | undefined
  commitImage(a: {
    config: Buffer
    configDigest: string
    manifest: Buffer
    manifestDigest: string
    repoDigest?: string
    tag?: string
  }): { id: string; previousId?: string }
  /** The image a reference ("…@sha256:…") names now, if any. */
  resolveId(nameOrId: string): string | undefined
}

/** Docker's per-layer statuses, in the order a layer goes through them. */
export type LayerStatus =
  | 'Already exists'
  | 'Pulling fs layer'
  | 'Waiting'
  | 'Downloading'
  | 'Verifying Checksum'
  | 'Download complete'
  | 'Extracting'
  | 'Pull complete'

export type PullEvent =
  /** "latest: Pulling from library/busybox" */
  | { kind: 'pulling'; id: string; path: string }
  /** "<12 hex>: Pull complete"; Downloading carries bytes so far and the layer's size. */
  | { kind: 'layer'; id: string; status: LayerStatus; current?: number; total?: number }

export interface PullOptions {
  store: PullStore
  client?: RegistryClient
  /** --platform: pick this entry of a multi-platform index (default: this machine's). */
  platform?: Platform
  onEvent?: (e: PullEvent) => void
  signal?: AbortSignal
}

export interface PullResult {
  /** The image ID ("sha256:" + config digest hex). */
  id: string
  /** What the reference resolved to in the registry (the index for multi-platform images). */
  digest: string
  /** "docker.io/library/busybox@sha256:…" */
  repoDigest: string
  /** False when the image was already there under that name: "Status: Image is up to date for …". */
  downloaded: boolean
  /** The platform manifest that was pulled. */
  manifestDigest: string
}

/** Docker pulls three layers at a time (--max-concurrent-downloads). */
export const MAX_CONCURRENT_LAYERS = 3

/** Layer types the pull accepts (the store decides about compressions it cannot unpack). */
const LAYER_TYPES = new Set<string>([
  MediaType.OciLayerGzip,
  MediaType.OciLayerZstd,
  MediaType.OciLayerTar,
  MediaType.DockerLayerGzip,
  MediaType.DockerForeignLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
])

/** The 12-hex short form Docker shows for a layer (of its compressed digest). */
export function shortLayerID(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13)
}

function pullError(message: string, cause?: unknown): TockerError {
  return new TockerError(message, { code: 'EPULL', daemon: true, cause })
}

export async function pullImage(ref: Reference, opts: PullOptions): Promise<PullResult> {
  const { store } = opts
  const client = opts.client ?? new RegistryClient()
  const emit = opts.onEvent ?? (() => {})
  // A reference with both a tag and a digest is pulled by digest, as Docker does.
  const byDigest = ref.digest !== undefined
  const target: Reference = byDigest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : { ...ref, tag: ref.tag ?? 'latest' }

  // One unpacking thread starts meanwhile (more once the manifest says how many layers are new).
  store.prepareLayers?.(1)
  const resolved = await client.resolveImage(target, { platform: opts.platform, signal: opts.signal })
  emit({ kind: 'pulling', id: byDigest ? target.digest! : target.tag!, path: target.path })

  const manifest = resolved.parsed
  for (const layer of manifest.layers) {
    if (!LAYER_TYPES.has(layer.mediaType)) {
      throw pullError(`unsupported layer media type ${layer.mediaType} in ${familiarString(target)}`)
    }
  }

  const configBytes = await client.getBlob(target, manifest.config, { signal: opts.signal })
  const config = parseDocument(ImageConfigDoc, configBytes, `image config ${manifest.config.digest}`, (m) => pullError(`invalid ${m}`))
  const diffIDs = config.rootfs.diff_ids
  if (!Array.isArray(diffIDs) || diffIDs.length !== manifest.layers.length) {
    throw pullError(
      `invalid image config ${manifest.config.digest}: ${manifest.layers.length} layers but ${Array.isArray(diffIDs) ? diffIDs.length : 'no'} diff_ids`,
    )
  }
  note('config', manifest.layers.length === 1 ? 'explain.note.config.one' : 'explain.note.config.many', {
    manifest: shortLayerID(resolved.manifest.digest),
    config: shortLayerID(manifest.config.digest),
    n: manifest.layers.length,
  })
  if (opts.platform && !resolved.index) {
    // A single-platform image: its config says what it runs on.
    const actual = normalizePlatform({ os: config.os ?? '', architecture: config.architecture ?? '', variant: config.variant })
    const wanted = normalizePlatform(opts.platform)
    if (actual.os !== wanted.os || actual.architecture !== wanted.architecture || (wanted.variant && actual.variant !== wanted.variant)) {
      throw pullError(
        `image with reference ${familiarString(target)} was found but does not match the specified platform: wanted ${formatPlatform(wanted)}, actual: ${formatPlatform(actual)}`,
      )
    }
  }

  // Docker skips the layers entirely when the image itself is already in the store.
  // From here layers are pinned (hasLayer); the commit releases them. A pull that fails before it
  // releases them itself: in a long-lived engine a pin left behind would keep them from rmi forever.
  try {
    return await fetchAndCommit(target, resolved, configBytes, diffIDs, store, client, emit, opts.signal)
  } catch (err) {
    store.unpinLayers?.(diffIDs)
    throw err
  }
}

async function fetchAndCommit(
  target: Reference,
  resolved: Awaited<ReturnType<RegistryClient['resolveImage']>>,
  configBytes: Buffer,
  diffIDs: string[],
  store: PullStore,
  client: RegistryClient,
  emit: (e: PullEvent) => void,
  signal?: AbortSignal,
): Promise<PullResult> {
  const manifest = resolved.parsed
  const byDigest = target.digest !== undefined
  const imageExisted = store.getBlob(manifest.config.digest) !== undefined && diffIDs.every((d) => store.hasLayer(d))
  if (!imageExisted) await pullLayers(target, manifest.layers, diffIDs, store, client, emit, signal)

  if (resolved.index) store.putBlob(resolved.index.digest, resolved.index.bytes)
  const repoDigest = `${fullName(target)}@${resolved.digest}`
  const tag = byDigest ? undefined : fullString(target)
  const before = store.resolveId(tag ?? repoDigest)
  const committed = store.commitImage({
    config: configBytes,
    configDigest: manifest.config.digest,
    manifest: resolved.manifest.bytes,
    manifestDigest: resolved.manifest.digest,
    repoDigest,
    tag,
  })
  // Docker: "Downloaded newer image" when the name (tag, or name@digest) did not point at this image before.
  const downloaded = before !== committed.id
  return { id: committed.id, digest: resolved.digest, repoDigest, downloaded, manifestDigest: resolved.manifest.digest }
}

async function pullLayers(
  ref: Reference,
  layers: Descriptor[],
  diffIDs: string[],
  store: PullStore,
  client: RegistryClient,
  emit: (e: PullEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  // One download per distinct layer (an image may list the same layer twice).
  const todo: { desc: Descriptor; diffID: string; id: string }[] = []
  const seen = new Set<string>()
  for (let i = 0; i < layers.length; i++) {
    const desc = layers[i]
    const id = shortLayerID(desc.digest)
    if (seen.has(diffIDs[i])) continue
    seen.add(diffIDs[i])
    if (store.hasLayer(diffIDs[i])) {
      emit({ kind: 'layer', id, status: 'Already exists' })
      note('layer', 'explain.note.layer.shared', { id })
      continue
    }
    todo.push({ desc, diffID: diffIDs[i], id })
  }
  store.prepareLayers?.(Math.min(todo.length, MAX_CONCURRENT_LAYERS))
  for (const l of todo) emit({ kind: 'layer', id: l.id, status: 'Pulling fs layer' })
  for (const l of todo.slice(MAX_CONCURRENT_LAYERS)) emit({ kind: 'layer', id: l.id, status: 'Waiting' })

  // The first failure stops every other download.
  const abort = new AbortController()
  const onOuterAbort = () => abort.abort(signal?.reason)
  signal?.addEventListener('abort', onOuterAbort, { once: true })
  let firstError: unknown
  let next = 0
  const added: string[] = []
  const worker = async () => {
    while (next < todo.length && !abort.signal.aborted) {
      const layer = todo[next++]
      try {
        if ((await pullLayer(ref, layer, store, client, emit, abort.signal)) === 'added') added.push(layer.diffID)
      } catch (err) {
        if (firstError === undefined) firstError = err
        abort.abort(err)
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_LAYERS, todo.length) }, worker))
  } finally {
    signal?.removeEventListener('abort', onOuterAbort)
  }
  if (firstError !== undefined || signal?.aborted) {
    // Nothing of a failed pull stays: the layers it completed go again (unless an image uses them).
    store.discardLayers?.(added)
    if (firstError !== undefined) throw describeLayerError(firstError)
    throw signal?.reason
  }
}

async function pullLayer(
  ref: Reference,
  layer: { desc: Descriptor; diffID: string; id: string },
  store: PullStore,
  client: RegistryClient,
  emit: (e: PullEvent) => void,
  signal: AbortSignal,
): Promise<'added' | 'exists'> {
  const { desc, diffID, id } = layer
  let lastReport = 0
  const body = await client.openBlob(ref, desc, {
    signal,
    onProgress: (bytes) => {
      // A progress event per ~1% (Docker refreshes its bars a few times a second).
      if (bytes - lastReport >= desc.size / 100 || bytes === desc.size) {
        lastReport = bytes
        emit({ kind: 'layer', id, status: 'Downloading', current: bytes, total: desc.size })
      }
    },
  })
  body.once('end', () => {
    // The verifier ends only once size and digest are right.
    emit({ kind: 'layer', id, status: 'Verifying Checksum' })
    emit({ kind: 'layer', id, status: 'Download complete' })
    // The layer is unpacked while it streams in; what is left now is the tail of the unpack and
    // the check of its DiffID (Docker extracts only after the download, hence its separate step).
    emit({ kind: 'layer', id, status: 'Extracting', current: desc.size, total: desc.size })
  })
  const onAbort = () => body.destroy(signal.reason instanceof Error ? signal.reason : new TockerError('pull aborted', { code: 'EABORTED', internal: true }))
  signal.addEventListener('abort', onAbort, { once: true })
  let result: 'added' | 'exists'
  try {
    result = await store.addLayer(desc, diffID, body)
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!body.destroyed) body.destroy()
  }
  emit({ kind: 'layer', id, status: 'Pull complete' })
  note('layer', 'explain.note.layer.unpacked', { id, size: desc.size, dir: shortLayerID(diffID) })
  return result
}

/** The store may wrap the stream's error; find the verification failure or registry error inside. */
function describeLayerError(err: unknown): Error {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e instanceof BlobVerificationError) return pullError(e.message, err)
    if (e instanceof TockerError && e.code === 'EREGISTRY') return e
  }
  if (isUserFacing(err)) return err
  return pullError((err as Error)?.message ?? String(err), err)
}
