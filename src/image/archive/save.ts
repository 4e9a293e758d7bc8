// `save`: images as one tar, in the format Docker 25+ writes, which is two formats at once:
//
//   blobs/sha256/<hex>   layer tars (uncompressed: their digest is the DiffID), configs, manifests
//   oci-layout, index.json                      an OCI image layout (index.json names each image)
//   manifest.json, repositories                 the older "docker-archive" description
//
// Layer tars are rebuilt byte for byte from the unpacked layer and its tar-split (see
// unpack/tar-split.ts), and checked against their DiffID on the way out, so that loading the archive
// gives back the same image ID.
import { createHash } from 'node:crypto'
import type { Writable } from 'node:stream'
import { digestHex } from '../../content/blobs.js'
import { TockerError } from '../../errors.js'
import { familiarName, familiarString, parseReference } from '../reference.js'
import type { ImageRecord, ImageStore } from '../store.js'
import { MediaType } from '../types.js'
import { assembleTar, hasTarSplit } from '../unpack/tar-split.js'
import { archiveManifestEntry, nameAnnotations } from './layout-documents.js'
import { TarWriter } from './tar-writer.js'

export interface SaveItem {
  image: ImageRecord
  /** Full references to record for this image (familiar in manifest.json, full in index.json). */
  tags: string[]
}

export async function saveImages(store: ImageStore, items: SaveItem[], out: Writable): Promise<void> {
  const tar = new TarWriter(out)
  const written = new Set<string>()
  await tar.dir('blobs')
  await tar.dir('blobs/sha256')
  const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = []
  const indexEntries: object[] = []
  const repositories: Record<string, Record<string, string>> = {}

  for (const { image, tags } of items) {
    const layerDescs = []
    for (const diffID of image.diffIDs) {
      const info = store.layerInfo(diffID)
      const dir = store.layers.dir(diffID)
      if (!info || !hasTarSplit(dir)) {
        throw new TockerError(`cannot save layer ${diffID}: it is missing from the store or was unpacked without its tar metadata`, { code: 'ESAVE' })
      }
      if (!written.has(diffID)) {
        written.add(diffID)
        await tar.stream(`blobs/sha256/${digestHex(diffID)}`, info.tarSize, verified(assembleTar(dir), diffID))
      }
      layerDescs.push({ mediaType: MediaType.OciLayerTar, digest: diffID, size: info.tarSize })
    }
    const config = store.getBlob(image.id)
    if (!config) throw new TockerError(`cannot save image ${image.id}: its config is missing from the store`, { code: 'ESAVE' })
    if (!written.has(image.id)) {
      written.add(image.id)
      await tar.file(`blobs/sha256/${digestHex(image.id)}`, config)
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: image.id, size: config.length },
        layers: layerDescs,
      }),
    )
    const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
    if (!written.has(manifestDigest)) {
      written.add(manifestDigest)
      await tar.file(`blobs/sha256/${digestHex(manifestDigest)}`, manifest)
    }
    const manifestDesc = { mediaType: MediaType.OciManifest, digest: manifestDigest, size: manifest.length }
    if (tags.length === 0) indexEntries.push(manifestDesc)
    for (const full of tags) {
      const ref = parseReference(full)
      indexEntries.push({
        ...manifestDesc,
        annotations: nameAnnotations(full),
      })
      ;(repositories[familiarName(ref)] ??= {})[ref.tag ?? 'latest'] = digestHex(image.id)
    }
    manifestJson.push(archiveManifestEntry(image.id, image.diffIDs, tags.length ? tags.map((t) => familiarString(parseReference(t))) : null))
  }

  await tar.file('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: indexEntries }) + '\n'))
  await tar.file('manifest.json', Buffer.from(JSON.stringify(manifestJson) + '\n'))
  await tar.file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })))
  if (Object.keys(repositories).length) await tar.file('repositories', Buffer.from(JSON.stringify(repositories) + '\n'))
  await tar.end()
}

/** Pass the chunks through, and fail at the end if they do not hash to `diffID`. */
export async function* verified(chunks: AsyncIterable<Buffer>, diffID: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256')
  for await (const c of chunks) {
    hash.update(c)
    yield c
  }
  const got = `sha256:${hash.digest('hex')}`
  if (got !== diffID) {
    throw new TockerError(`layer ${diffID} in the store no longer matches its DiffID (got ${got}): was its directory modified?`, { code: 'ESAVE' })
  }
}
