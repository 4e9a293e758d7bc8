// Traced file-system calls that Node's `fs` lacks: what the rest of src/ uses for special files,
// extended attributes and flock. Each call shows up in `tocker --explain` with its flags decoded.
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

/** An xattr value for humans: text when it is text, hex otherwise. */
function printable(value: Buffer): string {
  return /^[\x20-\x7e]*$/.test(value.toString('latin1')) ? JSON.stringify(value.toString('latin1')) : `0x${value.toString('hex')}`
}
