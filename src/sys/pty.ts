// Traced pseudo-terminal calls (native-shims/pty.ts). `exec -t`'s pty comes from the container's
// own devpts, opened by the exec'd process (runtime/exec.ts, ExecOptions.terminal); the engine
// keeps its master and sets the window size on it.
import * as native from '../../native-shims/pty.js'
import { traced } from '../trace/trace.js'

export function setWindowSize(fd: number, rows: number, cols: number): void {
  traced('syscall', 'ioctl', () => `${fd}, TIOCSWINSZ, {rows ${rows}, cols ${cols}}`, () => native.setWindowSize(fd, rows, cols))
}
