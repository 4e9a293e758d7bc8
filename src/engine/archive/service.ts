// `docker cp` and `docker export` on the engine's side (Docker's daemon/archive.go):
//   HEAD /containers/{id}/archive?path=P   stat of P (X-Docker-Container-Path-Stat)
//   GET  /containers/{id}/archive?path=P   P as a tar, named by P's last element
//   PUT  /containers/{id}/archive?path=D   a tar extracted into the directory D
//   GET  /containers/{id}/export           the container's root file system as one tar
// Paths are the container's, resolved inside its root (runtime/container-root.ts, in-root.ts). P's last
// element is not followed when it is a symlink (the link itself is copied) unless P ends in "/" or
// "/."; D is followed (extracting "into a link to a directory" is extracting into that directory).
import { closeSync, fstatSync, openSync, readFileSync, readlinkSync } from 'node:fs'
import { posix } from 'node:path'
import { TockerError } from '../../errors.js'
import { resolveUser } from '../../runtime/user.js'
import { O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDONLY } from '../../sys/mount.js'
import { note, traced } from '../../trace/trace.js'
import type { ContainerRecord } from '../state.js'
import type { ContainerRoot, RootWanted } from '../../runtime/container-root.js'
import { extractInto, type ExtractStats } from './extract.js'
import { absContainerPath, canonicalInRoot, fdPath, openInRoot, pathStat, resolveError, type ContainerPathStat } from './in-root.js'
import { tarOut, type TarOutStats } from './tar-out.js'

export type { ContainerPathStat } from './in-root.js'

export interface ArchiveSource {
  stat: ContainerPathStat
  tar: AsyncGenerator<Buffer>
}

/** What the archive code needs of the engine for one container. */
export interface ArchiveTarget {
  rec: ContainerRecord
  /** The name the client used (Docker's messages say "in container c1"). */
  ref: string
  /** containers/<id>/ */
  dir: string
  /** The container's "/" as an O_PATH fd (the runtime backend's openRoot). */
  openRoot(want: RootWanted): Promise<ContainerRoot>
}

/** HEAD: the stat of a path. */
export async function statContainerPath(t: ArchiveTarget, path: string): Promise<ContainerPathStat> {
  const root = await t.openRoot('live')
  try {
    const abs = absContainerPath(path)
    refuseStoppedVolume(t, root, abs)
    const fd = open(root, t, abs, false)
    try {
      return pathStat(root, abs, fd).stat
    } finally {
      closeSync(fd)
    }
  } finally {
    root.close()
  }
}

/** GET: the stat and a tar of the path. The root stays open until the tar is read to its end (or dropped). */
export async function archiveContainerPath(t: ArchiveTarget, path: string): Promise<ArchiveSource> {
  const root = await t.openRoot('live')
  let fd: number | undefined
  try {
    const abs = absContainerPath(path)
    refuseStoppedVolume(t, root, abs)
    fd = open(root, t, abs, false)
    const { stat, st } = pathStat(root, abs, fd)
    const link = st.isSymbolicLink() ? readLinkOf(root, abs) : undefined
    // Docker's rebase: the entries start with the requested name ("etc/…"; "./…" for "/etc/.";
    // "/…" for "/", which the client renames).
    const name = stat.name
    return { stat, tar: closing(tarOut(fd, st, name, abs, link, stats()), root, fd, abs) }
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    root.close()
    throw err
  }
}

/** GET /export: the whole root file system of the container (without its volumes), as Docker exports it. */
export async function exportContainer(t: ArchiveTarget): Promise<AsyncGenerator<Buffer>> {
  const root = await t.openRoot('rootfs')
  let fd: number | undefined
  try {
    fd = open(root, t, '/', true)
    const { st } = pathStat(root, '/', fd)
    return closing(tarOut(fd, st, '', '/', undefined, stats()), root, fd, '/')
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    root.close()
    throw err
  }
}

