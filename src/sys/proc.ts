// Traced process calls: the SOCK_SEQPACKET socketpair the runtime talks to its shim over, and kill(2).
import * as native from '../../native-shims/proc.js'
import { TockerError } from '../errors.js'
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

/**
 * The fd sent (SCM_RIGHTS) on `sock`, which must already be queued: recvmsg without waiting, so the
 * caller's thread never blocks on a peer that sent nothing (it throws then).
 */
export function receiveFd(sock: number, what: string): number {
  const got = traced('syscall', 'recvmsg', () => `${sock}, MSG_DONTWAIT|MSG_CMSG_CLOEXEC (${what}, SCM_RIGHTS)`, () => native.recvFd(sock), (r) => (typeof r === 'number' ? `fd ${r}` : String(r)))
  if (typeof got === 'number') return got
  throw new TockerError(`${what} was not received (${got === undefined ? 'a message without an fd' : got === 'eof' ? 'the sender closed the socket' : 'nothing was sent'})`, { code: 'EPROTO', internal: true })
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
