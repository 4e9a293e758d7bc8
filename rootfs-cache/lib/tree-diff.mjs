// The layer between two trees on the host: what `docker build` stores for a RUN step. `after` is a
// full copy of `before` (cp -a keeps every timestamp) in which something was installed; the layer
// holds what is new or changed in `after`, and a whiteout (`.wh.NAME`, an empty file, as the OCI image
// spec says) for what was deleted. Unpacked over `before`'s layer, it gives `after` again.
//
// Changed means: another type, mode, owner, size, link target, or modification time (nanoseconds;
// every write changes it, and cp -a carried the old one over). A directory is written when it is
// new, when its mode or owner changed, or when something inside it is written (so its entry comes
// before its content, with its real mode, as Docker's layers do).
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { sortEntries } from './tar-writer.mjs'

const byName = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))

async function lstatOrNull(p) {
  try {
    return await lstat(p, { bigint: true })
  } catch (err) {
    if (err.code === 'ENOENT') return null
    throw err
  }
}

function kind(st) {
  if (st.isDirectory()) return 'dir'
  if (st.isSymbolicLink()) return 'symlink'
  if (st.isFile()) return 'file'
  return 'other'
}

/**
 * @param {string} before  the tree the layer goes on top of
 * @param {string} after   the same tree after the change
 * @param {{ mtime: number, include?: (rel: string) => boolean }} opts  every entry's mtime; paths to consider
 * @returns {Promise<import('./tar-writer.mjs').TarEntry[]>} sorted entries of the layer
 */
export async function diffEntries(before, after, { mtime, include = () => true }) {
  const entries = []
  const firstLink = new Map() // "dev:ino" of a written file -> its path, for hardlinks

  /** Walks the directory `rel` (present in `after`); returns whether anything in it was written. */
  async function walk(rel) {
    const afterNames = (await readdir(join(after, rel))).sort(byName)
    const beforeNames = new Set(await readdir(join(before, rel)).catch((err) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? [] : Promise.reject(err))))
    let wrote = false
    for (const name of afterNames) {
      const r = rel ? `${rel}/${name}` : name
      beforeNames.delete(name)
      if (!include(r)) continue
      const a = await lstat(join(after, r), { bigint: true })
      const b = await lstatOrNull(join(before, r))
      const owner = { mode: Number(a.mode & 0o7777n), uid: Number(a.uid), gid: Number(a.gid), mtime }
      const same = b && kind(a) === kind(b) && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid
      if (a.isDirectory()) {
        const at = entries.length
        const inner = await walk(r)
        if (!same || inner) {
          entries.splice(at, 0, { path: r, type: 'dir', ...owner })
          wrote = true
        }
        continue
      }
      if (a.isSymbolicLink()) {
        const target = await readlink(join(after, r))
        if (same && (await readlink(join(before, r))) === target) continue
        entries.push({ path: r, type: 'symlink', ...owner, mode: 0o777, linkname: target })
        wrote = true
        continue
      }
      if (!a.isFile()) continue // devices, fifos, sockets are not image content
      if (same && a.size === b.size && a.mtimeNs === b.mtimeNs) continue
      const key = `${a.dev}:${a.ino}`
      if (a.nlink > 1n && firstLink.has(key)) entries.push({ path: r, type: 'hardlink', ...owner, linkname: firstLink.get(key) })
      else {
        firstLink.set(key, r)
        entries.push({ path: r, type: 'file', ...owner, sourceFile: join(after, r), size: Number(a.size) })
      }
      wrote = true
    }
    // What is left was deleted.
    for (const name of [...beforeNames].sort(byName)) {
      const r = rel ? `${rel}/${name}` : name
      if (!include(r)) continue
      entries.push({ path: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, type: 'file', mode: 0o644, mtime, data: '' })
      wrote = true
    }
    return wrote
  }
  await walk('')
  return sortEntries(entries)
}
