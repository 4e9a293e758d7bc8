// Sockets made by hand: socket(2), bind(2), listen(2), getsockname(2). Node makes its sockets in
// whatever network namespace its libuv thread is in when the bind finally happens (after a trip
// through the event loop), so a socket that must live in *another* namespace (the DNS responder's
// 127.0.0.11 inside a container) is made here, synchronously, while the main thread is in that
// namespace, then handed to Node by its fd. Raw bindings; src/sys/net.ts traces them.
import { TockerError } from '../src/errors.js'
import { check, libc } from './libc.js'

export const AF_INET = 2
export const SOCK_STREAM = 1
export const SOCK_DGRAM = 2
export const SOCK_NONBLOCK = 0o4000
export const SOCK_CLOEXEC = 0o2000000

const socket_ = libc.func('int socket(int domain, int type, int protocol)')
const bind_ = libc.func('int bind(int fd, const void *addr, uint32_t len)')
const listen_ = libc.func('int listen(int fd, int backlog)')
const getsockname_ = libc.func('int getsockname(int fd, _Inout_ uint8_t *addr, _Inout_ uint32_t *len)')
const close_ = libc.func('int close(int fd)')

/** struct sockaddr_in: family, port and address in network byte order, 8 bytes of zero. */
function sockaddrIn(ipv4: string, port: number): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt16LE(AF_INET, 0)
  b.writeUInt16BE(port, 2)
  ipv4.split('.').forEach((o, i) => b.writeUInt8(Number(o), 4 + i))
  return b
}

export function socket(domain: number, type: number, protocol = 0, what = 'socket'): number {
  return check(socket_(domain, type, protocol) as number, what)
}

export function bindInet(fd: number, ipv4: string, port: number): void {
  const addr = sockaddrIn(ipv4, port)
  check(bind_(fd, addr, addr.length) as number, 'bind')
}

export function listen(fd: number, backlog: number): void {
  check(listen_(fd, backlog) as number, 'listen')
}

/** The port the kernel gave a socket bound to port 0. */
export function boundPort(fd: number): number {
  const addr = Buffer.alloc(16)
  const len = [16]
  check(getsockname_(fd, addr, len) as number, 'getsockname')
  return addr.readUInt16BE(2)
}

export function closeFd(fd: number): void {
  close_(fd)
}

// An interface's flags through the SIOCGIFFLAGS ioctl (netdevice(7)) on a datagram socket: does
// a link exist, without starting a process (setting flags goes over rtnetlink: sys/netlink.ts).
// The interface an ioctl names is looked up in the socket's network namespace.
export const SIOCGIFFLAGS = 0x8913
/** struct ifreq: char ifr_name[IFNAMSIZ = 16], then a 24-byte union whose first member is short ifr_flags. */
const IFREQ_SIZE = 40
const IFNAMSIZ = 16

const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, ...)')

function ifreq(name: string): Buffer {
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new TockerError(`interface name too long: ${name}`, { code: 'EINVAL', internal: true })
  const req = Buffer.alloc(IFREQ_SIZE)
  req.write(name, 0, 'utf8')
  return req
}

export function getLinkFlags(fd: number, name: string): number {
  const req = ifreq(name)
  check(ioctl_(fd, SIOCGIFFLAGS, 'uint8_t *', req) as number, 'ioctl(SIOCGIFFLAGS)', name)
  return req.readUInt16LE(IFNAMSIZ)
}
