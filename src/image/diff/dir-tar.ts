// A directory as a layer tar, read the way Docker's overlay2 driver reads a container's upper
// directory (its `Diff`): every entry under the directory, parents before children, names in byte
// order within each directory, and overlayfs's own marks turned back into the OCI layer format:
//
//   a character device 0:0      "this name was deleted"   -> `dir/.wh.<name>`, an empty file
//   trusted.overlay.opaque=y    "this directory replaces the lower one, not merges with it"
//                                                          -> the directory, then `dir/.wh..wh..opq`
//
// Hard links within the directory are kept (the first path carries the data, the others link to
// it); owners, modes, device numbers, mtimes (whole seconds, as Docker writes them) and extended
// attributes travel, except overlayfs's own trusted.overlay.* bookkeeping. Sockets are skipped.
//
// A running container can change its upper directory while this reads it (`tocker commit` of a
// running container): a directory swapped for a symlink must never make the engine read a host
// file into the image. So nothing here follows a path from the top: each directory is held open
// (O_PATH) and its entries are reached through /proc/self/fd/<dir fd>/<name>, with O_NOFOLLOW on
// the last component; a file is read only if it is still the regular file that was listed (same
// inode), opened O_NONBLOCK, and exactly as long as it was.
//
// overlayfs features that store a change elsewhere than in the upper directory (redirect_dir: a
// renamed directory points at its old place with trusted.overlay.redirect; metacopy: a file whose
// data is still in the lower layer) cannot be read this way: such a directory is refused rather
// than turned into a wrong layer. tocker mounts without them (the kernel's defaults here are off).
import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs'
import { TockerError } from '../../errors.js'
import { lgetxattr, llistxattr } from '../../sys/fs.js'
import { O_CLOEXEC, O_PATH } from '../../sys/mount.js'
import { encodeHeader, END_OF_ARCHIVE, padding, type EntryType, type HeaderFields } from './tar-header.js'

export const WHITEOUT_PREFIX = '.wh.'
export const OPAQUE_MARKER = '.wh..wh..opq'
const OVERLAY_XATTR = 'trusted.overlay.'
/** xattrs that belong to the host, not to the image. */
const HOST_XATTRS = new Set(['security.selinux'])
const CHUNK = 1 << 20

export interface DirTarStats {
  entries: number
  whiteouts: number
  opaqueDirs: number
  /** Bytes of regular-file content. */
  size: number
}

export interface DirTarOptions {
  /** Read the directory as an overlayfs upper directory (default: true). */
  overlay?: boolean
}

interface Listed {
  name: string
  st: Stats
}

/**
 * The tar of `dir`'s contents (the directory itself is not an entry), chunk by chunk. `stats` is
 * filled in as the walk goes.
 */
