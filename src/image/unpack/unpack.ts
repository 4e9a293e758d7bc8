// Stream one layer into a directory: compressed bytes -> decompressor -> (sha256 = DiffID) -> tar
// reader -> layer writer. No temporary tarball: the HTTP response (or an archive member) flows
// straight into the files, and the DiffID is checked when the last byte has gone through.
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isUserFacing, TockerError } from '../../errors.js'
import { decompressor, layerCompression, peek, sniffCompression, type Compression } from './decompress.js'
import { LayerWriter, UnsafeLayerError } from './layer-writer.js'
import { TarFormatError, TarReader } from './tar-reader.js'
import { TarSplitWriter } from './tar-split.js'

export interface UnpackOptions {
  /** The layer's media type (checked to be a layer type; the compression is read from the bytes). */
  mediaType?: string
  /** "sha256:<hex>" the uncompressed tar must hash to; a mismatch rejects the layer. */
  expectedDiffID?: string
  signal?: AbortSignal
}

export interface UnpackResult {
  diffID: string
  /** Bytes of file content in the layer. */
  size: number
  /** Bytes of the uncompressed tar. */
  tarSize: number
  entries: number
  compression: Compression
}

/**
 * Unpack `body` into layerDir/diff (plus layerDir/tar-split.gz). layerDir must exist and be empty.
 * On failure the error names what was wrong; the caller removes layerDir.
 */
export async function unpackLayer(body: Readable, layerDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  if (opts.mediaType !== undefined) layerCompression(opts.mediaType)
  const split = new TarSplitWriter(layerDir)
  const writer = new LayerWriter(layerDir, split)
  const reader = new TarReader(writer)
  const hash = createHash('sha256')
  let tarSize = 0
  const sink = reader.sink({
    highWaterMark: 4 << 20,
    deferEachChunk: true,
    onChunk: (chunk) => {
      hash.update(chunk)
      tarSize += chunk.length
    },
  })
  let compression: Compression = 'none'
  try {
    const head = await peek(body)
    if (head === null) throw new TockerError('layer is empty (not a tar stream)', { code: 'EBADLAYER' })
    compression = sniffCompression(head)
    await pipeline(body, decompressor(compression), sink, { signal: opts.signal })
    writer.finish()
    await split.close()
  } catch (err) {
    writer.abort()
    body.destroy()
    await split.abort()
    throw explain(err, compression)
  }
  const diffID = `sha256:${hash.digest('hex')}`
  if (opts.expectedDiffID && opts.expectedDiffID !== diffID) {
    throw new TockerError(`layer content does not match its diff ID: expected ${opts.expectedDiffID}, got ${diffID}`, { code: 'EDIFFID' })
  }
  return { diffID, size: writer.size, tarSize, entries: reader.entries, compression }
}

/** Turn low-level failures into one clear line. */
function explain(err: unknown, compression: Compression): unknown {
  if (isUserFacing(err)) return err
  if (err instanceof TarFormatError) return new TockerError(err.message, { code: 'EBADLAYER', status: 400, cause: err })
  const e = err as NodeJS.ErrnoException
  if (e?.code?.startsWith('Z_') || e?.code === 'ERR_ZLIB') {
    return new TockerError(`layer is not valid ${compression} data: ${e.message}`, { code: 'EBADLAYER', status: 400, cause: err })
  }
  return err
}

export { UnsafeLayerError }
