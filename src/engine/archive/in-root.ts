// Paths inside a container, resolved as the container would (its "/" is the root, its symlinks
// are followed inside it), never as the host would. Docker did this in Go user space
// (FollowSymlinkInScope) and lost twice to a container racing it (CVE-2018-15664: swap a directory
// for a symlink to / between the check and the use; CVE-2019-14271: the copy ran code of the
// container's). tocker asks the kernel: openat2(rootfd, path, RESOLVE_IN_ROOT) resolves every
// component against the root fd — ".." stops at it, an absolute symlink starts again from it —
// and RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd-style links, which would jump anywhere. The
// result is an fd: whatever the container renames afterwards, that fd stays the file it was.
//
// Below a resolved directory, the engine only ever works one name at a time through
// /proc/self/fd/<dir fd>/<name> (the kernel reaches exactly the directory the fd is, then looks one
// name up in it), with O_NOFOLLOW / lstat / unlink semantics on that name: no path from the top is
// walked twice.
import { closeSync, fstatSync, lstatSync, readlinkSync, statfsSync, type Stats } from 'node:fs'
import { posix } from 'node:path'
import { TockerError } from '../../errors.js'
import { O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, openat2, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from '../../sys/mount.js'
import type { ContainerPathStat } from '../../api/types.js'
import type { ContainerRoot } from '../../runtime/container-root.js'

export type { ContainerPathStat }

export const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS

/** "/proc/self/fd/N": the kernel resolves it to exactly what fd N is. */
export const fdPath = (fd: number): string => `/proc/self/fd/${fd}`
/** One name inside the directory fd `dir` (never a path: `name` has no "/"). */
export const at = (dir: number, name: string): string => `/proc/self/fd/${dir}/${name}`

/** Docker's archive.PreserveTrailingDotOrSeparator(filepath.Join("/", path), path). */
export function absContainerPath(path: string): string {
  let abs = posix.join('/', path)
  if (path.endsWith('/.') && !abs.endsWith('/.')) abs = abs === '/' ? '/.' : `${abs}/.`
  else if (path.endsWith('/') && !abs.endsWith('/')) abs += '/'
  return abs
}

/** The path relative to the root, as openat2 wants it ("." for the root itself). */
export function relPath(abs: string): string {
  const p = posix.normalize(abs).replace(/^\/+/, '').replace(/\/+$/, '')
  return p === '' ? '.' : p
}

/**
 * An O_PATH fd of `abs` inside the root. Every component but the last is followed inside the root;
 * the last only when `follow` (or when the path ends in "/" or "/.", which names what it points to).
 * Throws the kernel's error (ENOENT, ENOTDIR, ELOOP) as a SyscallError.
 */
export function openInRoot(root: ContainerRoot, abs: string, follow: boolean, flags = 0): number {
  const last = follow || abs.endsWith('/') || abs.endsWith('/.') ? 0 : O_NOFOLLOW
  return openat2(root.fd, relPath(abs), O_PATH | O_CLOEXEC | last | flags, 0, IN_ROOT, `${root.shown} (RESOLVE_IN_ROOT: the container's "/")`)
}

/** Docker's "Could not find the file /x in container c1" (404). */
export function notFound(abs: string, container: string): TockerError {
  return new TockerError(`Could not find the file ${abs} in container ${container}`, { status: 404, daemon: true, code: 'ENOENT' })
}

/** The kernel's refusal, as Docker words it: missing → 404; a file where a directory should be. */
export function resolveError(err: unknown, abs: string, container: string): unknown {
  const code = (err as { code?: string }).code
  if (code === 'ENOENT') return notFound(abs, container)
  if (code === 'ENOTDIR') return new TockerError(`lstat ${abs}: not a directory`, { status: 400, daemon: true, code })
  if (code === 'ELOOP') return new TockerError(`lstat ${abs}: too many levels of symbolic links`, { status: 400, daemon: true, code })
  if (code === 'EXDEV') return new TockerError(`${abs}: a "magic" /proc link, which could lead out of the container: refused`, { status: 400, daemon: true, code })
  return err
}

/**
 * Where `abs` leads inside the root, every symlink followed (Docker's stat linkTarget): an absolute
 * container path. Walks one name at a time from held directory fds, as RESOLVE_IN_ROOT would.
 */
export function canonicalInRoot(root: ContainerRoot, abs: string): string {
  const done: string[] = []
  const pending = components(abs)
  let dir = dupRoot(root)
  let links = 0
  try {
    while (pending.length) {
      const name = pending.shift()!
      if (name === '..') {
        done.pop()
        closeSync(dir)
        dir = openat2(root.fd, done.length ? done.join('/') : '.', O_PATH | O_DIRECTORY | O_CLOEXEC, 0, IN_ROOT | RESOLVE_NO_SYMLINKS)
        continue
      }
      const st = lstatSync(at(dir, name), { throwIfNoEntry: false })
      if (!st) {
        // What does not exist yet is where it would be (a dangling link's target).
        done.push(name, ...pending.filter((p) => p !== '.'))
        break
      }
      if (st.isSymbolicLink()) {
        if (++links > 40) throw new TockerError(`${abs}: too many levels of symbolic links`, { status: 400, daemon: true, code: 'ELOOP' })
        const target = readlinkSync(at(dir, name))
        if (target.startsWith('/')) {
          done.length = 0
          closeSync(dir)
          dir = dupRoot(root)
        }
        pending.unshift(...components(target))
        continue
      }
      done.push(name)
      if (pending.length === 0) break
      if (!st.isDirectory()) {
        done.push(...pending)
        break
      }
      const next = openat2(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, IN_ROOT | RESOLVE_NO_SYMLINKS)
      closeSync(dir)
      dir = next
    }
  } finally {
    closeSync(dir)
  }
  return '/' + done.join('/')
}

function dupRoot(root: ContainerRoot): number {
  return openat2(root.fd, '.', O_PATH | O_DIRECTORY | O_CLOEXEC, 0, IN_ROOT)
}

function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.')
}