export async function* dirTar(dir: string, stats: DirTarStats = { entries: 0, whiteouts: 0, opaqueDirs: 0, size: 0 }, opts: DirTarOptions = {}): AsyncGenerator<Buffer> {
  const overlay = opts.overlay ?? true
  const rootFd = openSync(dir, O_PATH | fsc.O_DIRECTORY | O_CLOEXEC)
  const links = new Map<string, string>() // "dev:ino" of a hard-linked file -> its first path
  try {
    if (overlay) refuseRedirects(fdDir(rootFd), dir)
    yield* walk(rootFd, '', dir)
    yield END_OF_ARCHIVE
  } finally {
    closeSync(rootFd)
  }

  async function* walk(dirFd: number, rel: string, shown: string): AsyncGenerator<Buffer> {
    const names = readdirSync(fdPath(dirFd)).sort(byteOrder)
    const listed: Listed[] = []
    for (const name of names) {
      const st = lstatSync(`${fdPath(dirFd)}/${name}`, { throwIfNoEntry: false })
      if (st) listed.push({ name, st }) // gone meanwhile: a running container deleted it
    }
    for (const { name, st } of listed) {
      const path = rel === '' ? name : `${rel}/${name}`
      const at = `${fdPath(dirFd)}/${name}`
      if (st.isSocket()) continue
      if (overlay && st.isCharacterDevice() && st.rdev === 0) {
        // A whiteout: the name existed in a lower layer and was deleted.
        stats.entries++
        stats.whiteouts++
        yield encodeHeader({ ...common(st), name: join(rel, WHITEOUT_PREFIX + name), type: 'file', mode: 0o600, size: 0 })
        continue
      }
      const xattrs = readXattrs(at, overlay)
      if (st.isDirectory()) {
        stats.entries++
        yield encodeHeader({ ...common(st), name: `${path}/`, type: 'dir', size: 0, xattrs })
        let childFd: number
        try {
          childFd = openSync(at, O_PATH | fsc.O_DIRECTORY | fsc.O_NOFOLLOW | O_CLOEXEC)
        } catch (err) {
          throw changed(shown, path, err)
        }
        try {
          if (!sameFile(fstatSync(childFd), st)) throw changed(shown, path)
          if (overlay) {
            refuseRedirects(fdDir(childFd), `${shown}/${path}`)
            if (isOpaque(fdDir(childFd))) {
              stats.entries++
              stats.opaqueDirs++
              yield encodeHeader({ ...common(st), name: `${path}/${OPAQUE_MARKER}`, type: 'file', mode: st.mode & 0o777, size: 0 })
            }
          }
          yield* walk(childFd, path, shown)
        } finally {
          closeSync(childFd)
        }
        continue
      }
      if (st.isFile() && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`
        const first = links.get(key)
        if (first !== undefined) {
          stats.entries++
          yield encodeHeader({ ...common(st), name: path, type: 'hardlink', size: 0, linkname: first, xattrs })
          continue
        }
        links.set(key, path)
      }
      if (st.isFile()) {
        stats.entries++
        stats.size += st.size
        yield encodeHeader({ ...common(st), name: path, type: 'file', size: st.size, xattrs })
        yield* fileContent(at, st, `${shown}/${path}`)
        yield padding(st.size)
        continue
      }
      let type: EntryType
      let linkname: string | undefined
      if (st.isSymbolicLink()) {
        type = 'symlink'
        linkname = readlinkAt(at, `${shown}/${path}`)
      } else if (st.isCharacterDevice()) type = 'char'
      else if (st.isBlockDevice()) type = 'block'
      else if (st.isFIFO()) type = 'fifo'
      else continue
      stats.entries++
      const dev = type === 'char' || type === 'block' ? { devmajor: major(st.rdev), devminor: minor(st.rdev) } : {}
      yield encodeHeader({ ...common(st), name: path, type, size: 0, linkname, xattrs, ...dev })
    }
  }
}

function common(st: Stats): Omit<HeaderFields, 'name' | 'type' | 'size'> {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) }
}

function join(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`
}

function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`
}

/** The directory itself through its fd: "/." makes the l*xattr calls act on it, not on the magic link. */
function fdDir(fd: number): string {
  return `/proc/self/fd/${fd}/.`
}

/** Names in byte order (Go's sort of strings), not JavaScript's UTF-16 order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino
}

export function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff)
}

export function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff)
}

function readXattrs(path: string, overlay: boolean): Map<string, Buffer> | undefined {
  let names: string[]
  try {
    names = llistxattr(path)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOTSUP' || (err as { code?: string }).code === 'EOPNOTSUPP') return undefined
    throw err
  }
  let out: Map<string, Buffer> | undefined
  for (const n of names) {
    if ((overlay && n.startsWith(OVERLAY_XATTR)) || HOST_XATTRS.has(n)) continue
    const v = lgetxattr(path, n)
    if (v === undefined) continue
    ;(out ??= new Map()).set(n, v)
  }
  return out
}

function isOpaque(path: string): boolean {
  const v = lgetxattr(path, 'trusted.overlay.opaque')
  return v !== undefined && v.toString() === 'y'
}

function refuseRedirects(path: string, shown: string): void {
  for (const name of ['trusted.overlay.redirect', 'trusted.overlay.metacopy']) {
    if (lgetxattr(path, name) !== undefined) {
      throw new TockerError(`cannot make a layer of ${shown}: it has ${name} (an overlayfs redirect_dir/metacopy change, which a layer tar cannot express)`, { code: 'EOVERLAYFEATURE' })
    }
  }
}

/** readlink(2) of /proc/self/fd/<dir>/<name> reads the link itself: only the directory part is resolved. */
function readlinkAt(path: string, shown: string): string {
  try {
    return readlinkSync(path, 'utf8')
  } catch (err) {
    throw changed(shown, '', err)
  }
}

/** The content of a regular file that must still be the one listed, exactly st.size bytes long. */
function* fileContent(path: string, st: Stats, shown: string): Generator<Buffer> {
  let fd: number
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | fsc.O_NOCTTY | O_CLOEXEC)
  } catch (err) {
    throw changed(shown, '', err)
  }
  try {
    const now = fstatSync(fd)
    if (!now.isFile() || !sameFile(now, st)) throw changed(shown, '')
    let left = st.size
    let pos = 0
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, CHUNK))
      const n = readSync(fd, buf, 0, buf.length, pos)
      if (n === 0) throw changed(shown, '', undefined, 'it became shorter while it was read')
      pos += n
      left -= n
      yield buf.subarray(0, n)
    }
  } finally {
    closeSync(fd)
  }
}

function changed(shown: string, path: string, cause?: unknown, why = 'it changed while it was read'): TockerError {
  const where = path ? `${shown}/${path}` : shown
  return new TockerError(`cannot read ${where} into the layer: ${why}${cause ? ` (${(cause as Error).message})` : ''}`, { code: 'ECHANGED', cause })
}
