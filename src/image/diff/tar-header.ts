// Tar headers for the layers tocker makes (build steps, commit): the format Go's archive/tar writes
// for Docker — a plain USTAR header when every field fits, preceded by a PAX extended header when
// one does not (a long or non-ASCII name or link target, an id or size too big for its octal field,
// an extended attribute). Hand-written rather than the `tar` package's Header/Pax: extended
// attributes such as security.capability are binary, and node-tar encodes PAX values as UTF-8
// strings, which would corrupt them.
const BLOCK = 512

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo'

const TYPEFLAG: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' }

export interface HeaderFields {
  /** Relative path, "/" separated; directories end with "/". */
  name: string
  type: EntryType
  /** Permission bits with setuid/setgid/sticky (07777). */
  mode: number
  uid: number
  gid: number
  size: number
  /** Whole seconds. */
  mtime: number
  linkname?: string
  devmajor?: number
  devminor?: number
  /** Extended attributes, written as SCHILY.xattr.<name> PAX records (values are bytes). */
  xattrs?: Map<string, Buffer>
}

const MAX_OCTAL_7 = 0o7777777 // uid, gid, mode (8-byte fields)
const MAX_OCTAL_11 = 0o77777777777 // size, mtime (12-byte fields)

const isAscii = (s: string) => Buffer.from(s, 'utf8').every((b) => b < 0x80)

/** The header block(s) of one entry: [PAX header + its records, padded] + the USTAR header. */
export function encodeHeader(h: HeaderFields): Buffer {
  const pax: [string, Buffer][] = []
  const name = h.name
  let ustarName = name
  let prefix = ''
  if (!fits(name, 100)) {
    const split = splitUstarPath(name)
    if (split) [prefix, ustarName] = split
    else {
      pax.push(['path', Buffer.from(name, 'utf8')])
      ustarName = truncateAscii(name, 100)
    }
  }
  let linkname = h.linkname ?? ''
  if (!fits(linkname, 100)) {
    pax.push(['linkpath', Buffer.from(linkname, 'utf8')])
    linkname = truncateAscii(linkname, 100)
  }
  let { uid, gid, size, mtime } = h
  if (uid > MAX_OCTAL_7) {
    pax.push(['uid', Buffer.from(String(uid))])
    uid = 0
  }
  if (gid > MAX_OCTAL_7) {
    pax.push(['gid', Buffer.from(String(gid))])
    gid = 0
  }
  if (size > MAX_OCTAL_11) {
    pax.push(['size', Buffer.from(String(size))])
    size = 0
  }
  if (mtime < 0 || mtime > MAX_OCTAL_11) {
    pax.push(['mtime', Buffer.from(String(mtime))])
    mtime = 0
  }
  for (const [k, v] of [...(h.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) pax.push([`SCHILY.xattr.${k}`, v])

  const ustar = ustarBlock({ ...h, name: ustarName, linkname, uid, gid, size, mtime }, prefix)
  if (pax.length === 0) return ustar
  // Go sorts the records by key (a map); SCHILY.xattr.* then come after path, linkpath, size, uid.
  pax.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)))
  const paxName = truncateAscii(paxHeaderName(name), 100)
  const paxHead = ustarBlock({ name: paxName, type: 'file', mode: 0, uid: 0, gid: 0, size: body.length, mtime: 0 }, '', 'x')
  const pad = Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)
  return Buffer.concat([paxHead, body, pad, ustar])
}

/** Zero bytes that complete a member's content to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)
}

/** The end of an archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK)

function fits(s: string, n: number): boolean {
  return isAscii(s) && Buffer.byteLength(s) <= n
}

function truncateAscii(s: string, n: number): string {
  return Array.from(s, (c) => (c.charCodeAt(0) < 0x80 ? c : '?')).join('').slice(0, n)
}

/** Go's splitUSTARPath: a prefix of at most 155 bytes and a name of at most 100, split at a "/". */
function splitUstarPath(name: string): [string, string] | undefined {
  if (!isAscii(name)) return undefined
  const length = name.length
  if (length <= 100 || length > 155 + 1 + 100) return undefined
  let i = Math.min(length - 1, 155)
  i = name.lastIndexOf('/', i)
  while (i > 0) {
    const prefix = name.slice(0, i)
    const rest = name.slice(i + 1)
    if (rest.length === 0) return undefined
    if (rest.length <= 100 && prefix.length <= 155) return [prefix, rest]
    i = name.lastIndexOf('/', i - 1)
  }
  return undefined
}

/** Go's name for the PAX header of an entry: "<dir>/PaxHeaders.0/<base>". */
function paxHeaderName(name: string): string {
  const trimmed = name.replace(/\/+$/, '')
  const slash = trimmed.lastIndexOf('/')
  const dir = slash < 0 ? '' : trimmed.slice(0, slash)
  const base = slash < 0 ? trimmed : trimmed.slice(slash + 1)
  return (dir ? `${dir}/` : '') + `PaxHeaders.0/${base}`
}

/** "<length> <key>=<value>\n", where <length> counts the whole record including itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = 1 + Buffer.byteLength(key) + 1 + value.length + 1 // " " key "=" value "\n"
  let len = rest + String(rest).length
  if (String(len).length !== String(rest).length) len = rest + String(len).length
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')])
}

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL, as Go writes them.
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function ustarBlock(h: HeaderFields, prefix: string, typeflag?: string): Buffer {
  const b = Buffer.alloc(BLOCK)
  b.write(h.name, 0, 100, 'latin1')
  b.write(octal(h.mode & 0o7777, 8), 100, 8, 'latin1')
  b.write(octal(h.uid, 8), 108, 8, 'latin1')
  b.write(octal(h.gid, 8), 116, 8, 'latin1')
  b.write(octal(h.size, 12), 124, 12, 'latin1')
  b.write(octal(h.mtime, 12), 136, 12, 'latin1')
  b.write(typeflag ?? TYPEFLAG[h.type], 156, 1, 'latin1')
  b.write(h.linkname ?? '', 157, 100, 'latin1')
  b.write('ustar\u000000', 257, 8, 'latin1')
  // uname (265) and gname (297) stay empty: Docker writes no names, only numbers.
  b.write(octal(h.devmajor ?? 0, 8), 329, 8, 'latin1')
  b.write(octal(h.devminor ?? 0, 8), 337, 8, 'latin1')
  b.write(prefix, 345, 155, 'latin1')
  // The checksum: the sum of all bytes with the checksum field taken as eight blanks.
  b.fill(' ', 148, 156)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += b[i]
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return b
}
