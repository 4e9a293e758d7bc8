// Traced file-system calls that Node's `fs` lacks: what the rest of src/ uses for special files,
// extended attributes and flock. Each call shows up in `tocker --explain` with its flags decoded.
import { closeSync, constants as fsc, openSync } from 'node:fs'
import * as native from '../../native-shims/fs.js'
import { decodeFlags, traced } from '../trace/trace.js'
import { syscalls } from './syscalls.js'

export { LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT } from '../../native-shims/fs.js'

/** "S_IFCHR|0644" for a st_mode value (file types are a number in S_IFMT, not independent bits). */
export function describeMode(mode: number): string {
  const type = Object.entries(native.FILE_TYPES).find(([, v]) => (mode & native.S_IFMT) === v)?.[0] ?? '0'
  return `${type}|${(mode & 0o7777).toString(8).padStart(4, '0')}`
}

/**
 * Create a device node, fifo or (with major 0, minor 0) an overlayfs whiteout. A whiteout is a
 * character device numbered 0:0; when overlayfs finds one in a lower layer, the name it carries
 * disappears from the merged view.
 */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  traced('fs', 'mknod', () => `${path}, ${describeMode(mode)}, ${major}:${minor}`, () => syscalls().mknod(path, mode, major, minor))
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  traced('fs', 'lsetxattr', () => `${path}, ${name}=${printable(value)}`, () => native.lsetxattr(path, name, value))
}

export function lgetxattr(path: string, name: string): Buffer | undefined {
  return traced(
    'fs',
    'lgetxattr',
    () => `${path}, ${name}`,
    () => native.lgetxattr(path, name),
    (v) => (v === undefined ? 'ENODATA' : printable(v)),
  )
}

export function llistxattr(path: string): string[] {
  return traced('fs', 'llistxattr', () => path, () => native.llistxattr(path), (v) => v.join(', ') || '(none)')
}

/** flock(2) on an open fd; false when LOCK_NB was asked and another holder has it. */
export function flock(fd: number, operation: number, what?: string): boolean {
  return traced(
    'syscall',
    'flock',
    () => `${what ?? `fd ${fd}`}, ${decodeFlags(operation, native.FLOCK_OPS)}`,
    () => native.flock(fd, operation),
    (ok) => (ok ? 'ok' : 'EWOULDBLOCK (held by another process)'),
  )
}

/** errno codes of FS_IOC_GETFLAGS/SETFLAGS on a file system that has no such flag. */
const NO_INODE_FLAGS = new Set(['ENOTTY', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL', 'ENOSYS'])

/**
 * chattr +T on a directory whose subdirectories are unrelated trees (each a layer being unpacked):
 * ext2/3/4's Orlov allocator then places each new subdirectory, and the files under it, in the
 * block group with the fewest directories, as it does for directories of "/", instead of next to
 * their parent.
 *
 * Why it matters (measured on this machine's ext4 without a journal, kernel 6.18): to pick an inode
 * the kernel walks the group's free inodes from the start and skips every one freed "recently"
 * (fs/ext4/ialloc.c recently_deleted(): within 60 s, 360 s while its inode table block is not yet
 * written back), re-checking them for each new file. A directory next to others where thousands of
 * files were just deleted (any /tmp, any store that just removed an image) made 10,000 file creates
 * cost 1.7-3.8 s of system CPU instead of 0.26 s. With a journal the kernel does not skip them, and
 * the flag only spreads the layers over the disk.
 *
 * false (and nothing changed) where the file system has no such flag (tmpfs, xfs, btrfs, overlayfs).
 */
export function markTopDir(dir: string): boolean {
  return traced(
    'fs',
    'ioctl',
    () => `${dir}, FS_IOC_SETFLAGS, +FS_TOPDIR_FL (chattr +T: spread its subdirectories over the disk)`,
    () => {
      const fd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW)
      try {
        const flags = native.inodeFlags(fd, dir)
        if ((flags & native.FS_TOPDIR_FL) === 0) native.setInodeFlags(fd, flags | native.FS_TOPDIR_FL, dir)
        return true
      } catch (err) {
        if (NO_INODE_FLAGS.has((err as { code?: string }).code ?? '')) return false
        throw err
      } finally {
        closeSync(fd)
      }
    },
    (ok) => (ok ? 'ok' : 'not supported by this file system (nothing changed)'),
  )
}

/** An xattr value for humans: text when it is text, hex otherwise. */
function printable(value: Buffer): string {
  return /^[\x20-\x7e]*$/.test(value.toString('latin1')) ? JSON.stringify(value.toString('latin1')) : `0x${value.toString('hex')}`
}
