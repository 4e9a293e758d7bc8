// Traced pseudo-terminal calls (native-shims/pty.ts): `exec -t` gets a pty whose master the engine
// keeps (it carries the process's terminal I/O) and whose slave becomes the process's stdio.
import { TockerError } from '../errors.js'
import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs'
import * as native from '../../native-shims/pty.js'
import { traced } from '../trace/trace.js'

export interface Pty {
  master: number
  slave: number
  slavePath: string
}

export function openPty(): Pty {
  const { master, slavePath } = traced('syscall', 'posix_openpt', () => 'O_RDWR|O_NOCTTY|O_CLOEXEC (+grantpt, unlockpt, ptsname_r)', native.openPtyMaster, (r) => `fd ${r.master}, ${r.slavePath}`)
  try {
    // O_NOCTTY: the slave must become the *exec'd process's* controlling terminal, never ours.
    const slave = openSync(slavePath, constants.O_RDWR | constants.O_NOCTTY)
    return { master, slave, slavePath }
  } catch (err) {
    closeSync(master)
    throw err
  }
}

/**
 * A pty of another devpts instance (a container's), from an O_PATH fd of its ptmx node: reopened
 * read-write through /proc/self/fd (so no path is looked up again), checked to be a ptmx (5:2),
 * unlocked; the slave comes from TIOCGPTPEER. Inside the container the slave is /dev/pts/N.
 */
export function openPtyFromPtmx(ptmxPathFd: number, shown: string): Pty {
  // Checked on the O_PATH fd first: the container decides what is at that path, and opening a
  // FIFO or some other device from the engine could block it or do what that device does on open.
  if (!isPtmx(fstatSync(ptmxPathFd))) throw new TockerError(`${shown} is not a ptmx device`, { code: 'ENOTPTMX', internal: true })
  const master = traced('syscall', 'open', () => `${shown}, O_RDWR|O_NOCTTY`, () => openSync(`/proc/self/fd/${ptmxPathFd}`, constants.O_RDWR | constants.O_NOCTTY), (fd) => `fd ${fd}`)
  try {
    if (!isPtmx(fstatSync(master))) throw new TockerError(`${shown} is not a ptmx device`, { code: 'ENOTPTMX', internal: true })
    native.unlockPty(master)
    const slave = traced('syscall', 'ioctl', () => `${master}, TIOCGPTPEER, O_RDWR|O_NOCTTY|O_CLOEXEC`, () => native.openPeer(master), (fd) => `fd ${fd}`)
    return { master, slave, slavePath: '' }
  } catch (err) {
    closeSync(master)
    throw err
  }
}

function isPtmx(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === ((5 << 8) | 2)
}

export function setWindowSize(fd: number, rows: number, cols: number): void {
  traced('syscall', 'ioctl', () => `${fd}, TIOCSWINSZ, {rows ${rows}, cols ${cols}}`, () => native.setWindowSize(fd, rows, cols))
}
