// ADD's local archives: is a file a tar (plain, gzip, zstd, bzip2 or xz; the last two through the
// bzip2/xz programs), and unpacking it into a directory as a layer's files.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { posix } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { codeOf, TockerError } from '../../errors.js'
import { decompressor, peek, sniffCompression } from '../../image/unpack/decompress.js'
import { LayerWriter } from '../../image/unpack/layer-writer.js'
import { TarReader } from '../../image/unpack/tar-reader.js'

export async function isArchive(path: string): Promise<boolean> {
  const fd = openSync(path, 'r')
  let head: Buffer
  try {
    head = Buffer.alloc(6)
    readSync(fd, head, 0, 6, 0)
  } finally {
    closeSync(fd)
  }
  const kind = compressionOf(head)
  let first: Buffer | null
  const raw = createReadStream(path, { start: 0 })
  try {
    const stream = kind === 'bzip2' || kind === 'xz' ? externalDecompress(kind, raw) : raw.pipe(decompressor(kind))
    first = await readAtLeast(stream, 512)
    stream.destroy()
  } catch {
    return false
  } finally {
    raw.destroy()
  }
  return first !== null && first.length >= 512 && validTarHeader(first.subarray(0, 512))
}

function compressionOf(head: Buffer): 'gzip' | 'zstd' | 'none' | 'bzip2' | 'xz' {
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2'
  if (head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  return sniffCompression(head)
}

function externalDecompress(kind: 'bzip2' | 'xz', input: Readable): Readable {
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] })
  input.pipe(child.stdin)
  child.stdin.on('error', () => {})
  child.on('error', (err) => child.stdout.destroy(new TockerError(`cannot unpack a ${kind} archive: ${err.message} (install ${kind})`, { code: codeOf(err, 'ERUNTIME'), cause: err })))
  return child.stdout
}

async function readAtLeast(stream: Readable, n: number): Promise<Buffer | null> {
  const parts: Buffer[] = []
  let len = 0
  for await (const c of stream) {
    parts.push(c as Buffer)
    len += (c as Buffer).length
    if (len >= n) break
  }
  return len ? Buffer.concat(parts) : null
}

function validTarHeader(b: Buffer): boolean {
  const stored = parseInt(b.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8)
  if (!Number.isFinite(stored)) return false
  let sum = 0
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]
  return sum === stored
}

export async function unpackArchive(path: string, work: string): Promise<void> {
  const raw = createReadStream(path)
  const head = await peek(raw)
  const kind = compressionOf(head ?? Buffer.alloc(0))
  const writer = new LayerWriter(work, undefined, { literal: true })
  const reader = new TarReader(writer)
  const source = kind === 'bzip2' || kind === 'xz' ? externalDecompress(kind, raw) : raw.pipe(decompressor(kind))
  try {
    await pipeline(source, reader.sink({ highWaterMark: 1 << 20 }))
    writer.finish()
  } catch (err) {
    writer.abort()
    throw new TockerError(`ADD failed: cannot unpack ${posix.basename(path)}: ${(err as Error).message}`, { code: 'EBUILD', cause: err })
  }
}
