// Mounts: mount(2), umount2(2), pivot_root(2), mount_setattr(2), and the *at() calls that resolve paths inside a
// container's root without following symlinks out of it (openat2 with RESOLVE_IN_ROOT, mkdirat).
// Raw bindings; src/sys/mount.ts traces them.
import { check, lastErrno, libc, SyscallError } from './libc.js'

// <sys/mount.h> mount flags.
export const MS_RDONLY = 0x1
export const MS_NOSUID = 0x2
export const MS_NODEV = 0x4
export const MS_NOEXEC = 0x8
export const MS_SYNCHRONOUS = 0x10
export const MS_REMOUNT = 0x20
export const MS_MANDLOCK = 0x40
export const MS_DIRSYNC = 0x80
export const MS_NOSYMFOLLOW = 0x100
export const MS_NOATIME = 0x400
export const MS_NODIRATIME = 0x800
export const MS_BIND = 0x1000
export const MS_MOVE = 0x2000
export const MS_REC = 0x4000
export const MS_SILENT = 0x8000
export const MS_UNBINDABLE = 0x20000
export const MS_PRIVATE = 0x40000
export const MS_SLAVE = 0x80000
export const MS_SHARED = 0x100000
export const MS_RELATIME = 0x200000
export const MS_STRICTATIME = 0x1000000
export const MS_LAZYTIME = 0x2000000

export const MS_FLAGS: Record<string, number> = {
  MS_RDONLY,
  MS_NOSUID,
  MS_NODEV,
  MS_NOEXEC,
  MS_SYNCHRONOUS,
  MS_REMOUNT,
  MS_MANDLOCK,
  MS_DIRSYNC,
  MS_NOSYMFOLLOW,
  MS_NOATIME,
  MS_NODIRATIME,
  MS_BIND,
  MS_MOVE,
  MS_REC,
  MS_SILENT,
  MS_UNBINDABLE,
  MS_PRIVATE,
  MS_SLAVE,
  MS_SHARED,
  MS_RELATIME,
  MS_STRICTATIME,
  MS_LAZYTIME,
}

// umount2 flags.
export const MNT_FORCE = 1
export const MNT_DETACH = 2
export const MNT_EXPIRE = 4
export const UMOUNT_NOFOLLOW = 8
export const UMOUNT_FLAGS: Record<string, number> = { MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW }

// open(2) flags the resolver needs (Node's fs.constants lacks O_PATH).
export const O_RDONLY = 0
export const O_WRONLY = 1
export const O_RDWR = 2
export const O_CREAT = 0o100
export const O_EXCL = 0o200
export const O_NOCTTY = 0o400
export const O_NONBLOCK = 0o4000
export const O_DIRECTORY = 0o200000
export const O_NOFOLLOW = 0o400000
export const O_CLOEXEC = 0o2000000
export const O_PATH = 0o10000000
export const O_FLAGS: Record<string, number> = { O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH }

// openat2(2) resolve flags.
export const RESOLVE_NO_XDEV = 0x01
export const RESOLVE_NO_MAGICLINKS = 0x02
export const RESOLVE_NO_SYMLINKS = 0x04
export const RESOLVE_BENEATH = 0x08
export const RESOLVE_IN_ROOT = 0x10
export const RESOLVE_FLAGS: Record<string, number> = {
  RESOLVE_NO_XDEV,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
}

export const AT_FDCWD = -100

// Syscall numbers glibc has no wrapper for.
const SYS = process.arch === 'arm64'
  ? { pivot_root: 41, openat2: 437, mount_setattr: 442, open_tree: 428, move_mount: 429 }
  : { pivot_root: 155, openat2: 437, mount_setattr: 442, open_tree: 428, move_mount: 429 }

const mount_ = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)')
const umount2_ = libc.func('int umount2(const char *target, int flags)')
const syscall_ = libc.func('long syscall(long number, ...)')
const mkdirat_ = libc.func('int mkdirat(int dirfd, const char *path, uint32_t mode)')
const fchdir_ = libc.func('int fchdir(int fd)')
const chdir_ = libc.func('int chdir(const char *path)')

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(mount_(source, target, fstype, flags, data) as number, 'mount', target)
}

export function umount2(target: string, flags: number): void {
  check(umount2_(target, flags) as number, 'umount2', target)
}

export function pivotRoot(newRoot: string, putOld: string): void {
  check(Number(syscall_(SYS.pivot_root, 'const char *', newRoot, 'const char *', putOld)), 'pivot_root', newRoot)
}

/** openat2(2): open `path` relative to `dirfd` under the `resolve` rules; returns the fd. */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const fd = openat2OrErrno(dirfd, path, flags, mode, resolve)
  if (fd < 0) throw new SyscallError('openat2', -fd, path)
  return fd
}

