// Traced process calls: the SOCK_SEQPACKET socketpair the runtime talks to its shim over, and kill(2).
import * as native from '../../native-shims/proc.js'
import { traced } from '../trace/trace.js'
import { signalName } from './signals.js'

export { SOCK_CLOEXEC, SOCK_SEQPACKET, SOCK_STREAM } from '../../native-shims/proc.js'

export function socketpair(type: number): [number, number] {
  return traced(
    'syscall',
    'socketpair',
    () => `AF_UNIX, ${type & 0xf}${type & native.SOCK_CLOEXEC ? '|SOCK_CLOEXEC' : ''}`.replace(/^AF_UNIX, 5/, 'AF_UNIX, SOCK_SEQPACKET').replace(/^AF_UNIX, 1/, 'AF_UNIX, SOCK_STREAM'),
    () => native.socketpair(type),
    ([a, b]) => `[${a}, ${b}]`,
  )
}

export function setCloexec(fd: number, on: boolean): void {
  native.setCloexec(fd, on)
}

/** kill(2), traced. Returns false when the process is already gone (ESRCH). */
export function kill(pid: number, signal: number): boolean {
  return traced(
    'syscall',
    'kill',
    () => `${pid}, ${signalName(signal)}`,
    () => {
      try {
        process.kill(pid, signal)
        return true
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
        throw err
      }
    },
    (sent) => (sent ? 'ok' : 'ESRCH (already gone)'),
  )
}
