// memfd_create(2) and file seals (Linux 3.17): a file that lives only in memory and that, once
// sealed, nobody can change any more, not even its creator. The runtime runs its shim from such a
// copy (src/sys/memfd.ts, native-shims/shim/sealed.c say why). Raw bindings; src/sys/memfd.ts
// traces them.
import { check, lastErrno, libc } from './libc.js'

export const MFD_CLOEXEC = 0x1
export const MFD_ALLOW_SEALING = 0x2
/** Linux 6.3+: executable even where vm.memfd_noexec asks for MFD_NOEXEC_SEAL by default. */
export const MFD_EXEC = 0x10
const EINVAL = 22

const F_DUPFD_CLOEXEC = 1030
const F_ADD_SEALS = 1033
const F_GET_SEALS = 1034
export const F_SEAL_SEAL = 0x1
export const F_SEAL_SHRINK = 0x2
export const F_SEAL_GROW = 0x4
export const F_SEAL_WRITE = 0x8

const memfd_create_ = libc.func('int memfd_create(const char *name, unsigned int flags)')
const fcntl_ = libc.func('int fcntl(int fd, int cmd, ...)')

/** memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC), without MFD_EXEC on kernels before 6.3. */
export function memfdCreate(name: string): number {
  const flags = MFD_CLOEXEC | MFD_ALLOW_SEALING
  const fd = memfd_create_(name, flags | MFD_EXEC) as number
  if (fd >= 0) return fd
  if (lastErrno() !== EINVAL) check(fd, 'memfd_create', name)
  return check(memfd_create_(name, flags) as number, 'memfd_create', name)
}

export function addSeals(fd: number, seals: number): void {
  check(fcntl_(fd, F_ADD_SEALS, 'int', seals) as number, 'fcntl(F_ADD_SEALS)')
}

/** The seals of a memfd (F_GET_SEALS); EINVAL for any other file. */
export function getSeals(fd: number): number {
  return check(fcntl_(fd, F_GET_SEALS, 'int', 0) as number, 'fcntl(F_GET_SEALS)')
}

/** A close-on-exec copy of `fd` numbered `min` or above. */
export function dupAbove(fd: number, min: number): number {
  return check(fcntl_(fd, F_DUPFD_CLOEXEC, 'int', min) as number, 'fcntl(F_DUPFD_CLOEXEC)')
}
