// The boundary with native code: koffi loads libc once; each concern declares its own functions in
// its own file here (fs.ts, ns.ts, ...). Nothing outside native-shims/ calls koffi directly.
// koffi gets errno right per call (koffi.errno()), passes null as NULL and string arrays
// NULL-terminated, which is what execve and friends need.
import koffi from 'koffi'
import { constants as osConstants } from 'node:os'

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

/** An error from a failed libc call, shaped like Node's own (code = "EPERM", errno, syscall, path). */
export class SyscallError extends Error {
  readonly code: string
  readonly errno: number
  readonly syscall: string
  readonly path?: string

  constructor(syscall: string, errno: number, path?: string) {
    const code = errnoName(errno)
    super(`${syscall}${path ? ` ${path}` : ''}: ${code} (${strerror(errno) as string})`)
    this.name = 'SyscallError'
    this.code = code
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
