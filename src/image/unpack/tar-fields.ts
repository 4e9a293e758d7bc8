// The fields of a tar header block and the records of a PAX header, decoded and checked (see
// tar-reader.ts for the format in one paragraph and for why every number is checked).
import { TockerError } from '../../errors.js'

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

export const BLOCK = 512
/** One PAX or GNU long-name body; real ones are well under 1 KiB. */
export const MAX_META = 1 << 20
/** PAX and long-name bytes waiting for their member, and global PAX records kept for all members. */
export const MAX_PENDING_META = 2 << 20
/** Linux's PATH_MAX: no longer name or link target can be created. */
export const MAX_PATH = 4096
/** The kernel's limits on one extended attribute (XATTR_NAME_MAX, XATTR_SIZE_MAX). */
export const MAX_XATTR_NAME = 255
export const MAX_XATTR_VALUE = 64 << 10
/** Members per stream: a whole root file system has 10^4–10^5, and each costs the unpacker memory. */
export const MAX_ENTRIES = 1_000_000
/** uid_t/gid_t; (uid_t)-1 means "leave unchanged" to chown(2), so it is no owner. */
export const MAX_ID = 0xfffffffe
export const MAX_DEV = 0xffffffff
/** |seconds| for times: ±2^53 ms is as far as a JavaScript Date (and utimes through Node) goes. */
export const MAX_TIME = 8.64e12

/** Not a tar stream we can read (internal: unpack and load word it, code ETARFORMAT). */
export class TarFormatError extends TockerError {
  constructor(message: string) {
    super(message, { code: 'ETARFORMAT', internal: true })
    this.name = 'TarFormatError'
  }
}

export const ENTRY_TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
}

export function metaName(typeflag: string): string {
  return typeflag === 'x' ? 'PAX header' : typeflag === 'g' ? 'global PAX header' : typeflag === 'L' ? 'GNU long name' : 'GNU long link name'
}

/** Names and link targets: at most PATH_MAX bytes, each component at most NAME_MAX (255). */
export function checkName(what: string, name: string, fail: (what: string) => TarFormatError): void {
  const bytes = Buffer.byteLength(name)
  if (bytes >= MAX_PATH) throw fail(`${what} of ${bytes} bytes: longer than PATH_MAX (${MAX_PATH})`)
  for (const part of name.split('/')) if (Buffer.byteLength(part) > 255) throw fail(`${what} has a component longer than 255 bytes (NAME_MAX)`)
}

export function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

export function isZero(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 8) if (block.readBigUInt64LE(i) !== 0n) return false
  return true
}

/** The header checksum: the byte sum with the checksum field itself counted as spaces. */
export function verifyChecksum(block: Buffer, fail: (what: string) => TarFormatError): void {
  if (block[148] & 0x80) throw fail('checksum field is not octal text (not a tar stream, or a corrupted one)')
  let stored: number
  try {
    stored = readNumber(block, 148, 8)
  } catch {
    throw fail('checksum field is not octal text (not a tar stream, or a corrupted one)')
  }
  let unsigned = 8 * 0x20
  let signed = 8 * 0x20
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue
    unsigned += block[i]
    signed += (block[i] << 24) >> 24
  }
  if (stored !== unsigned && stored !== signed) throw fail('checksum mismatch (not a tar stream, or a corrupted one)')
}

/**
 * A numeric field: octal text (leading blanks; ended by a NUL, or by a space and then only blanks),
 * or GNU base-256 when the top bit of the first byte is set (big-endian two's complement; negative
 * only with 0xff first). Always a safe integer; callers check the sign and range of each field.
 */
export function readNumber(block: Buffer, off: number, len: number): number {
  const first = block[off]
  const end = off + len
  if (first & 0x80) {
    // Base-256: the remaining bits of the first byte, then len-1 whole bytes.
    const negative = first === 0xff
    if (first !== 0x80 && first !== 0xff) throw new TarFormatError('base-256 number out of range')
    let v = 0
    for (let i = off + 1; i < end; i++) {
      const b = negative ? 255 - block[i] : block[i]
      v = v * 256 + b
      if (v > Number.MAX_SAFE_INTEGER) throw new TarFormatError('base-256 number out of range')
    }
    return negative ? -(v + 1) : v
  }
  let i = off
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++
  let v = 0
  let digits = 0
  for (; i < end; i++) {
    const c = block[i]
    if (c === 0) return digits ? v : 0 // a NUL ends the text (as in Go's reader, whatever follows)
    if (c === 0x20) break
    if (c < 0x30 || c > 0x37) throw new TarFormatError(`bad octal number ${JSON.stringify(block.toString('latin1', off, end))}`)
    v = v * 8 + (c - 0x30)
    digits++
  }
  // After a space only blanks may follow.
  for (; i < end; i++) {
    if (block[i] !== 0 && block[i] !== 0x20) throw new TarFormatError(`bad octal number ${JSON.stringify(block.toString('latin1', off, end))}`)
  }
  // A 12-byte field holds at most 12 digits (2^36): always safe.
  return digits ? v : 0
}

export function cString(buf: Buffer): string {
  const nul = buf.indexOf(0)
  return buf.toString('utf8', 0, nul === -1 ? buf.length : nul)
}

/**
 * PAX records: "<len> <key>=<value>\n", len (decimal, no sign) counting the whole record, which
 * must fit in the body; keys are text without NUL; values are bytes.
 */
export function parsePax(body: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = []
  let off = 0
  while (off < body.length) {
    if (body[off] === 0) {
      // NUL padding inside the body: allowed only at its end.
      for (let i = off; i < body.length; i++) if (body[i] !== 0) throw new TarFormatError('PAX header: data after NUL padding')
      break
    }
    // The length: 1–7 decimal digits (a record is at most MAX_META long), then one space.
    let sp = off
    while (sp < body.length && sp - off < 8 && body[sp] >= 0x30 && body[sp] <= 0x39) sp++
    if (sp === off || sp >= body.length || body[sp] !== 0x20 || body[off] === 0x30) throw new TarFormatError(`PAX header: bad record length at byte ${off} of its body`)
    const len = Number(body.toString('latin1', off, sp))
    if (len < sp - off + 4 || off + len > body.length || body[off + len - 1] !== 0x0a) {
      throw new TarFormatError(`PAX header: record length ${len} at byte ${off} does not fit its body`)
    }
    const rec = body.subarray(sp + 1, off + len - 1)
    const eq = rec.indexOf(0x3d)
    if (eq <= 0) throw new TarFormatError(`PAX header: record at byte ${off} has no key`)
    if (rec.subarray(0, eq).includes(0)) throw new TarFormatError(`PAX header: record key at byte ${off} contains a NUL byte`)
    out.push([rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1))])
    off += len
  }
  return out
}
