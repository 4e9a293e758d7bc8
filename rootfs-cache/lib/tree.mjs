// Turns a directory on the host into tar entries for a layer: sorted, with one fixed mtime, owned by
// root (or, with `owners`, by the files' own uid/gid: a Debian root has root:shadow /etc/shadow and
// setgid programs), so that the same tree always gives the same layer bytes.
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { sortEntries } from './tar-writer.mjs'

/**
 * @param {string} root          host directory
 * @param {object} opts
 * @param {number} opts.mtime    every entry's mtime (SOURCE_DATE_EPOCH)
 * @param {string} [opts.prefix] path inside the layer the tree lands at ("" = layer root)
 * @param {(rel: string) => boolean} [opts.include] filter on the path relative to root
 * @param {number} [opts.maxBytes] stop adding regular files once their total reaches this
 * @param {number} [opts.skipBytes] leave out the first regular files, in walk order, up to this total
 * @param {boolean} [opts.owners]  keep each file's uid and gid (default: everything 0:0)
 * @returns {Promise<import('./tar-writer.mjs').TarEntry[]>} entries in canonical order; directories
 *   leading to `prefix` are not included
 */
export async function treeEntries(root, { mtime, prefix = '', include = () => true, maxBytes = Infinity, skipBytes = 0, owners = false }) {
  const entries = []
  const seenInodes = new Map() // "dev:ino" -> path of the first link, for hardlinks
  let bytes = 0
  let skipped = 0
  const inLayer = (rel) => (prefix ? (rel ? `${prefix}/${rel}` : prefix) : rel)

  async function walk(rel) {
    const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name
      if (!include(childRel)) continue
      const host = join(root, childRel)
      const st = await lstat(host)
      const base = { path: inLayer(childRel), mode: st.mode & 0o7777, uid: owners ? st.uid : 0, gid: owners ? st.gid : 0, mtime }
      if (st.isDirectory()) {
        entries.push({ ...base, type: 'dir' })
        await walk(childRel)
      } else if (st.isSymbolicLink()) {
        entries.push({ ...base, type: 'symlink', mode: 0o777, linkname: await readlink(host) })
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`
        if (st.nlink > 1 && seenInodes.has(key)) {
          entries.push({ ...base, type: 'hardlink', linkname: seenInodes.get(key) })
          continue
        }
        if (skipped < skipBytes) {
          skipped += st.size
          continue
        }
        if (bytes + st.size > maxBytes) continue
        bytes += st.size
        seenInodes.set(key, base.path)
        entries.push({ ...base, type: 'file', sourceFile: host, size: st.size })
      }
      // sockets, fifos and devices of the host are not image content: skipped
    }
  }
  await walk('')
  return sortEntries(entries)
}

/** Directory entries for each parent of `path` ("usr/local/x" -> usr, usr/local), mode 0755. */
export function parentDirs(path, mtime) {
  const parts = path.split('/').slice(0, -1)
  return parts.map((_, i) => ({ path: parts.slice(0, i + 1).join('/'), type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime }))
}
