// Sockets inside another network namespace (a container's), made synchronously while Node's main
// thread is in that namespace, then handed back as fds (see native-shims/net.ts for why). A socket
// keeps the namespace it was made in for its whole life: once the thread is back in its own
// namespace, Node's event loop serves it like any other.
//
// setns(2) moves only the calling thread (namespaces belong to threads: see runtime/namespaces.ts);
// between the two setns calls nothing here waits or yields, so no other JavaScript runs while the
// main thread is away.
import { SyscallError } from '../../native-shims/libc.js'
import * as native from '../../native-shims/net.js'
import { traced } from '../trace/trace.js'
import { inNetns } from './ns.js'

export interface BoundSockets {
  udp: { fd: number; port: number }
  tcp: { fd: number; port: number }
}

/**
 * A UDP and a listening TCP socket on `ip` (port 0: the kernel picks), made inside the network
 * namespace at `netnsPath` (/proc/<pid>/ns/net). Non-blocking, close-on-exec.
 */
export function socketsInNetns(netnsPath: string, ip: string): BoundSockets {
  const made: number[] = []
  const make = (type: number, proto: string) =>
    traced('syscall', 'socket', () => `AF_INET, ${proto}|SOCK_NONBLOCK|SOCK_CLOEXEC; bind ${ip}:0 (in ${netnsPath})`, () => {
      const fd = native.socket(native.AF_INET, type | native.SOCK_NONBLOCK | native.SOCK_CLOEXEC)
      made.push(fd)
      native.bindInet(fd, ip, 0)
      if (type === native.SOCK_STREAM) native.listen(fd, 64)
      return { fd, port: native.boundPort(fd) }
    }, (r) => `fd ${r.fd}, port ${r.port}`)
  try {
    return inNetns(netnsPath, () => ({ udp: make(native.SOCK_DGRAM, 'SOCK_DGRAM'), tcp: make(native.SOCK_STREAM, 'SOCK_STREAM') }))
  } catch (err) {
    for (const fd of made) native.closeFd(fd)
    throw err
  }
}

const ENODEV = 19

/**
 * Does the engine's own network namespace have a link named `name`? One SIOCGIFFLAGS ioctl on a
 * datagram socket made here (no process, no rtnl lock): ENODEV means no. Untraced: the caller
 * says what it asked and why.
 */
export function linkExists(name: string): boolean {
  const fd = native.socket(native.AF_INET, native.SOCK_DGRAM | native.SOCK_CLOEXEC)
  try {
    native.getLinkFlags(fd, name)
    return true
  } catch (err) {
    if (err instanceof SyscallError && err.errno === ENODEV) return false
    throw err
  } finally {
    native.closeFd(fd)
  }
}
