// `push`: an image of the store into a registry repository, as Docker's daemon does it.
//
//   1. every layer, top first ("Preparing"), at most 3 at a time ("Waiting" for the rest):
//      a. HEAD the blob(s) tocker knows for the layer in the target repository: the one it was pulled
//         as, the one an earlier push made -> "Layer already exists";
//      b. else a cross-repository mount from a repository of the same registry whose image has that
//         blob (it was pulled from there) -> "Mounted from library/busybox", not a byte sent;
//      c. else the layer's tar, rebuilt byte for byte from the unpacked layer and its tar-split and
//         checked against its DiffID, gzip-compressed on the way and streamed up ("Pushing", "Pushed");
//         the new blob's digest is remembered in the layer's layer.json for the next push.
//   2. the image config, byte for byte (its digest is the image ID);
//   3. the manifest: the pulled one, unchanged, when every blob it names is the one pushed (so the
//      digest stays the pulled one); otherwise a new one (Docker schema 2, or OCI for an OCI image);
//   4. "latest: digest: sha256:… size: N", and the image gets that repo digest.
//
// A layer's blob is gzip-compressed by Node's zlib (level 4), on every core (one gzip member per
// 4 MiB of tar, gzip-members.ts), deterministically: the same layer compresses to the same
// digest, but never to the bytes of the registry it was pulled from (which is why a pulled blob is
// first looked for, then mounted, and only then sent anew).
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { digestHex } from '../content/blobs.js'
import { TockerError } from '../errors.js'
import { verified } from './archive/save.js'
import { gzipMembers } from './gzip-members.js'
import { fullName, parseReference, type Reference } from './reference.js'
import type { RegistryClient } from './registry/client.js'
import { RegistryUploader, type BlobDescriptor } from './registry/upload.js'
import type { ImageRecord, ImageStore } from './store.js'
import { MediaType, type ImageManifest } from './types.js'
import { assembleTar, hasTarSplit } from './unpack/tar-split.js'

export interface PushEvent {
  /** The layer's short DiffID (Docker's push IDs), or undefined for a line of its own. */
  id?: string
  status: string
  current?: number
  total?: number
}

export interface PushResult {
  tag: string
  digest: string
  size: number
}

const CONCURRENCY = 3

const OCI_TYPES = new Set<string>([MediaType.OciLayerGzip, MediaType.OciLayerZstd, MediaType.OciLayerTar, MediaType.OciConfig, MediaType.OciManifest])

