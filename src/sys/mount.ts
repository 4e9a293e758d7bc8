// Traced mount calls: mount, umount2, pivot_root, and the in-root path resolution (openat2,
// mkdirat) mounts use. Every call shows up in `tocker --explain` with its flags decoded.
import { constants } from 'node:os'
import { SyscallError } from '../../native-shims/libc.js'
import * as native from '../../native-shims/mount.js'
import { decodeFlags, traced } from '../trace/trace.js'
import { syscalls } from './syscalls.js'

export {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_RECURSIVE,
  MNT_DETACH,
  MS_BIND,
  MS_DIRSYNC,
  MS_FLAGS,
  MS_MANDLOCK,
  MS_MOVE,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_NOSYMFOLLOW,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
  MS_UNBINDABLE,
  MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_RDONLY,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_NOCTTY,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
} from '../../native-shims/mount.js'

const ENOENT = constants.errno.ENOENT

export function describeMountFlags(flags: number): string {
  return decodeFlags(flags, native.MS_FLAGS)
}

/**
 * mount(2). `shownTarget` replaces the target in the trace when the real target is an fd path
 * (/proc/self/fd/N) that a learner could not read; `shownData` the options when they are too long
 * to read (an overlay of 100 layers).
 */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null, shownTarget?: string, shownData?: string): void {
  traced(
    'mount',
    'mount',
    () => `${JSON.stringify(source ?? '')}, ${shownTarget ?? target}, ${JSON.stringify(fstype ?? '')}, ${describeMountFlags(flags)}${data ? `, ${JSON.stringify(shownData ?? data)}` : ''}`,
    () => syscalls().mount(source, target, fstype, flags, data),
  )
}

/**
 * mount_setattr(2): set and clear attributes (MOUNT_ATTR_*) of the mount at `target` (a path or
 * /proc/self/fd/N), leaving its other attributes as they are; AT_RECURSIVE for its submounts too.
 */
export function mountSetattr(target: string, flags: number, attrSet: number, attrClr: number, shownTarget?: string): void {
  traced(
    'mount',
    'mount_setattr',
    () => `${shownTarget ?? target}, ${decodeFlags(flags, native.MOUNT_SETATTR_FLAGS)}, set=${decodeFlags(attrSet, native.MOUNT_ATTR_FLAGS)}${attrClr ? `, clr=${decodeFlags(attrClr, native.MOUNT_ATTR_FLAGS)}` : ''}`,
    () => syscalls().mountSetattr(target, flags, attrSet, attrClr),
  )
}

/**
 * An id-mapped copy of the mount at `source` attached at `target` (which may be the same path: the
 * copy then covers the original): files owned by uid N on disk are seen as owned by whatever N
 * maps to in the user namespace `usernsFd` (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) +
 * move_mount). `recursive`: its submounts too (AT_RECURSIVE; every one must support id-mapping).
 */
export function idmappedMount(source: string, target: string, usernsFd: number, recursive: boolean, shownTarget?: string): void {
  traced(
    'mount',
    'idmapped mount',
    () => `open_tree(${source}, OPEN_TREE_CLONE${recursive ? '|AT_RECURSIVE' : ''}), mount_setattr(MOUNT_ATTR_IDMAP, userns fd ${usernsFd}), move_mount(→ ${shownTarget ?? target})`,
    () => syscalls().idmappedMount(source, target, usernsFd, recursive),
  )
}

export function umount2(target: string, flags: number, shownTarget?: string): void {
  traced('mount', 'umount2', () => `${shownTarget ?? target}, ${decodeFlags(flags, native.UMOUNT_FLAGS)}`, () => syscalls().umount2(target, flags))
}

export function pivotRoot(newRoot: string, putOld: string): void {
  traced('mount', 'pivot_root', () => `${JSON.stringify(newRoot)}, ${JSON.stringify(putOld)}`, () => syscalls().pivotRoot(newRoot, putOld))
}

export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number, shownDir?: string): number {
  return traced(
    'syscall',
    'openat2',
    () => `${shownDir ?? `fd ${dirfd}`}, ${JSON.stringify(path)}, ${decodeFlags(flags, native.O_FLAGS)}, resolve=${decodeFlags(resolve, native.RESOLVE_FLAGS)}`,
    () => native.openat2(dirfd, path, flags, mode, resolve),
    (fd) => `fd ${fd}`,
  )
}

/** openat2 for a path that may not exist: undefined on ENOENT (no exception), throws otherwise. */
export function openat2IfExists(dirfd: number, path: string, flags: number, mode: number, resolve: number, shownDir?: string): number | undefined {
  return traced(
    'syscall',
    'openat2',
    () => `${shownDir ?? `fd ${dirfd}`}, ${JSON.stringify(path)}, ${decodeFlags(flags, native.O_FLAGS)}, resolve=${decodeFlags(resolve, native.RESOLVE_FLAGS)}`,
    () => {
      const fd = native.openat2OrErrno(dirfd, path, flags, mode, resolve)
      if (fd >= 0) return fd
      if (fd === -ENOENT) return undefined
      throw new SyscallError('openat2', -fd, path)
    },
    (fd) => (fd === undefined ? 'ENOENT' : `fd ${fd}`),
  )
}

export function mkdirat(dirfd: number, path: string, mode: number, shownDir?: string): void {
  traced('syscall', 'mkdirat', () => `${shownDir ?? `fd ${dirfd}`}, ${JSON.stringify(path)}, 0${mode.toString(8)}`, () => native.mkdirat(dirfd, path, mode))
}

/** The flags (MS_NOSUID, ...) of the mount `path` is on. A read-only remount must keep them. */
export function mountFlagsOf(path: string): number {
  return traced('syscall', 'statvfs', () => path, () => syscalls().mountFlagsOf(path), (f) => describeMountFlags(f))
}

/** fchdir/chdir of the calling thread only (Node's process.chdir would also change Node's idea of the cwd). */
export function fchdir(fd: number, shown?: string): void {
  traced('syscall', 'fchdir', () => shown ?? `fd ${fd}`, () => syscalls().fchdir(fd))
}

export function chdirTo(path: string): void {
  traced('syscall', 'chdir', () => JSON.stringify(path), () => syscalls().chdir(path))
}
