// Pseudo-terminals for `exec -t` through the engine: the TIOCSWINSZ ioctl that sets a terminal's
// window size on the master the engine keeps. Raw binding; src/sys/pty.ts traces it.
import { check, libc } from './libc.js'

export const TIOCSWINSZ = 0x5414

const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, ...)')

/** struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; } */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0])
  check(ioctl_(fd, TIOCSWINSZ, 'uint16_t *', ws) as number, 'ioctl(TIOCSWINSZ)')
}
