// File-system calls Node's `fs` module does not offer: mknod (whiteouts are 0/0 character devices,
// layers carry device nodes and fifos), the l*xattr family (overlayfs reads trusted.overlay.opaque,
// layers carry security.capability), and flock(2) (locks the kernel drops when the holder dies).
// Raw bindings only: src/sys/fs.ts wraps them with tracing and errors.
import { constants } from 'node:os'
import { check, lastErrno, libc, SyscallError } from './libc.js'

const E = constants.errno

// <sys/stat.h> file types, as in st_mode.
export const S_IFMT = 0o170000
export const S_IFSOCK = 0o140000
export const S_IFLNK = 0o120000
export const S_IFREG = 0o100000
export const S_IFBLK = 0o060000
export const S_IFDIR = 0o040000
export const S_IFCHR = 0o020000
export const S_IFIFO = 0o010000

export const FILE_TYPES: Record<string, number> = {
  S_IFSOCK,
  S_IFLNK,
  S_IFREG,
  S_IFBLK,
  S_IFDIR,
  S_IFCHR,
  S_IFIFO,
}

// <sys/file.h>
export const LOCK_SH = 1
export const LOCK_EX = 2
export const LOCK_NB = 4
export const LOCK_UN = 8
export const FLOCK_OPS: Record<string, number> = { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN }

// <sys/xattr.h>
export const XATTR_CREATE = 1
export const XATTR_REPLACE = 2

// <linux/fs.h>: inode flags, what chattr(1) sets and lsattr(1) shows. The kernel reads and writes an
// int although the ioctl numbers say "long".
export const FS_IOC_GETFLAGS = 0x80086601
export const FS_IOC_SETFLAGS = 0x40086602
/** chattr +T: "top of directory hierarchies" for the Orlov allocator of ext2/3/4. */
export const FS_TOPDIR_FL = 0x00020000

const mknod_ = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)')
const lsetxattr_ = libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)')
const lgetxattr_ = libc.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)')
const llistxattr_ = libc.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)')
const flock_ = libc.func('int flock(int fd, int operation)')
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, ...)')

/** glibc's makedev(): the 64-bit dev_t encoding of a (major, minor) pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major)
  const mi = BigInt(minor)
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn)
}

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(mknod_(path, mode, makedev(major, minor)) as number, 'mknod', path)
}

export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  check(lsetxattr_(path, name, value, value.length, flags) as number, 'lsetxattr', path)
}

/** The value of one extended attribute, or undefined when the file has none by that name (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (let size = 256;; size *= 4) {
    const buf = Buffer.alloc(size)
    const n = Number(lgetxattr_(path, name, buf, size))
    if (n >= 0) return buf.subarray(0, n)
    const errno = lastErrno()
    if (errno === E.ENODATA) return undefined
    if (errno === E.ERANGE && size < 1 << 20) continue
    throw new SyscallError('lgetxattr', errno, path)
  }
}

/** The names of a file's extended attributes (in every namespace the caller may see). */
export function llistxattr(path: string): string[] {
  const size = Number(check(llistxattr_(path, null, 0) as number, 'llistxattr', path))
  if (size === 0) return []
  const buf = Buffer.alloc(size)
  const n = Number(check(llistxattr_(path, buf, size) as number, 'llistxattr', path))
  return buf
    .subarray(0, n)
    .toString('latin1')
    .split('\0')
    .filter((s) => s.length > 0)
    .map((s) => Buffer.from(s, 'latin1').toString('utf8'))
}

/** flock(2). With LOCK_NB, returns false instead of blocking when someone else holds the lock. */
export function flock(fd: number, operation: number): boolean {
  if ((flock_(fd, operation) as number) === 0) return true
  const errno = lastErrno()
  if ((operation & LOCK_NB) !== 0 && errno === E.EWOULDBLOCK) return false
  throw new SyscallError('flock', errno)
}

/** FS_IOC_GETFLAGS: the inode flags of an open file (ENOTTY/EOPNOTSUPP where the file system has none). */
export function inodeFlags(fd: number, path?: string): number {
  const buf = Buffer.alloc(4)
  check(ioctl_(fd, FS_IOC_GETFLAGS, 'uint8_t *', buf) as number, 'ioctl(FS_IOC_GETFLAGS)', path)
  return buf.readInt32LE(0)
}

/** FS_IOC_SETFLAGS: set the inode flags of an open file (all of them: read them first). */
export function setInodeFlags(fd: number, flags: number, path?: string): void {
  const buf = Buffer.alloc(4)
  buf.writeInt32LE(flags | 0, 0)
  check(ioctl_(fd, FS_IOC_SETFLAGS, 'uint8_t *', buf) as number, 'ioctl(FS_IOC_SETFLAGS)', path)
}
