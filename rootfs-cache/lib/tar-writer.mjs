// A small, deterministic tar (ustar + PAX) writer for image layers.
//
// Why our own: every byte of a layer must be reproducible (fixed mtimes, uid/gid 0, no uname/gname,
// no atime/ctime), and the test fixtures need layers that tar libraries refuse to write on purpose:
// "../escape", "/escape", writes through a symlink, hardlinks pointing outside. This writer writes
// exactly the entries it is given, in the order given, with no path clean-up.
//
// Format: each entry is a 512-byte ustar header, then its data padded to 512 bytes. Names or link
// targets longer than 100 bytes, and xattrs, go in a PAX extended header ('x') just before the
// entry, as records "<len> <key>=<value>\n". The archive ends with two zero blocks.
import { createReadStream } from 'node:fs'

const BLOCK = 512
const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' }

/**
 * @typedef {object} TarEntry
 * @property {string} path              name inside the archive, written as given ("bin/sh", "../x", "/x")
 * @property {'file'|'dir'|'symlink'|'hardlink'|'char'|'block'|'fifo'} type
 * @property {number} [mode]            permission bits incl. setuid/sticky (default 0644, dirs 0755, symlinks 0777)
 * @property {number} [uid]
 * @property {number} [gid]
 * @property {number} [mtime]           seconds since the epoch
 * @property {Buffer|string} [data]     content of a regular file
 * @property {string} [sourceFile]      or: a host file to stream the content from
 * @property {number} [size]            size of sourceFile (required with it)
 * @property {string} [linkname]        target of a symlink or hardlink
 * @property {number} [devmajor]
 * @property {number} [devminor]
 * @property {Record<string,string|Buffer>} [xattrs]
 */

function octal(value, width) {
  // width includes the trailing NUL
  const s = Math.trunc(value).toString(8)
  if (s.length > width - 1) throw new Error(`tar: value ${value} does not fit in ${width - 1} octal digits`)
  return s.padStart(width - 1, '0') + '\0'
}

function putString(buf, offset, width, s) {
  const b = Buffer.from(s, 'utf8')
  if (b.length > width) throw new Error(`tar: "${s}" is longer than ${width} bytes`)
  b.copy(buf, offset)
}

function header({ name, mode, uid, gid, size, mtime, typeflag, linkname = '', devmajor = 0, devminor = 0 }) {
  const h = Buffer.alloc(BLOCK)
  putString(h, 0, 100, name)
  putString(h, 100, 8, octal(mode, 8))
  putString(h, 108, 8, octal(uid, 8))
  putString(h, 116, 8, octal(gid, 8))
  putString(h, 124, 12, octal(size, 12))
  putString(h, 136, 12, octal(mtime, 12))
  h.fill(' ', 148, 156) // the checksum is computed with its own field as spaces
  putString(h, 156, 1, typeflag)
  putString(h, 157, 100, linkname)
  putString(h, 257, 6, 'ustar\0')
  putString(h, 263, 2, '00')
  putString(h, 329, 8, octal(devmajor, 8))
  putString(h, 337, 8, octal(devminor, 8))
  let sum = 0
  for (const byte of h) sum += byte
  putString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return h
}

function paxRecord(key, value) {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\n')])
  // The length prefix counts itself: find the fixed point.
  let len = body.length + 1
  while (String(len).length + body.length !== len) len = String(len).length + body.length
  return Buffer.concat([Buffer.from(String(len)), body])
}

function padding(size) {
  const rest = size % BLOCK
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest)
}

/** Headers and inline data of one entry (streamed content of sourceFile excluded). */
function entryHead(e) {
  const typeflag = TYPEFLAG[e.type]
  if (!typeflag) throw new Error(`tar: unknown entry type ${e.type} for ${e.path}`)
  const isDir = e.type === 'dir'
  let name = e.path
  if (isDir && !name.endsWith('/')) name += '/'
  const data = e.type === 'file' && e.data !== undefined ? Buffer.from(e.data) : undefined
  const size = e.type !== 'file' ? 0 : data ? data.length : e.size ?? 0
  const mode = e.mode ?? (isDir ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644)
  const linkname = e.linkname ?? ''

  const pax = []
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name))
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname))
  for (const key of Object.keys(e.xattrs ?? {}).sort()) pax.push(paxRecord(`SCHILY.xattr.${key}`, e.xattrs[key]))

  const parts = []
  const mtime = e.mtime ?? 0
  if (pax.length) {
    const body = Buffer.concat(pax)
    parts.push(header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, typeflag: 'x' }), body, padding(body.length))
  }
  parts.push(
    header({
      name: Buffer.byteLength(name) > 100 ? Buffer.from(name).subarray(0, 100).toString('latin1').replace(/[^\x20-\x7e]/g, '_') : name,
      mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size,
      mtime,
      typeflag,
      linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 100) : linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
    }),
  )
  if (data) parts.push(data, padding(size))
  return { head: Buffer.concat(parts), size, streamed: e.type === 'file' && !data && e.sourceFile }
}

/**
 * Writes entries as a tar stream to `write(chunk)`, an async sink that resolves when it may take more.
 * Entries are written in the given order; call sortEntries() first for a canonical archive.
 * @param {Iterable<TarEntry>|AsyncIterable<TarEntry>} entries
 * @param {(chunk: Buffer) => Promise<void>} write
 */
export async function writeTar(entries, write) {
  for await (const e of entries) {
    const { head, size, streamed } = entryHead(e)
    await write(head)
    if (streamed) {
      let n = 0
      for await (const chunk of createReadStream(e.sourceFile)) {
        n += chunk.length
        if (n > size) throw new Error(`tar: ${e.sourceFile} grew while it was read`)
        await write(chunk)
      }
      if (n !== size) throw new Error(`tar: ${e.sourceFile} changed size while it was read`)
      await write(padding(size))
    }
  }
  await write(Buffer.alloc(2 * BLOCK))
}

/** Canonical order: component by component, so a directory comes right before its contents. */
export function sortEntries(entries) {
  const key = (p) => p.replace(/\/+$/, '').split('/')
  return [...entries].sort((a, b) => {
    const ka = key(a.path)
    const kb = key(b.path)
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return Buffer.compare(Buffer.from(ka[i]), Buffer.from(kb[i]))
    }
    return ka.length - kb.length
  })
}
