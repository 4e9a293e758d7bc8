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
//
// Layers and archives come from anyone, so every number is checked before it is used: sizes, ids
// and device numbers must be non-negative integers that fit their kernel types; PAX numbers are
// plain decimal (no sign, exponent, hex or blanks); a PAX record's length must fit its body;
// metadata (PAX bodies, GNU long names) is capped per member (MAX_META) and in total while it waits
// for its member (MAX_PENDING_META); names and link targets at PATH_MAX. So the read position only
// moves forward, memory stays bounded whatever the input, and a bad member is refused with a
// TarFormatError naming the entry and its byte offset. GNU sparse files are refused: no image tool
// writes them (Go's archive/tar, which Docker and BuildKit use, cannot).
// The header's fields and PAX records: tar-fields.ts; a member's header made into an entry: tar-entry.ts.
import { Writable } from 'node:stream'
import { BLOCK, cString, isZero, MAX_ENTRIES, MAX_META, MAX_PENDING_META, metaName, pad, parsePax, TarFormatError, verifyChecksum, type TarEntry } from './tar-fields.js'
import { buildEntry, headerNumber } from './tar-entry.js'

// The reader's public surface, as before the split into tar-fields.ts.
export { MAX_ENTRIES, MAX_META, MAX_PATH, MAX_PENDING_META, parsePax, readNumber, TarFormatError, type TarEntry, type TarEntryType } from './tar-fields.js'

export interface TarHandler {
  entry(e: TarEntry): void
  /** Content of the current entry, in order: views into the written chunks (valid while they are). */
  data(chunk: Buffer): void
  endEntry(): void
  /** Every byte that is not entry content, in order (views too, or copies of split headers). */
  raw?(chunk: Buffer): void
}

type State = 'header' | 'body' | 'meta' | 'padding' | 'end'

