// The tar of a path inside a container (GET /containers/{id}/archive, GET /containers/{id}/export),
// named as Docker names it: the path's own name first ("hostname", "etc/", "etc/passwd"…).
//
// The container owns every byte of what is read and can change it while the engine reads: so the
// walk starts from an fd resolved in the root (in-root.ts) and goes down one name at a time from
// held directory fds; a directory is entered only if it is still the directory that was listed
// (same inode, O_NOFOLLOW); a file is opened O_PATH first and reopened for reading only if it is
// a regular file (never a FIFO, which would block, nor a device, whose open can have effects), with
// O_NONBLOCK; at most the size the header announced is read (a file that grows is cut there, one
// that shrinks is padded with zeros: the archive stays valid). Kernel file systems mounted in the
// container (/proc, /sys, cgroups) are named but not entered. All reads are asynchronous (libuv's
// threads), so the engine's main thread never waits on the container's disk.
import { constants as fsc, promises as fsp, type Stats } from 'node:fs'
import { codeOf, TockerError } from '../../errors.js'
import { encodeHeader, END_OF_ARCHIVE, padding, type EntryType } from '../../image/diff/tar-header.js'
import { O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_PATH } from '../../sys/mount.js'
import { at, fdPath, pseudoFs } from './in-root.js'

const CHUNK = 1 << 20

export interface TarOutStats {
  entries: number
  bytes: number
  /** Kernel file systems named but not entered ("/proc (proc)"). */
  skipped: string[]
}

/**
 * The tar of what `fd` (an O_PATH fd, resolved in the root) is, with `name` as its top entry's name
 * (Docker's rebase name). `shown`: the container path, for messages. The fd is not closed here.
 */
export async function* tarOut(fd: number, st: Stats, name: string, shown: string, linkname: string | undefined, stats: TarOutStats = { entries: 0, bytes: 0, skipped: [] }): AsyncGenerator<Buffer> {
  const links = new Map<string, string>()
  yield* entry(fd, st, name, shown, links, stats, true, linkname)
  yield END_OF_ARCHIVE
}

async function* entry(fd: number | undefined, st: Stats, name: string, shown: string, links: Map<string, string>, stats: TarOutStats, top = false, link?: string): AsyncGenerator<Buffer> {
  const common = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) }
  if (st.isDirectory()) {
    // '' names the top of an export: no entry for the root itself, children named "bin/…".
    if (name !== '') {
      stats.entries++
      yield encodeHeader({ ...common, name: name.endsWith('/') ? name : `${name}/`, type: 'dir', size: 0 })
    }
    if (fd === undefined) return
    const fs = pseudoFs(fd)
    if (fs) {
      stats.skipped.push(`${shown} (${fs})`)
      return
    }
    const names = (await fsp.readdir(fdPath(fd))).sort(byteOrder)
    const prefix = name === '' || name.endsWith('/') ? name : `${name}/`
    for (const child of names) {
      const childShown = shown === '/' ? `/${child}` : `${shown}/${child}`
      const cst = await fsp.lstat(at(fd, child)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined // deleted meanwhile by the running container
        throw err
      })
      if (!cst || cst.isSocket()) continue
      const childName = prefix + child
      if (!cst.isDirectory() && !cst.isFile()) {
        const target = cst.isSymbolicLink() ? await fsp.readlink(at(fd, child)) : undefined
        yield* entry(undefined, cst, childName, childShown, links, stats, false, target)
        continue
      }
      const h = await openPath(at(fd, child), cst, childShown)
      if (!h) continue
      try {
        yield* entry(h.fd, cst, childName, childShown, links, stats)
      } finally {
        await h.close()
      }
    }
    return
  }
  if (st.isFile()) {
    if (st.nlink > 1 && !top) {
      const key = `${st.dev}:${st.ino}`
      const first = links.get(key)
      if (first !== undefined) {
        stats.entries++
        yield encodeHeader({ ...common, name, type: 'hardlink', size: 0, linkname: first })
        return
      }
      links.set(key, name)
    }
    stats.entries++
    stats.bytes += st.size
    yield encodeHeader({ ...common, name, type: 'file', size: st.size })
    yield* content(fd!, st, shown)
    yield padding(st.size)
    return
  }
  let type: EntryType
  let linkname: string | undefined
  if (st.isSymbolicLink()) {
    type = 'symlink'
    linkname = link ?? ''
  } else if (st.isCharacterDevice()) type = 'char'
  else if (st.isBlockDevice()) type = 'block'
  else if (st.isFIFO()) type = 'fifo'
  else return
  stats.entries++
  const dev = type === 'char' || type === 'block' ? { devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) } : {}
  yield encodeHeader({ ...common, name, type, size: 0, linkname, ...dev })
}

/** A FileHandle O_PATH of `path` if it is still what lstat said (same inode); undefined if gone. */
async function openPath(path: string, st: Stats, shown: string): Promise<fsp.FileHandle | undefined> {
  let h: fsp.FileHandle
  try {
    h = await fsp.open(path, O_PATH | fsc.O_NOFOLLOW | O_CLOEXEC | (st.isDirectory() ? fsc.O_DIRECTORY : 0))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw changed(shown, err)
  }
  const now = await h.stat()
  if (now.ino !== st.ino || now.dev !== st.dev) {
    await h.close()
    throw changed(shown)
  }
  return h
}

/** A regular file's bytes: exactly st.size of them (see the top of the file). */
async function* content(pathFd: number, st: Stats, shown: string): AsyncGenerator<Buffer> {
  if (st.size === 0) return
  const h = await fsp.open(fdPath(pathFd), fsc.O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
  try {
    const again = await h.stat()
    if (!again.isFile() || again.ino !== st.ino || again.dev !== st.dev) throw changed(shown)
    let left = st.size
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left))
      let n: number
      try {
        ;({ bytesRead: n } = await h.read(buf, 0, buf.length, null))
      } catch (err) {
        throw new TockerError(`reading ${shown} in the container: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { code: codeOf(err, 'EIO'), daemon: true, cause: err })
      }
      if (n === 0) {
        // Shorter than when it was listed (the container truncated it): zeros keep the archive valid.
        yield Buffer.alloc(left)
        return
      }
      left -= n
      yield buf.subarray(0, n)
    }
  } finally {
    await h.close()
  }
}

function changed(shown: string, cause?: unknown): TockerError {
  return new TockerError(`${shown} changed in the container while it was being copied`, { code: 'ECONFLICT', daemon: true, cause })
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}