/** PUT: extract `body` (a tar) into the directory `path`. `lockedStopped`: the caller holds the container's lock. */
export async function extractToContainer(t: ArchiveTarget, path: string, body: AsyncIterable<Buffer>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<ExtractStats> {
  const root = await t.openRoot('write')
  try {
    const abs = absContainerPath(path)
    refuseStoppedVolume(t, root, abs)
    const fd = open(root, t, abs, true)
    try {
      const { st } = pathStat(root, abs, fd)
      if (!st.isDirectory()) throw new TockerError('extraction point is not a directory', { code: 'EINVALID', daemon: true })
      const where = canonicalInRoot(root, abs)
      note('cp', 'explain.note.cp.resolved', { path: abs, resolved: where })
      note('cp', root.how === 'running' ? 'explain.note.cp.upper.running' : 'explain.note.cp.upper.mounted', { upper: root.upperDir, path: where })
      const owner = opts.copyUIDGID && t.rec.Config.User ? containerUser(root, t.rec.Config.User) : undefined
      return await extractInto(fd, where, body, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, owner })
    } finally {
      closeSync(fd)
    }
  } finally {
    root.close()
  }
}

function stats(): TarOutStats {
  return { entries: 0, bytes: 0, skipped: [] }
}

function open(root: ContainerRoot, t: ArchiveTarget, abs: string, follow: boolean): number {
  try {
    return openInRoot(root, abs, follow)
  } catch (err) {
    throw resolveError(err, abs, t.ref)
  }
}

/** The text of the symlink `abs` (its last element not followed). */
function readLinkOf(root: ContainerRoot, abs: string): string {
  const parent = posix.dirname(abs.replace(/\/+$/, '')) || '/'
  const dirFd = openInRoot(root, parent, true)
  try {
    return traced('syscall', 'readlink', () => `${abs} (in the container)`, () => readlinkAt(dirFd, posix.basename(abs)))
  } finally {
    closeSync(dirFd)
  }
}

/** readlink(2) of one name in a held directory: never followed. */
function readlinkAt(dirFd: number, name: string): string {
  return readlinkSync(`${fdPath(dirFd)}/${name}`)
}

/** Wrap a tar generator so that its fds and the root are released when it ends, fails or is dropped. */
async function* closing(tar: AsyncGenerator<Buffer>, root: ContainerRoot, fd: number, abs: string): AsyncGenerator<Buffer> {
  try {
    yield* tar
  } catch (err) {
    throw resolveError(err, abs, '')
  } finally {
    closeSync(fd)
    root.close()
  }
}

/**
 * A stopped container's volumes are not mounted on the overlay this copy reads or writes: what is
 * under their mount points there is the image's, hidden while the container runs. Refused rather
 * than silently copied from or into the wrong place.
 */
function refuseStoppedVolume(t: ArchiveTarget, root: ContainerRoot, abs: string): void {
  if (root.how === 'running' || !t.rec.Mounts?.length) return
  const where = canonicalInRoot(root, abs)
  for (const m of t.rec.Mounts) {
    const d = m.Destination.replace(/\/+$/, '') || '/'
    if (where === d || where.startsWith(d + '/')) {
      throw new TockerError(`${abs} is on the volume mounted at ${d}, and container ${t.ref} is not running: tocker copies to and from a volume only while the container runs`, {
        code: 'ECONFLICT',
        daemon: true,
        hint: 'Start the container (tocker start) and copy again. / 컨테이너를 시작한(tocker start) 뒤 다시 복사하세요: 멈춘 컨테이너의 볼륨은 복사에 쓰이지 않습니다.',
      })
    }
  }
}

/** The container's user ("name[:group]", uid[:gid]) looked up in its own /etc/passwd and /etc/group. */
function containerUser(root: ContainerRoot, user: string): { uid: number; gid: number } {
  const u = resolveUser({ uid: 0, gid: 0, username: user }, (p) => readSmallFile(root, p))
  return { uid: u.uid, gid: u.gid }
}

/** A regular file of at most 4 MiB inside the root, or undefined when missing. */
function readSmallFile(root: ContainerRoot, path: string): string | undefined {
  let pathFd: number
  try {
    pathFd = openInRoot(root, path, true)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const st = fstatSync(pathFd)
    if (!st.isFile() || st.size > 4 << 20) throw new TockerError(`unable to read ${path} in the container: not a regular file of at most 4 MiB`, { code: 'EINVALID', daemon: true })
    const fd = openSync(fdPath(pathFd), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
    try {
      return readFileSync(fd, 'utf8').slice(0, 4 << 20)
    } finally {
      closeSync(fd)
    }
  } finally {
    closeSync(pathFd)
  }
}