/** st_mode → Go's os.FileMode (what Docker's API carries). */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777
  if (st.mode & 0o4000) m |= 1 << 23 // ModeSetuid
  if (st.mode & 0o2000) m |= 1 << 22 // ModeSetgid
  if (st.mode & 0o1000) m |= 1 << 20 // ModeSticky
  if (st.isDirectory()) m |= 2 ** 31 // ModeDir
  else if (st.isSymbolicLink()) m |= 1 << 27
  else if (st.isBlockDevice()) m |= 1 << 26
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21)
  else if (st.isFIFO()) m |= 1 << 25
  else if (st.isSocket()) m |= 1 << 24
  return m >>> 0
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped). */
export function goTime(st: Stats & { mtimeNs?: bigint }): string {
  const ns = st.mtimeNs ?? BigInt(Math.round(st.mtimeMs * 1e6))
  const secs = Number(ns / 1_000_000_000n)
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '')
  return new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, frac ? `.${frac}Z` : 'Z')
}

export function pathStat(root: ContainerRoot, abs: string, fd: number): { stat: ContainerPathStat; st: Stats } {
  const st = fstatSync(fd, { bigint: false })
  const big = fstatSync(fd, { bigint: true })
  const withNs = Object.assign(st, { mtimeNs: big.mtimeNs }) as Stats & { mtimeNs: bigint }
  const name = abs === '/' ? '/' : posix.basename(abs.replace(/\/+$/, '')) || '/'
  return {
    st,
    stat: {
      name: abs.endsWith('/.') ? '.' : name,
      size: st.size,
      mode: goFileMode(st),
      mtime: goTime(withNs),
      linkTarget: st.isSymbolicLink() ? canonicalInRoot(root, abs) : '',
    },
  }
}

/**
 * Kernel file systems the container has mounted (/proc, /sys, cgroups, …): not files of the
 * container. The engine never reads their contents into a copy (a /proc file can be endless or
 * block) nor writes into them (a mkdir in cgroupfs makes a cgroup). Their magic numbers, from
 * <linux/magic.h>.
 */
const PSEUDO_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x19800202, 'mqueue'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x65735543, 'fusectl'],
  [0xf97cff8c, 'selinuxfs'],
  [0x6e736673, 'nsfs'],
])

/** The kernel file system a directory fd is on, when it is one of those (undefined otherwise). */
export function pseudoFs(fd: number): string | undefined {
  return PSEUDO_FS.get(Number(statfsSync(fdPath(fd)).type))
}
