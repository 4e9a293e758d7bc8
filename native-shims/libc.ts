// The boundary with native code: koffi loads libc once; each concern declares its own functions in
// its own file here (fs.ts, ns.ts, ...). Nothing outside native-shims/ calls koffi directly.
// koffi gets errno right per call (koffi.errno()), passes null as NULL and string arrays
// NULL-terminated, which is what execve and friends need.
import koffi from 'koffi'
import { constants as osConstants } from 'node:os'
import { codeOf, TockerError } from '../src/errors.js'

export const libc = koffi.load('libc.so.6')
export { koffi }

const ERRNO_NAMES: Record<number, string> = {}
for (const [name, num] of Object.entries(osConstants.errno)) ERRNO_NAMES[num as number] = name

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`
}

export function lastErrno(): number {
  return koffi.errno()
}

const strerror = libc.func('const char *strerror(int errnum)')

/**
 * The kernel's errno from a failed libc call: a TockerError shaped like Node's own errors (code =
 * "EPERM", errno, syscall, path). Internal: the layer above says what it was doing, with this as
 * the cause.
 */
export class SyscallError extends TockerError {
  readonly errno: number
  readonly syscall: string
  readonly path?: string

  constructor(syscall: string, errno: number, path?: string) {
    const code = errnoName(errno)
    super(`${syscall}${path ? ` ${path}` : ''}: ${code} (${strerror(errno) as string})`, { code: codeOf({ code }, 'EIO'), internal: true })
    this.name = 'SyscallError'
    this.errno = errno
    this.syscall = syscall
    this.path = path
  }
}

/** Throw a SyscallError when a libc call returned -1. Returns the value otherwise. */
export function check<T extends number | bigint>(ret: T, syscall: string, path?: string): T {
  if (Number(ret) === -1) throw new SyscallError(syscall, koffi.errno(), path)
  return ret
}
