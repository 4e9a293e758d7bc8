// A push-mode reader of tar streams (POSIX ustar + PAX, GNU long names, old v7), written here rather
// than taken from the `tar` package because layers need two things node-tar's Parser drops:
//  - SCHILY.xattr.* PAX records (node-tar keeps only the PAX keys it knows, and decodes values as
//    UTF-8, which would mangle binary values such as security.capability);
//  - every raw byte that is not file content (headers, PAX bodies, padding, end blocks), so that the
//    store can rebuild the exact original tar later (`tocker save`) from the unpacked files plus
//    these bytes, and get the same DiffID. Docker's "tar-split" does the same.
//
// Callbacks run synchronously inside write(); a callback that throws aborts the stream.
//
// Tar in one paragraph: a stream of 512-byte blocks. Each member is a header block (name, mode,
// uid, gid, size, mtime, checksum, type, link name, ...) followed by its content rounded up to a
// whole block. Names longer than 100 bytes and extra attributes travel in a preceding pseudo-member:
// a PAX extended header (type 'x': "len key=value\n" records) or a GNU long name ('L'/'K').
// Two zero blocks end the archive.

import { Writable } from 'node:stream'

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo'

export interface TarEntry {
  path: string // as written in the archive (not yet checked: see unpack.ts)
  type: TarEntryType
  mode: number // permission bits incl. setuid/setgid/sticky (07777)
  uid: number
  gid: number
  size: number // content bytes that follow (only 'file' entries normally have any)
  mtime: number // seconds since the epoch (may have a fraction from PAX)
  atime?: number
  linkpath: string
  devmajor: number
  devminor: number
  xattrs: Map<string, Buffer>
}

export interface TarHandler {
  entry(e: TarEntry): void
  /** Content of the current entry, in order: views into the written chunks (valid while they are). */
  data(chunk: Buffer): void
  endEntry(): void
  /** Every byte that is not entry content, in order (views too, or copies of split headers). */
  raw?(chunk: Buffer): void
}

const BLOCK = 512
const MAX_META = 16 << 20 // a PAX or GNU long-name body larger than this is not a real layer

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TarFormatError'
  }
}

type State = 'header' | 'body' | 'meta' | 'padding' | 'end'

export class TarReader {
  #state: State = 'header'
  #header = Buffer.alloc(BLOCK)
  #headerFill = 0
  #remaining = 0 // bytes left in the body, meta body or padding
  #padAfter = 0
  #meta: Buffer[] = []
  #metaType = ''
  // Pending attributes from PAX / GNU pseudo-members, applied to the next real member.
  #pax = new Map<string, Buffer>()
  #globalPax = new Map<string, Buffer>()
  #longName?: string
  #longLink?: string
  #zeroBlocks = 0
  #entries = 0

  constructor(private readonly handler: TarHandler) {}

  get entries(): number {
    return this.#entries
  }

