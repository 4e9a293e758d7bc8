// One tar member's header block, with the PAX records and GNU long names that came before it,
// made into a checked TarEntry (tar-reader.ts calls it for each real member). PAX wins over the
// header (path, linkpath, size, uid, gid, mtime, atime), SCHILY.xattr.* records become the
// entry's extended attributes, and every value is checked against what the kernel can take
// before anyone uses it; a bad one is refused through `fail` (a TarFormatError naming the entry).
import { cString, checkName, ENTRY_TYPES, MAX_DEV, MAX_ID, MAX_TIME, MAX_XATTR_NAME, MAX_XATTR_VALUE, readNumber, type TarEntry, type TarFormatError } from './tar-fields.js'

/** What the pseudo-members before this one left for it (global PAX records merged in). */
export interface PendingMeta {
  pax: Map<string, Buffer>
  longName?: string
  longLink?: string
}

/** The reader's error for `what`, naming the entry when known and the header's byte offset. */
export type Fail = (what: string, entry?: string) => TarFormatError

/**
 * The entry of header `block` (its size field already read: `headerSize`). `consumed` is called
 * once the pending metadata has been applied (the reader clears it then, before the checks).
 */
export function buildEntry(block: Buffer, typeflag: string, headerSize: number, meta: PendingMeta, fail: Fail, consumed: () => void): TarEntry {
  const magic = block.toString('latin1', 257, 263)
  const ustar = magic === 'ustar\0' // POSIX; GNU's "ustar  " uses the prefix field for other things
  let path = cString(block.subarray(0, 100))
  if (ustar) {
    const prefix = cString(block.subarray(345, 500))
    if (prefix) path = `${prefix}/${path}`
  }
  let linkpath = cString(block.subarray(157, 257))
  if (meta.longName !== undefined) path = meta.longName
  if (meta.longLink !== undefined) linkpath = meta.longLink
  const pax = meta.pax
  // The name first: every later message names the entry.
  const paxPath = pax.get('path')
  if (paxPath !== undefined) path = paxText(fail, 'path', paxPath, path)
  const paxLink = pax.get('linkpath')
  if (paxLink !== undefined) linkpath = paxText(fail, 'linkpath', paxLink, path)

  // The header's numbers; PAX records override them (values too large for the header, finer times).
  const ints = { size: headerSize, uid: headerNumber(fail, block, 108, 8, 'uid', path), gid: headerNumber(fail, block, 116, 8, 'gid', path) }
  const times: { mtime: number; atime?: number } = { mtime: headerNumber(fail, block, 136, 12, 'mtime', path) }
  const mode = headerNumber(fail, block, 100, 8, 'mode', path)
  const xattrs = new Map<string, Buffer>()
  for (const [key, value] of pax) {
    if (key.startsWith('SCHILY.xattr.')) {
      const name = key.slice('SCHILY.xattr.'.length)
      if (name === '' || Buffer.byteLength(name) > MAX_XATTR_NAME) throw fail(`extended attribute name ${JSON.stringify(name.slice(0, 64))} is empty or longer than ${MAX_XATTR_NAME} bytes`, path)
      if (value.length > MAX_XATTR_VALUE) throw fail(`extended attribute ${name}: ${value.length}-byte value, at most ${MAX_XATTR_VALUE}`, path)
      xattrs.set(name, value)
      continue
    }
    if (key === 'size' || key === 'uid' || key === 'gid') ints[key] = paxInteger(fail, key, value, path)
    else if (key === 'mtime' || key === 'atime') times[key] = paxTime(fail, key, value, path)
    else if (key.startsWith('GNU.sparse.')) throw fail('GNU sparse file (not supported: no image tool writes them)', path)
  }
  consumed()
  const { size, uid, gid } = ints
  const { mtime, atime } = times
  const type = ENTRY_TYPES[typeflag]
  if (!type) {
    const why = typeflag === 'S' ? 'GNU sparse file (not supported: no image tool writes them)' : `unsupported type flag ${JSON.stringify(typeflag)}`
    throw fail(why, path)
  }
  if (path === '') throw fail('empty name')
  checkName('name', path, (what) => fail(what, path))
  if (linkpath !== '' && (type === 'hardlink' || type === 'symlink')) checkName('link target', linkpath, (what) => fail(what, path))
  if (uid > MAX_ID || gid > MAX_ID) throw fail(`owner ${uid}:${gid} out of range (at most ${MAX_ID})`, path)
  for (const [what, t] of [['mtime', mtime], ['atime', atime]] as const) {
    if (t !== undefined && !(Math.abs(t) <= MAX_TIME)) throw fail(`${what} ${t} out of range`, path)
  }
  const devmajor = type === 'char' || type === 'block' ? headerNumber(fail, block, 329, 8, 'devmajor', path) : 0
  const devminor = type === 'char' || type === 'block' ? headerNumber(fail, block, 337, 8, 'devminor', path) : 0
  if (devmajor > MAX_DEV || devminor > MAX_DEV) throw fail(`device number ${devmajor}:${devminor} out of range`, path)
  for (const [what, v] of [['uid', uid], ['gid', gid], ['mode', mode], ['device number', Math.min(devmajor, devminor)]] as const) {
    if (v < 0) throw fail(`negative ${what} ${v}`, path)
  }
  return {
    path,
    type,
    mode: mode & 0o7777,
    uid,
    gid,
    // Like Go's archive/tar: only regular files have content, whatever the size field says.
    size: type === 'file' ? size : 0,
    mtime,
    atime,
    linkpath,
    devmajor,
    devminor,
    xattrs,
  }
}

/** PAX size/uid/gid: decimal digits only (no sign, blank, exponent or hex), a safe integer. */
function paxInteger(fail: Fail, key: string, value: Buffer, entry: string): number {
  const v = value.toString('latin1')
  if (!/^[0-9]{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) throw fail(`PAX record ${key}=${JSON.stringify(v.slice(0, 40))} is not a non-negative decimal integer`, entry)
  return Number(v)
}

/** PAX times: "[-]seconds[.fraction]" in decimal (POSIX), e.g. "1700000000.123456789". */
function paxTime(fail: Fail, key: string, value: Buffer, entry: string): number {
  const v = value.toString('latin1')
  if (!/^-?[0-9]{1,16}(\.[0-9]{0,30})?$/.test(v)) throw fail(`PAX record ${key}=${JSON.stringify(v.slice(0, 40))} is not a decimal time`, entry)
  return Number(v)
}

/** PAX path/linkpath: UTF-8 text without NUL (POSIX; a NUL would cut the name short in the kernel). */
function paxText(fail: Fail, key: string, value: Buffer, entry: string): string {
  if (value.includes(0)) throw fail(`PAX record ${key} contains a NUL byte`, entry)
  return value.toString('utf8')
}

/** A numeric header field, as a safe integer (octal or base-256); the error names the field. */
export function headerNumber(fail: Fail, block: Buffer, off: number, len: number, field: string, entry: string): number {
  try {
    return readNumber(block, off, len)
  } catch (err) {
    throw fail(`${field}: ${(err as Error).message}`, entry)
  }
}
