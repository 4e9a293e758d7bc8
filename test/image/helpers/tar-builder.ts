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
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' } as const

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

function header(name: string, typeflag: string, size: number, e: TEntry): Buffer {
  const b = Buffer.alloc(512)
  b.write(name, 0, 100, 'utf8')
  b.write(octal(e.mode ?? (typeflag === '5' ? 0o755 : 0o644), 8), 100, 'latin1')
  b.write(octal(e.uid ?? 0, 8), 108, 'latin1')
  b.write(octal(e.gid ?? 0, 8), 116, 'latin1')
  b.write(octal(size, 12), 124, 'latin1')
  b.write(octal(e.mtime ?? 1_700_000_000, 12), 136, 'latin1')
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

function paxRecord(key: string, value: Buffer): Buffer {
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
    if (Buffer.byteLength(name) > 100) {
      pax.push(['path', Buffer.from(name)])
      name = name.slice(0, 99)
    }
    if (pax.length) {
      const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)))
      parts.push(header('PaxHeader/x', 'x', body.length, { name: 'PaxHeader/x' }), padded(body))
    }
    parts.push(header(name, TYPEFLAG[type], type === 'file' ? data.length : 0, e))
    if (type === 'file') parts.push(padded(data))
  }
  parts.push(Buffer.alloc(1024 + (opts.trailingZeros ?? 0)))
  return Buffer.concat(parts)
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}
