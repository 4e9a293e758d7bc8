// Builds tar archives byte by byte for the unpacker's tests: any name (including hostile ones that
// well-behaved tar writers refuse to produce), any type, PAX records with binary values
// (SCHILY.xattr.*), and duplicate entries.
import { createHash } from 'node:crypto'

export interface TEntry {
  name: string
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'
  mode?: number
  uid?: number
  gid?: number
  mtime?: number
  data?: Buffer | string
  linkname?: string
  devmajor?: number
  devminor?: number
  /** Extra PAX records, e.g. {'SCHILY.xattr.user.note': 'hi'}. */
  pax?: Record<string, string | Buffer>
  /** Long names and link targets as GNU 'L'/'K' pseudo-members instead of PAX records. */
  gnuLong?: boolean
  /** Write these numeric header fields in GNU base-256 instead of octal. */
  base256?: ('uid' | 'gid' | 'size' | 'mtime')[]
  /** A PAX body written as is (any bytes, e.g. hostile record lengths), before the entry. */
  rawPax?: Buffer
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' } as const

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

/** GNU base-256: 0x80, then the value big-endian (0xff first and two's complement if negative). */
export function base256(n: number, width: number): Buffer {
  const b = Buffer.alloc(width, n < 0 ? 0xff : 0)
  let v = BigInt(n)
  if (v < 0n) v = (1n << BigInt(8 * width)) + v
  for (let i = width - 1; i >= 1; i--) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  if (n >= 0) b[0] = 0x80
  return b
}

function numeric(b: Buffer, n: number, off: number, width: number, b256: boolean): void {
  if (b256) base256(n, width).copy(b, off)
  else b.write(octal(n, width), off, 'latin1')
}

function header(name: string, typeflag: string, size: number, e: TEntry): Buffer {
  const b = Buffer.alloc(512)
  const b256 = new Set(e.base256 ?? [])
  b.write(name, 0, 100, 'utf8')
  b.write(octal(e.mode ?? (typeflag === '5' ? 0o755 : 0o644), 8), 100, 'latin1')
  numeric(b, e.uid ?? 0, 108, 8, b256.has('uid'))
  numeric(b, e.gid ?? 0, 116, 8, b256.has('gid'))
  numeric(b, size, 124, 12, b256.has('size'))
  numeric(b, e.mtime ?? 1_700_000_000, 136, 12, b256.has('mtime'))
  b.write('        ', 148, 'latin1')
  b.write(typeflag, 156, 'latin1')
  b.write(e.linkname ?? '', 157, 100, 'utf8')
  b.write('ustar\0', 257, 'latin1')
  b.write('00', 263, 'latin1')
  b.write(octal(e.devmajor ?? 0, 8), 329, 'latin1')
  b.write(octal(e.devminor ?? 0, 8), 337, 'latin1')
  let sum = 0
  for (const x of b) sum += x
  b.write(octal(sum, 7) + ' ', 148, 'latin1')
  return b
}

function padded(data: Buffer): Buffer {
  const pad = (512 - (data.length % 512)) % 512
  return Buffer.concat([data, Buffer.alloc(pad)])
}

export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')])
  let len = body.length + 1
  while (String(len).length + body.length !== len) len = String(len).length + body.length
  return Buffer.concat([Buffer.from(String(len)), body])
}

export function buildTar(entries: TEntry[], opts: { trailingZeros?: number } = {}): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    const type = e.type ?? 'file'
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data)
    const pax: [string, Buffer][] = Object.entries(e.pax ?? {}).map(([k, v]) => [k, Buffer.from(v)])
    let name = e.name
    let linkname = e.linkname
    if (Buffer.byteLength(name) > 100) {
      if (e.gnuLong) {
        const body = Buffer.from(name + '\0')
        parts.push(header('././@LongLink', 'L', body.length, { name: '././@LongLink' }), padded(body))
      } else pax.push(['path', Buffer.from(name)])
      name = Buffer.from(name).subarray(0, 99).toString('latin1')
    }
    if (linkname !== undefined && Buffer.byteLength(linkname) > 100) {
      if (e.gnuLong) {
        const body = Buffer.from(linkname + '\0')
        parts.push(header('././@LongLink', 'K', body.length, { name: '././@LongLink' }), padded(body))
      } else pax.push(['linkpath', Buffer.from(linkname)])
      linkname = Buffer.from(linkname).subarray(0, 99).toString('latin1')
    }
    if (e.rawPax) parts.push(header('PaxHeader/raw', 'x', e.rawPax.length, { name: 'PaxHeader/raw' }), padded(e.rawPax))
    if (pax.length) {
      const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)))
      parts.push(header('PaxHeader/x', 'x', body.length, { name: 'PaxHeader/x' }), padded(body))
    }
    parts.push(header(name, TYPEFLAG[type], type === 'file' ? data.length : 0, { ...e, linkname }))
    if (type === 'file') parts.push(padded(data))
  }
  parts.push(Buffer.alloc(1024 + (opts.trailingZeros ?? 0)))
  return Buffer.concat(parts)
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}