export interface TarReaderLimits {
  /** Refuse streams with more members than this (default MAX_ENTRIES). */
  maxEntries?: number
}

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
  #pendingMeta = 0 // bytes held in #pax, #longName, #longLink
  #globalMeta = 0 // bytes held in #globalPax
  #zeroBlocks = 0
  #entries = 0
  #offset = 0 // stream bytes consumed before the current chunk
  #headerAt = 0 // stream offset of the header being handled (for messages)
  readonly #maxEntries: number

  constructor(
    private readonly handler: TarHandler,
    limits: TarReaderLimits = {},
  ) {
    this.#maxEntries = limits.maxEntries ?? MAX_ENTRIES
  }

  get entries(): number {
    return this.#entries
  }

  /** Bytes of the stream read so far. */
  get offset(): number {
    return this.#offset
  }

  write(chunk: Buffer): void {
    let off = 0
    const len = chunk.length
    try {
      while (off < len) {
        const n = this.#step(chunk, off, len)
        // Each step takes at least one byte and never more than there is: the read position only
        // moves forward. (A negative size used to move it back: an endless loop.)
        if (!(n > 0 && n <= len - off)) throw new TarFormatError(`invalid tar: the reader made no progress at byte ${this.#offset + off}`)
        off += n
      }
    } finally {
      this.#offset += off
    }
  }

  /** Handle bytes from chunk[off]; returns how many were consumed. */
  #step(chunk: Buffer, off: number, len: number): number {
    switch (this.#state) {
      case 'end':
        // After the end-of-archive blocks anything left (more zeros, usually) belongs to the DiffID
        // but to no member.
        this.handler.raw?.(chunk.subarray(off))
        return len - off
      case 'header': {
        const n = Math.min(BLOCK - this.#headerFill, len - off)
        this.#headerAt = this.#offset + off - this.#headerFill
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
        return n
      }
      case 'body': {
        const n = Math.min(this.#remaining, len - off)
        this.handler.data(chunk.subarray(off, off + n))
        this.#remaining -= n
        if (this.#remaining === 0) this.#afterBody()
        return n
      }
      case 'meta': {
        const n = Math.min(this.#remaining, len - off)
        this.#meta.push(Buffer.from(chunk.subarray(off, off + n)))
        this.handler.raw?.(chunk.subarray(off, off + n))
        this.#remaining -= n
        if (this.#remaining === 0) this.#afterMeta()
        return n
      }
      case 'padding': {
        const n = Math.min(this.#remaining, len - off)
        this.handler.raw?.(chunk.subarray(off, off + n))
        this.#remaining -= n
        if (this.#remaining === 0) this.#state = 'header'
        return n
      }
    }
  }

  /** The input ended: it must have ended between members (a missing end block is tolerated, as Go does). */
  end(): void {
    if (this.#state === 'end') return
    if (this.#state === 'header' && this.#headerFill === 0 && this.#pax.size === 0 && this.#longName === undefined && this.#longLink === undefined) return
    const where = this.#state === 'body' ? `inside the content of the member at byte ${this.#headerAt}, ${this.#remaining} bytes short` : this.#state === 'header' ? `inside a header at byte ${this.#headerAt}` : `at byte ${this.#offset}`
    throw new TarFormatError(`unexpected end of tar stream (truncated layer): it ends ${where}`)
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

  #fail(what: string, entry?: string): TarFormatError {
    const name = entry !== undefined ? `entry ${JSON.stringify(entry.length > 200 ? entry.slice(0, 200) + '…' : entry)}` : 'header'
    return new TarFormatError(`invalid tar ${name} at byte ${this.#headerAt}: ${what}`)
  }

  #onHeader(block: Buffer): void {
    // Copy: the handler may keep raw bytes past this call, and #header is reused.
    this.handler.raw?.(block === this.#header ? Buffer.from(block) : block)
    if (isZero(block)) {
      this.#zeroBlocks++
      if (this.#zeroBlocks === 2) this.#state = 'end'
      return
    }
    if (this.#zeroBlocks > 0) throw this.#fail('data after an end-of-archive block')
    verifyChecksum(block, (what) => this.#fail(what))
    const typeflag = String.fromCharCode(block[156] || 0x30)
    // The name as far as the header tells, for messages (a long name may come later).
    const shownName = this.#longName ?? cString(block.subarray(0, 100))
    const size = headerNumber((what, e) => this.#fail(what, e), block, 124, 12, 'size', shownName)
    if (size < 0) throw this.#fail(`negative size ${size}`, shownName)
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META) throw this.#fail(`${size}-byte ${metaName(typeflag)}: more than the ${MAX_META} bytes any real one needs`, shownName)
      const pending = typeflag === 'g' ? this.#globalMeta : this.#pendingMeta
      if (pending + size > MAX_PENDING_META) {
        throw this.#fail(`${metaName(typeflag)}s adding up to more than ${MAX_PENDING_META} bytes before the next member`, shownName)
      }
      this.#metaType = typeflag
      this.#meta = []
      this.#remaining = size
      this.#padAfter = pad(size)
      this.#state = 'meta'
      if (size === 0) this.#afterMeta()
      return
    }
    if (this.#entries >= this.#maxEntries) throw this.#fail(`more than ${this.#maxEntries} members: not a layer anyone builds`, shownName)
    const entry = buildEntry(block, typeflag, size, { pax: this.#globalPax.size ? new Map([...this.#globalPax, ...this.#pax]) : this.#pax, longName: this.#longName, longLink: this.#longLink }, (what, e) => this.#fail(what, e), () => {
      this.#pax = new Map()
      this.#longName = undefined
      this.#longLink = undefined
      this.#pendingMeta = 0
    })
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
        for (const [k, v] of this.#parsePax(body)) this.#pax.set(k, v)
        this.#pendingMeta += body.length
        break
      case 'g':
        for (const [k, v] of this.#parsePax(body)) this.#globalPax.set(k, v)
        this.#globalMeta += body.length
        break
      case 'L':
        this.#longName = cString(body)
        this.#pendingMeta += body.length
        break
      case 'K':
        this.#longLink = cString(body)
        this.#pendingMeta += body.length
        break
    }
    this.#afterContent()
  }

  #parsePax(body: Buffer): [string, Buffer][] {
    try {
      return parsePax(body)
    } catch (err) {
      throw this.#fail((err as Error).message, this.#longName)
    }
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
}
