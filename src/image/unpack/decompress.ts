// From a layer's (possibly compressed) byte stream to its tar stream. Like Docker, the compression is
// recognised by the stream's first bytes (registries and archives mislabel layers now and then);
// the media type only has to be one tocker knows how to handle.
//  - gzip: Node's zlib (it runs inflate on the libuv thread pool).
//  - zstd: Node 20's zlib has no zstd, so the `zstd` program decompresses in a child process.
//  - none: the tar as it is.
import { spawn } from 'node:child_process'
import { accessSync, constants as fsc } from 'node:fs'
import { delimiter, join } from 'node:path'
import { Duplex, PassThrough, type Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { TockerError } from '../../errors.js'
import { report } from '../../trace/trace.js'
import { MediaType } from '../types.js'

export type Compression = 'gzip' | 'zstd' | 'none'

const LAYER_MEDIA_TYPES: Record<string, Compression> = {
  [MediaType.OciLayerGzip]: 'gzip',
  [MediaType.OciLayerZstd]: 'zstd',
  [MediaType.OciLayerTar]: 'none',
  [MediaType.DockerLayerGzip]: 'gzip',
  [MediaType.DockerForeignLayerGzip]: 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
}

/** The compression a layer media type announces; a clear error for anything that is not a layer. */
export function layerCompression(mediaType: string): Compression {
  const c = LAYER_MEDIA_TYPES[mediaType]
  if (!c) throw new TockerError(`unsupported layer media type ${JSON.stringify(mediaType)}`, { code: 'EUNSUPPORTEDMEDIA' })
  return c
}

/** Recognise a compressed stream by its magic number. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd'
  return 'none'
}

/** Wait for the stream's first chunk and put it back; null for an empty stream. */
export function peek(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) return reject(stream.errored ?? new TockerError('the layer stream was closed before it was read', { code: 'ESTREAMCLOSED', internal: true }))
    if (stream.readableEnded) return resolve(null)
    const done = (): void => {
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
    }
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null
      if (chunk === null) return
      done()
      stream.unshift(chunk)
      resolve(chunk)
    }
    const onEnd = (): void => {
      done()
      resolve(null)
    }
    const onError = (err: Error): void => {
      done()
      reject(err)
    }
    const onClose = (): void => {
      done()
      stream.off('close', onClose)
      reject(stream.errored ?? new TockerError('the layer stream was closed before it was read', { code: 'ESTREAMCLOSED', internal: true }))
    }
    stream.on('readable', onReadable)
    stream.once('end', onEnd)
    stream.once('error', onError)
    stream.once('close', onClose)
  })
}

/** A transform from the compressed bytes to the tar bytes. */
export function decompressor(kind: Compression): Duplex {
  switch (kind) {
    case 'gzip':
      // Bigger output chunks than zlib's 16 KiB default: fewer callbacks and write() calls.
      return createGunzip({ chunkSize: 256 * 1024 })
    case 'zstd':
      return zstdProcess()
    case 'none':
      return new PassThrough({ highWaterMark: 256 * 1024 })
  }
}

let zstdPath: string | null | undefined

function findZstd(): string | null {
  if (zstdPath !== undefined) return zstdPath
  zstdPath = null
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    try {
      accessSync(join(dir, 'zstd'), fsc.X_OK)
      zstdPath = join(dir, 'zstd')
      break
    } catch {
      // not here
    }
  }
  return zstdPath
}

function zstdProcess(): Duplex {
  const bin = findZstd()
  if (!bin) {
    throw new TockerError('unsupported layer media type "application/vnd.oci.image.layer.v1.tar+zstd": the zstd program is not installed (apt-get install zstd)', {
      code: 'EUNSUPPORTEDMEDIA',
    })
  }
  const child = spawn(bin, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] })
  report({ kind: 'exec', op: 'spawn', detail: `${bin} -d -c -q (decompress a zstd layer)`, result: `pid ${child.pid}` })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  // The tar may end before zstd has exited: hold back the end of our side until it exited with 0.
  const out = new PassThrough({ highWaterMark: 256 * 1024 })
  child.stdout.pipe(out, { end: false })
  child.once('close', (code) => {
    if (code === 0) out.end()
    else out.destroy(new TockerError(`zstd layer decompression failed: ${stderr.trim() || `exit code ${code}`}`, { code: 'EDECOMPRESS' }))
  })
  const front = Duplex.from({ writable: child.stdin, readable: out })
  front.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return front
}