  write(chunk: Buffer): void {
    let off = 0
    const len = chunk.length
    while (off < len) {
      switch (this.#state) {
        case 'end': {
          // After the end-of-archive blocks anything left (more zeros, usually) belongs to the DiffID
          // but to no member.
          this.handler.raw?.(chunk.subarray(off))
          return
        }
        case 'header': {
          const n = Math.min(BLOCK - this.#headerFill, len - off)
          if (this.#headerFill === 0 && n === BLOCK) {
            // Fast path: the whole header is in this chunk.
            this.#onHeader(chunk.subarray(off, off + BLOCK))
          } else {
            chunk.copy(this.#header, this.#headerFill, off, off + n)
            this.#headerFill += n
            if (this.#headerFill === BLOCK) {
              this.#headerFill = 0
              this.#onHeader(this.#header)
            }
          }
          off += n
          break
        }
        case 'body': {
          const n = Math.min(this.#remaining, len - off)
          this.handler.data(chunk.subarray(off, off + n))
          off += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#afterBody()
          break
        }
        case 'meta': {
          const n = Math.min(this.#remaining, len - off)
          this.#meta.push(Buffer.from(chunk.subarray(off, off + n)))
          this.handler.raw?.(chunk.subarray(off, off + n))
          off += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#afterMeta()
          break
        }
        case 'padding': {
          const n = Math.min(this.#remaining, len - off)
          this.handler.raw?.(chunk.subarray(off, off + n))
          off += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#state = 'header'
          break
        }
      }
    }
  }

  /** The input ended: it must have ended between members (a missing end block is tolerated, as Go does). */
  end(): void {
    if (this.#state === 'end') return
    if (this.#state === 'header' && this.#headerFill === 0 && this.#pax.size === 0 && !this.#longName && !this.#longLink) return
    throw new TarFormatError('unexpected end of tar stream (truncated layer)')
  }

  /**
   * This reader as the end of a stream pipeline: chunks go to write(), the stream's end to end(),
   * and a throw from either fails the pipeline. `onChunk` sees each chunk first (hashing);
   * `deferEachChunk` handles a chunk on the next turn of the event loop instead of inside the
   * upstream push(), so that zlib inflates the next chunk on the thread pool meanwhile.
   */
  sink(opts: { highWaterMark: number; onChunk?: (chunk: Buffer) => void; deferEachChunk?: boolean }): Writable {
    const take = (chunk: Buffer, cb: (err?: Error) => void) => {
      try {
        opts.onChunk?.(chunk)
        this.write(chunk)
        cb()
      } catch (err) {
        cb(err as Error)
      }
    }
    return new Writable({
      highWaterMark: opts.highWaterMark,
      write: (chunk: Buffer, _enc, cb) => (opts.deferEachChunk ? setImmediate(() => take(chunk, cb)) : take(chunk, cb)),
      final: (cb) => {
        try {
          this.end()
          cb()
        } catch (err) {
          cb(err as Error)
        }
      },
    })
  }

  #onHeader(block: Buffer): void {
    // Copy: the handler may keep raw bytes past this call, and #header is reused.
    this.handler.raw?.(block === this.#header ? Buffer.from(block) : block)
    if (isZero(block)) {
      this.#zeroBlocks++
      if (this.#zeroBlocks === 2) this.#state = 'end'
      return
    }
    if (this.#zeroBlocks > 0) throw new TarFormatError('invalid tar: data after an end-of-archive block')
    verifyChecksum(block)
    const typeflag = String.fromCharCode(block[156] || 0x30)
    const size = readNumber(block, 124, 12)
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META) throw new TarFormatError(`invalid tar: ${size}-byte extended header`)
      this.#metaType = typeflag
      this.#meta = []
      this.#remaining = size
      this.#padAfter = pad(size)
      this.#state = 'meta'
      if (size === 0) this.#afterMeta()
      return
    }
    const entry = this.#buildEntry(block, typeflag, size)
    this.#entries++
    this.handler.entry(entry)
    this.#remaining = entry.size
    this.#padAfter = pad(entry.size)
    this.#state = 'body'
    if (entry.size === 0) this.#afterBody()
  }

  #afterBody(): void {
    this.handler.endEntry()
    this.#afterContent()
  }

  #afterMeta(): void {
    const body = Buffer.concat(this.#meta)
    this.#meta = []
    switch (this.#metaType) {
      case 'x':
        for (const [k, v] of parsePax(body)) this.#pax.set(k, v)
        break
      case 'g':
        for (const [k, v] of parsePax(body)) this.#globalPax.set(k, v)
        break
      case 'L':
        this.#longName = cString(body)
        break
      case 'K':
        this.#longLink = cString(body)
        break
    }
    this.#afterContent()
  }

  #afterContent(): void {
    if (this.#padAfter > 0) {
      this.#remaining = this.#padAfter
      this.#padAfter = 0
      this.#state = 'padding'
    } else {
      this.#state = 'header'
    }
  }

  #buildEntry(block: Buffer, typeflag: string, size: number): TarEntry {
    const magic = block.toString('latin1', 257, 263)
    const ustar = magic === 'ustar\0' // POSIX; GNU's "ustar  " uses the prefix field for other things
    let path = cString(block.subarray(0, 100))
    if (ustar) {
      const prefix = cString(block.subarray(345, 500))
      if (prefix) path = `${prefix}/${path}`
    }
    let linkpath = cString(block.subarray(157, 257))
    const pax = this.#globalPax.size ? new Map([...this.#globalPax, ...this.#pax]) : this.#pax
    const xattrs = new Map<string, Buffer>()
    let uid = readNumber(block, 108, 8)
    let gid = readNumber(block, 116, 8)
    let mtime = readNumber(block, 136, 12)
    let atime: number | undefined
    if (this.#longName !== undefined) path = this.#longName
    if (this.#longLink !== undefined) linkpath = this.#longLink
    for (const [key, value] of pax) {
      if (key.startsWith('SCHILY.xattr.')) {
        xattrs.set(key.slice('SCHILY.xattr.'.length), value)
        continue
      }
      const v = value.toString('utf8')
      switch (key) {
        case 'path':
          path = v
          break
        case 'linkpath':
          linkpath = v
          break
        case 'size':
          size = paxNumber(key, v)
          break
        case 'uid':
          uid = paxNumber(key, v)
          break
        case 'gid':
          gid = paxNumber(key, v)
          break
        case 'mtime':
          mtime = paxNumber(key, v)
          break
        case 'atime':
          atime = paxNumber(key, v)
          break
        default:
          if (key.startsWith('GNU.sparse.')) throw new TarFormatError(`unsupported tar entry ${JSON.stringify(path)}: GNU sparse file`)
      }
    }
    this.#pax = new Map()
    this.#longName = undefined
    this.#longLink = undefined
    const type = ENTRY_TYPES[typeflag]
    if (!type) throw new TarFormatError(`unsupported tar entry ${JSON.stringify(path)}: type flag ${JSON.stringify(typeflag)}`)
    return {
      path,
      type,
      mode: readNumber(block, 100, 8) & 0o7777,
      uid,
      gid,
      // Like Go's archive/tar: only regular files have content, whatever the size field says.
      size: type === 'file' ? size : 0,
      mtime,
      atime,
      linkpath,
      devmajor: type === 'char' || type === 'block' ? readNumber(block, 329, 8) : 0,
      devminor: type === 'char' || type === 'block' ? readNumber(block, 337, 8) : 0,
      xattrs,
    }
  }
}

const ENTRY_TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 8) if (block.readBigUInt64LE(i) !== 0n) return false
  return true
}

/** The header checksum: the byte sum with the checksum field itself counted as spaces. */
function verifyChecksum(block: Buffer): void {
  const stored = readNumber(block, 148, 8)
  let unsigned = 8 * 0x20
  let signed = 8 * 0x20
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue
    unsigned += block[i]
    signed += (block[i] << 24) >> 24
  }
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('invalid tar header (checksum mismatch): not a tar stream, or a corrupted one')
}

/** A numeric field: octal text, or GNU base-256 when the top bit of the first byte is set. */
function readNumber(block: Buffer, off: number, len: number): number {
  const first = block[off]
  if (first & 0x80) {
    // Base-256, big-endian, two's complement (0xff prefix = negative).
    let v = first === 0xff ? -1 : first & 0x7f
    for (let i = 1; i < len; i++) v = v * 256 + block[off + i] - (first === 0xff ? 255 : 0)
    if (!Number.isSafeInteger(v)) throw new TarFormatError('invalid tar header: numeric field out of range')
    return v
  }
  let v = 0
  let i = off
  const end = off + len
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++
  for (; i < end; i++) {
    const c = block[i]
    if (c === 0 || c === 0x20) break
    if (c < 0x30 || c > 0x37) throw new TarFormatError('invalid tar header: bad octal number')
    v = v * 8 + (c - 0x30)
  }
  return v
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0)
  return buf.toString('utf8', 0, nul === -1 ? buf.length : nul)
}

function paxNumber(key: string, v: string): number {
  const n = Number(v)
  if (v === '' || !Number.isFinite(n)) throw new TarFormatError(`invalid tar PAX record ${key}=${JSON.stringify(v)}`)
  return n
}

/** PAX records: "<len> <key>=<value>\n", len counting the whole record; values are bytes. */
export function parsePax(body: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = []
  let off = 0
  while (off < body.length) {
    if (body[off] === 0) break // NUL padding inside the body
    const sp = body.indexOf(0x20, off)
    const len = sp === -1 ? NaN : Number(body.toString('latin1', off, sp))
    if (!Number.isInteger(len) || len <= 0 || off + len > body.length || body[off + len - 1] !== 0x0a) {
      throw new TarFormatError('invalid tar PAX header')
    }
    const rec = body.subarray(sp + 1, off + len - 1)
    const eq = rec.indexOf(0x3d)
    if (eq <= 0) throw new TarFormatError('invalid tar PAX record')
    out.push([rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1))])
    off += len
  }
  return out
}
