// `docker import`: a tar of files (plain or compressed, e.g. what `export` wrote) becomes an image of
// one layer (POST /images/create?fromSrc=-), as Docker's daemon makes it (image_import.go): the
// config has only what the --change instructions say, the history one entry commented "Imported
// from -" (or the -m message), no parent. The tar is unpacked as a layer like a pulled one (its
// names checked, nothing outside the layer written), and its DiffID computed as it streams.
import { pipeline } from 'node:stream/promises'
import { PassThrough, type Readable } from 'node:stream'
import { TockerError } from '../../errors.js'
import { sha256 } from '../../content/blobs.js'
import type { ContainerConfig } from '../../image/types.js'
import type { ImageStore } from '../../image/store.js'
import { decompressor, peek, sniffCompression } from '../../image/unpack/decompress.js'
import { orderedConfig } from '../build/image-config.js'

export interface ImportRequest {
  /** "-": the request body (Docker also takes a URL, which an offline engine cannot fetch). */
  fromSrc: string
  repo?: string
  tag?: string
  message?: string
  /** The run config: what the --change lines made (the engine applies them: commit.ts). */
  config: ContainerConfig
  platform: { os: string; architecture: string; variant?: string }
}

export async function importImage(store: ImageStore, body: Readable, req: ImportRequest): Promise<{ id: string; tag?: string }> {
  if (req.fromSrc !== '-') {
    throw new TockerError(`importing from a URL (${req.fromSrc}) is not supported by tocker: download the file and import it from a file or stdin`, { code: 'EINVALID', daemon: true })
  }
  const config = req.config
  const head = await peek(body)
  if (head === null) throw new TockerError('EOF', { code: 'EINVALID', daemon: true })
  const tar = new PassThrough({ highWaterMark: 1 << 20 })
  const feeding = pipeline(body, decompressor(sniffCompression(head)), tar)
  let diffID: string
  try {
    ;({ diffID } = await store.addLayerStream(tar))
    await feeding
  } catch (err) {
    tar.destroy()
    await feeding.catch(() => {})
    throw importError(err)
  }
  const created = new Date().toISOString()
  const msg = req.message || `Imported from ${req.fromSrc}`
  const image = {
    architecture: req.platform.architecture,
    ...(req.platform.variant ? { variant: req.platform.variant } : {}),
    os: req.platform.os,
    created,
    comment: msg,
    config: orderedConfig(config),
    rootfs: { type: 'layers', diff_ids: [diffID] },
    history: [{ created, comment: msg }],
  }
  const bytes = Buffer.from(JSON.stringify(image))
  const id = sha256(bytes)
  const tag = req.repo ? `${req.repo}:${req.tag || 'latest'}` : undefined
  store.commitImage({ config: bytes, configDigest: id, tag })
  return { id, tag }
}

function importError(err: unknown): unknown {
  const code = (err as { code?: string }).code
  if (code === 'ETARFORMAT' || code === 'EUNSAFELAYER' || code === 'Z_DATA_ERROR') {
    return new TockerError(`the archive is not a tar of files tocker can import: ${(err as Error).message}`, { code: 'EINVALID', daemon: true, cause: err })
  }
  return err
}