/** openat2 that returns -errno instead of throwing (probing for paths that may not exist is common). */
export function openat2OrErrno(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = Buffer.alloc(24) // struct open_how { u64 flags; u64 mode; u64 resolve; }
  how.writeBigUInt64LE(BigInt(flags), 0)
  how.writeBigUInt64LE(BigInt(mode), 8)
  how.writeBigUInt64LE(BigInt(resolve), 16)
  const fd = Number(syscall_(SYS.openat2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', 24))
  return fd === -1 ? -lastErrno() : fd
}

// mount_setattr(2) (Linux 5.12): change some attributes of a mount (or, with AT_RECURSIVE, of a
// whole tree of mounts) and leave the others alone, which a MS_REMOUNT|MS_BIND cannot do.
export const AT_EMPTY_PATH = 0x1000
export const AT_RECURSIVE = 0x8000
export const MOUNT_SETATTR_FLAGS: Record<string, number> = { AT_EMPTY_PATH, AT_RECURSIVE }
export const MOUNT_ATTR_RDONLY = 0x1
export const MOUNT_ATTR_NOSUID = 0x2
export const MOUNT_ATTR_NODEV = 0x4
export const MOUNT_ATTR_NOEXEC = 0x8
export const MOUNT_ATTR_FLAGS: Record<string, number> = { MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC }

/** mount_setattr(dirfd, path, flags, {attr_set, attr_clr}); throws SyscallError (ENOSYS before 5.12). */
export function mountSetattr(dirfd: number, path: string, flags: number, attrSet: number, attrClr: number): void {
  const attr = Buffer.alloc(32) // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
  attr.writeBigUInt64LE(BigInt(attrSet), 0)
  attr.writeBigUInt64LE(BigInt(attrClr), 8)
  const r = Number(syscall_(SYS.mount_setattr, 'int', dirfd, 'const char *', path, 'unsigned int', flags, 'void *', attr, 'size_t', 32))
  if (r === -1) throw new SyscallError('mount_setattr', lastErrno(), path)
}

// Id-mapped mounts (Linux 5.12): a copy of a mount whose file owners are seen through a user
// namespace's mapping. open_tree(OPEN_TREE_CLONE) makes a detached copy, mount_setattr with
// MOUNT_ATTR_IDMAP and the namespace's fd gives it the mapping (only a detached mount may get one),
// move_mount attaches it.
export const OPEN_TREE_CLONE = 1
export const OPEN_TREE_CLOEXEC = 0o2000000
export const MOUNT_ATTR_IDMAP = 0x100000
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4
// move_mount does not follow a symlink in the target path unless told: a /proc/self/fd/N target
// (a magic link) would name the link itself (EINVAL: a symlink is not a directory).
export const MOVE_MOUNT_T_SYMLINKS = 0x10

/** open_tree(AT_FDCWD, path, flags): an fd of the mount (a detached copy with OPEN_TREE_CLONE). */
export function openTree(path: string, flags: number): number {
  return check(Number(syscall_(SYS.open_tree, 'int', AT_FDCWD, 'const char *', path, 'unsigned int', flags)), 'open_tree', path)
}

/** mount_setattr(fd, "", AT_EMPTY_PATH | more, {MOUNT_ATTR_IDMAP, userns_fd}). */
export function mountSetIdmap(fd: number, usernsFd: number, flags: number): void {
  const attr = Buffer.alloc(32)
  attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_IDMAP), 0)
  attr.writeBigUInt64LE(BigInt(usernsFd), 24)
  const r = Number(syscall_(SYS.mount_setattr, 'int', fd, 'const char *', '', 'unsigned int', AT_EMPTY_PATH | flags, 'void *', attr, 'size_t', 32))
  if (r === -1) throw new SyscallError('mount_setattr', lastErrno(), 'MOUNT_ATTR_IDMAP')
}

/** move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH): attach a detached mount at target. */
export function moveMount(fd: number, target: string): void {
  check(Number(syscall_(SYS.move_mount, 'int', fd, 'const char *', '', 'int', AT_FDCWD, 'const char *', target, 'unsigned int', MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS)), 'move_mount', target)
}

export function mkdirat(dirfd: number, path: string, mode: number): void {
  check(mkdirat_(dirfd, path, mode) as number, 'mkdirat', path)
}

/** chdir for the calling thread only (Node's process.chdir would also update Node's cached cwd). */
export function fchdir(fd: number): void {
  check(fchdir_(fd) as number, 'fchdir')
}

export function chdir(path: string): void {
  check(chdir_(path) as number, 'chdir', path)
}

const statvfs_ = libc.func('int statvfs(const char *path, _Out_ uint8_t *buf)')

// statvfs's ST_* flags and the MS_* mount flags they stand for (equal values, except relatime).
const ST_TO_MS: [number, number][] = [
  [1, MS_RDONLY], // ST_RDONLY
  [2, MS_NOSUID], // ST_NOSUID
  [4, MS_NODEV], // ST_NODEV
  [8, MS_NOEXEC], // ST_NOEXEC
  [16, MS_SYNCHRONOUS], // ST_SYNCHRONOUS
  [64, MS_MANDLOCK], // ST_MANDLOCK
  [1024, MS_NOATIME], // ST_NOATIME
  [2048, MS_NODIRATIME], // ST_NODIRATIME
  [4096, MS_RELATIME], // ST_RELATIME
]

/** The mount flags (MS_*) of the mount `path` is on, from statvfs's f_flag. */
export function mountFlagsOf(path: string): number {
  const buf = Buffer.alloc(112) // struct statvfs on LP64: f_flag is the 10th 8-byte field
  check(statvfs_(path, buf) as number, 'statvfs', path)
  const st = Number(buf.readBigUInt64LE(72))
  return ST_TO_MS.reduce((ms, [stBit, msBit]) => (st & stBit ? ms | msBit : ms), 0)
}
