// The bytes of a layer's tar that are not file content, kept beside the unpacked layer so that the
// exact original tar can be rebuilt from the layer directory (`tocker save`, layer export) and hash
// to the same DiffID — the image ID depends on it. Docker keeps the same thing ("tar-split").
//
// tar-split.gz is a gzip'd sequence of records:
//   0x01 RAW  u32 length, bytes              headers, PAX bodies, padding, end-of-archive blocks
//   0x02 FILE u32 id, u16 n, path[n], u64 size   content of entry `id`: `size` bytes of diff/<path>
// A file that a later entry of the same tar replaced was moved aside to shadow/<n>; moved.json maps
// such ids to their new place (relative to the layer directory).
import { TockerError } from '../../errors.js'
import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { constants as zc, createGunzip, createGzip, type Gzip } from 'node:zlib'

const RAW = 1
const FILE = 2
const RAW_FLUSH = 256 * 1024

export const TAR_SPLIT = 'tar-split.gz'
export const MOVED = 'moved.json'

export class TarSplitWriter {
  #gzip: Gzip
  #file: WriteStream
  #raw: Buffer[] = []
  #rawLen = 0
  // Encoded records wait here and go to gzip in big pieces: each gzip write is a trip to the
  // thread pool, far too costly per tar entry.
  #out: Buffer[] = []
  #outLen = 0
  #nextId = 0
  #moved = new Map<number, string>()

  #error?: Error

  constructor(private readonly layerDir: string) {
    this.#file = createWriteStream(join(layerDir, TAR_SPLIT))
    this.#gzip = createGzip({ level: zc.Z_BEST_SPEED })
    this.#gzip.pipe(this.#file)
    // Kept for close(): an 'error' nobody listens to would end the process.
    const keep = (err: Error) => (this.#error ??= err)
    this.#file.on('error', keep)
    this.#gzip.on('error', keep)
  }

  raw(bytes: Buffer): void {
    this.#raw.push(bytes)
    this.#rawLen += bytes.length
    if (this.#rawLen >= RAW_FLUSH) this.#flushRaw()
  }

  /** Record that `size` bytes of content live at diff/<path>; returns the entry's id. */
  file(path: string, size: number): number {
    this.#flushRaw()
    const id = this.#nextId++
    const p = Buffer.from(path, 'utf8')
    const rec = Buffer.allocUnsafe(1 + 4 + 2 + p.length + 8)
    rec[0] = FILE
    rec.writeUInt32BE(id, 1)
    rec.writeUInt16BE(p.length, 5)
    p.copy(rec, 7)
    rec.writeBigUInt64BE(BigInt(size), 7 + p.length)
    this.#emit(rec)
    return id
  }

  /** The content of entry `id` now lives at `location` (relative to the layer directory). */
  moved(id: number, location: string): void {
    this.#moved.set(id, location)
  }

  #flushRaw(): void {
    if (this.#rawLen === 0) return
    const head = Buffer.allocUnsafe(5)
    head[0] = RAW
    head.writeUInt32BE(this.#rawLen, 1)
    this.#emit(head)
    for (const r of this.#raw) this.#emit(r)
    this.#raw = []
    this.#rawLen = 0
  }

  #emit(b: Buffer): void {
    this.#out.push(b)
    this.#outLen += b.length
    if (this.#outLen >= RAW_FLUSH) this.#flushOut()
  }

  #flushOut(): void {
    if (this.#outLen === 0) return
    this.#gzip.write(Buffer.concat(this.#out, this.#outLen))
    this.#out = []
    this.#outLen = 0
  }

  async close(): Promise<void> {
    this.#flushRaw()
    this.#flushOut()
    this.#gzip.end()
    if (this.#error) throw this.#error
    await finished(this.#file)
    if (this.#error) throw this.#error
    if (this.#moved.size) writeFileSync(join(this.layerDir, MOVED), JSON.stringify(Object.fromEntries(this.#moved)))
  }

  /**
   * Stop after a failure. Resolves once the file is closed: its open(2) runs on the thread pool and
   * may still be pending, and the caller removes the layer directory right after (a file created
   * then would make that removal fail with ENOTEMPTY and leave garbage).
   */
  abort(): Promise<void> {
    this.#gzip.destroy()
    this.#file.destroy()
    if (this.#file.closed) return Promise.resolve()
    return new Promise((resolve) => this.#file.once('close', () => resolve()))
  }
}

export function hasTarSplit(layerDir: string): boolean {
  return existsSync(join(layerDir, TAR_SPLIT))
}

/** Rebuild the layer's original tar stream, chunk by chunk. */
export async function* assembleTar(layerDir: string): AsyncGenerator<Buffer> {
  const moved: Record<string, string> = existsSync(join(layerDir, MOVED)) ? JSON.parse(readFileSync(join(layerDir, MOVED), 'utf8')) : {}
  const records = createReadStream(join(layerDir, TAR_SPLIT)).pipe(createGunzip())
  let pending: Buffer = Buffer.alloc(0)
  for await (const chunk of records as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    let off = 0
    for (;;) {
      if (pending.length - off < 5) break
      const kind = pending[off]
      if (kind === RAW) {
        const len = pending.readUInt32BE(off + 1)
        if (pending.length - off < 5 + len) break
        yield pending.subarray(off + 5, off + 5 + len)
        off += 5 + len
      } else if (kind === FILE) {
        if (pending.length - off < 7) break
        const n = pending.readUInt16BE(off + 5)
        if (pending.length - off < 7 + n + 8) break
        const id = pending.readUInt32BE(off + 1)
        const path = pending.toString('utf8', off + 7, off + 7 + n)
        const size = Number(pending.readBigUInt64BE(off + 7 + n))
        off += 7 + n + 8
        yield* readExactly(join(layerDir, moved[id] ?? join('diff', path)), size)
      } else {
        throw new TockerError(`corrupted ${TAR_SPLIT} in ${layerDir}`, { code: 'ETARSPLIT', internal: true })
      }
    }
    pending = pending.subarray(off)
  }
  if (pending.length) throw new TockerError(`truncated ${TAR_SPLIT} in ${layerDir}`, { code: 'ETARSPLIT', internal: true })
}

async function* readExactly(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r')
  try {
    let left = size
    let pos = 0
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20))
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) throw new TockerError(`${path} is shorter than when it was unpacked (the layer was modified)`, { code: 'ETARSPLIT', internal: true })
      pos += bytesRead
      left -= bytesRead
      yield buf.subarray(0, bytesRead)
    }
  } finally {
    await fh.close()
  }
}
