// Pseudo-terminals for `exec -t` through the engine: posix_openpt(3) and friends, and the
// TIOCSWINSZ ioctl that sets a terminal's window size. Raw bindings; src/sys/pty.ts traces them.
import { check, libc, SyscallError } from './libc.js'

const O_RDWR = 0o2
const O_NOCTTY = 0o400
const O_CLOEXEC = 0o2000000
export const TIOCSWINSZ = 0x5414
/** Linux 4.13+: an fd for a master's slave without looking its path up (ioctl_tty(2)). */
export const TIOCGPTPEER = 0x5441

const posix_openpt_ = libc.func('int posix_openpt(int flags)')
const grantpt_ = libc.func('int grantpt(int fd)')
const unlockpt_ = libc.func('int unlockpt(int fd)')
const ptsname_r_ = libc.func('int ptsname_r(int fd, _Out_ char *buf, size_t buflen)')
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, ...)')

/** A new pty master (not our controlling terminal, closed on exec) and its slave's path. */
export function openPtyMaster(): { master: number; slavePath: string } {
  const master = check(posix_openpt_(O_RDWR | O_NOCTTY | O_CLOEXEC) as number, 'posix_openpt')
  check(grantpt_(master) as number, 'grantpt')
  check(unlockpt_(master) as number, 'unlockpt')
  const buf = Buffer.alloc(128)
  const rc = ptsname_r_(master, buf, buf.length) as number
  // ptsname_r returns the errno instead of setting it.
  if (rc !== 0) throw new SyscallError('ptsname_r', rc)
  return { master, slavePath: buf.subarray(0, buf.indexOf(0)).toString() }
}

/** struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; } */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0])
  check(ioctl_(fd, TIOCSWINSZ, 'uint16_t *', ws) as number, 'ioctl(TIOCSWINSZ)')
}

/** unlockpt(3) on a master opened some other way (a container's own /dev/pts/ptmx). */
export function unlockPty(master: number): void {
  check(unlockpt_(master) as number, 'unlockpt')
}

/** The slave of `master`, opened through the master itself: O_RDWR|O_NOCTTY|O_CLOEXEC. */
export function openPeer(master: number): number {
  return check(ioctl_(master, TIOCGPTPEER, 'int', O_RDWR | O_NOCTTY | O_CLOEXEC) as number, 'ioctl(TIOCGPTPEER)')
}
