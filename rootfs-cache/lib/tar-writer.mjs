// A deterministic tar writer for image layers: the entries it is given, in the order given, with no
// path clean-up.
//
// Why not a tar library: every byte of a layer must be reproducible (fixed mtimes, uid/gid 0, no
// uname/gname), and the test fixtures need layers that tar libraries refuse to write on purpose:
// "../escape", "/escape", writes through a symlink, hardlinks pointing outside.
//
// The headers are tocker's own (src/image/diff/tar-header.ts, the one encoder: USTAR, and a PAX
// header as Go's archive/tar writes it when a field does not fit or an entry has xattrs), imported
// from tocker's build: bin/lab and the tests run `npm run build` before this. This file adds the
// entry shape, streaming content from host files, and the canonical order.
import { createReadStream } from 'node:fs'

const tarHeader = new URL('../../dist/src/image/diff/tar-header.js', import.meta.url)
const { encodeHeader, padding, END_OF_ARCHIVE } = await import(tarHeader.href).catch((err) => {
  throw new Error(`rootfs-cache writes tar headers with tocker's encoder; build tocker first (npm run build): ${err.message}`)
})

const TYPES = new Set(['file', 'hardlink', 'symlink', 'char', 'block', 'dir', 'fifo'])

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

/** Headers and inline data of one entry (streamed content of sourceFile excluded). */
function entryHead(e) {
  if (!TYPES.has(e.type)) throw new Error(`tar: unknown entry type ${e.type} for ${e.path}`)
  const isDir = e.type === 'dir'
  let name = e.path
  if (isDir && !name.endsWith('/')) name += '/'
  const data = e.type === 'file' && e.data !== undefined ? Buffer.from(e.data) : undefined
  const size = e.type !== 'file' ? 0 : data ? data.length : e.size ?? 0
  const mode = e.mode ?? (isDir ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644)
  const linkname = e.linkname ?? ''

  const parts = [
    encodeHeader({
      name,
      type: e.type,
      mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size,
      mtime: e.mtime ?? 0,
      linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      // Values are bytes (security.capability is binary): a string is taken as UTF-8.
      xattrs: new Map(Object.entries(e.xattrs ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    }),
  ]
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
  await write(END_OF_ARCHIVE)
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