export async function pushImage(image: ImageRecord, ref: Reference & { tag: string }, opts: { store: ImageStore; client: RegistryClient; onEvent: (e: PushEvent) => void }): Promise<PushResult> {
  const { store, onEvent } = opts
  const up = new RegistryUploader(opts.client, ref)
  const original = pulledManifest(store, image)
  const shortId = (diffID: string) => digestHex(diffID).slice(0, 12)

  // Top first, as Docker lists them; the same layer twice in one image is pushed once.
  const order = [...new Set(image.diffIDs)].reverse()
  for (const d of order) onEvent({ id: shortId(d), status: 'Preparing' })
  for (const d of order.slice(CONCURRENCY)) onEvent({ id: shortId(d), status: 'Waiting' })
  const pushed = new Map<string, BlobDescriptor>()
  let next = 0
  const worker = async () => {
    while (next < order.length) {
      const diffID = order[next++]
      pushed.set(diffID, await pushLayer(diffID, image.diffIDs.indexOf(diffID)))
    }
  }

  async function pushLayer(diffID: string, index: number): Promise<BlobDescriptor> {
    const id = shortId(diffID)
    const info = store.layerInfo(diffID)
    if (!info) throw new TockerError(`layer ${diffID} of image ${image.id} is missing from the store`, { code: 'ELAYERMISSING', daemon: true })
    const fromManifest = original?.layers[index]
    const known: BlobDescriptor[] = []
    if (fromManifest) known.push({ mediaType: fromManifest.mediaType, digest: fromManifest.digest, size: fromManifest.size })
    else if (info.digest && info.mediaType) known.push({ mediaType: info.mediaType, digest: info.digest, size: -1 })
    if (info.pushedBlob && !known.some((k) => k.digest === info.pushedBlob!.digest)) known.push(info.pushedBlob)
    for (const k of known) {
      const size = await up.blobSize(k.digest)
      if (size !== undefined) {
        onEvent({ id, status: 'Layer already exists' })
        return { ...k, size }
      }
    }
    for (const k of known) {
      for (const from of mountSources(store, ref, diffID, k.digest)) {
        if (await up.mount(k.digest, from)) {
          onEvent({ id, status: `Mounted from ${from}` })
          return { ...k, size: k.size >= 0 ? k.size : ((await up.blobSize(k.digest)) ?? 0) }
        }
      }
    }
    const blob = await uploadLayer(diffID, info.tarSize, (current) => onEvent({ id, status: 'Pushing', current, total: info.tarSize }))
    await store.layers.recordPushedBlob(diffID, blob)
    onEvent({ id, status: 'Pushed' })
    return blob
  }

  /** The layer's tar, checked against its DiffID, gzip-compressed and streamed into an upload. */
  async function uploadLayer(diffID: string, tarSize: number, progress: (bytes: number) => void): Promise<BlobDescriptor> {
    const dir = store.layers.dir(diffID)
    if (!hasTarSplit(dir)) throw new TockerError(`cannot push layer ${diffID}: it was unpacked without its tar metadata (pull the image again)`, { code: 'EPUSH', daemon: true })
    const hash = createHash('sha256')
    let size = 0
    let read = 0
    let lastReport = 0
    const source = Readable.from(
      (async function*() {
        for await (const chunk of verified(assembleTar(dir), diffID)) {
          read += chunk.length
          if (read - lastReport >= 512 * 1024 || read === tarSize) {
            lastReport = read
            progress(read)
          }
          yield chunk
        }
      })(),
    )
    const body = (async function*() {
      try {
        for await (const chunk of gzipMembers(source)) {
          hash.update(chunk)
          size += chunk.length
          yield chunk
        }
      } finally {
        source.destroy()
      }
    })()
    let digest = ''
    await up.upload(body, () => (digest = `sha256:${hash.digest('hex')}`))
    return { mediaType: MediaType.DockerLayerGzip, digest, size }
  }

  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, order.length) }, worker))
  const layers = image.diffIDs.map((d) => pushed.get(d)!)

  const config = store.getBlob(image.id)
  if (!config) throw new TockerError(`cannot push image ${image.id}: its config is missing from the store`, { code: 'EPUSH', daemon: true })
  if ((await up.blobSize(image.id)) === undefined) await up.uploadBytes(config, image.id)

  let manifest: { bytes: Buffer; mediaType: string }
  if (original && original.layers.every((l, i) => l.digest === layers[i].digest)) {
    manifest = { bytes: original.bytes, mediaType: original.mediaType }
  } else {
    // Docker schema 2 knows only gzip layers: an OCI image, or one with zstd or plain tar layers,
    // gets an OCI manifest. A gzip layer's media type follows the manifest's family (same bytes).
    const oci = (original !== undefined && OCI_TYPES.has(original.mediaType)) || layers.some((l) => l.mediaType === MediaType.OciLayerZstd || l.mediaType === MediaType.OciLayerTar)
    const gzip = oci ? MediaType.OciLayerGzip : MediaType.DockerLayerGzip
    const isGzip = (t: string) => t === MediaType.OciLayerGzip || t === MediaType.DockerLayerGzip
    const doc = {
      schemaVersion: 2,
      mediaType: oci ? MediaType.OciManifest : MediaType.DockerManifest,
      config: { mediaType: oci ? MediaType.OciConfig : MediaType.DockerConfig, size: config.length, digest: image.id },
      layers: layers.map((l) => ({ mediaType: isGzip(l.mediaType) ? gzip : l.mediaType, size: l.size, digest: l.digest })),
    }
    // Docker's daemon writes its manifests indented by three blanks.
    manifest = { bytes: Buffer.from(JSON.stringify(doc, null, 3)), mediaType: doc.mediaType }
  }
  await up.putManifest(ref.tag, manifest.bytes, manifest.mediaType)
  const digest = `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`
  // The image now has this repo digest (what `images --digests` and `inspect` show).
  store.commitImage({ config, configDigest: image.id, manifest: manifest.bytes, manifestDigest: digest, repoDigest: `${fullName(ref)}@${digest}` })
  return { tag: ref.tag, digest, size: manifest.bytes.length }
}

interface PulledManifest {
  bytes: Buffer
  mediaType: string
  layers: BlobDescriptor[]
}

/** The manifest the image was pulled or loaded with, when the store has it and it fits the image. */
function pulledManifest(store: ImageStore, image: ImageRecord): PulledManifest | undefined {
  if (!image.manifestDigest) return undefined
  const bytes = store.getBlob(image.manifestDigest)
  if (!bytes) return undefined
  let doc: ImageManifest
  try {
    doc = JSON.parse(bytes.toString('utf8')) as ImageManifest
  } catch (err) {
    // The store's own copy is damaged: say so, rather than push as if the image had never been pulled.
    throw new TockerError(`cannot read the image store's manifest ${image.manifestDigest} of image ${image.id}: ${(err as Error).message}`, { code: 'ESTATE', daemon: true, cause: err })
  }
  if (doc?.config?.digest !== image.id || !Array.isArray(doc.layers) || doc.layers.length !== image.diffIDs.length) return undefined
  // A layer that is not compressed the usual way (foreign layers, urls) is sent as tocker makes it.
  if (doc.layers.some((l) => typeof l?.digest !== 'string' || typeof l.size !== 'number' || l.urls)) return undefined
  return { bytes, mediaType: doc.mediaType ?? MediaType.OciManifest, layers: doc.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })) }
}

/**
 * Repositories of the target's registry that have `blob` for this layer: those of the images the
 * store pulled from there whose manifest names it (Docker keeps the same as "v2 metadata").
 */
function mountSources(store: ImageStore, target: Reference, diffID: string, blob: string): string[] {
  const out = new Set<string>()
  for (const img of store.list()) {
    const i = img.diffIDs.indexOf(diffID)
    if (i < 0) continue
    const m = pulledManifest(store, img)
    if (!m || m.layers[i]?.digest !== blob) continue
    for (const rd of img.repoDigests) {
      let r: Reference
      try {
        r = parseReference(rd)
      } catch {
        continue
      }
      if (r.domain === target.domain && r.path !== target.path) out.add(r.path)
    }
  }
  return [...out]
}
