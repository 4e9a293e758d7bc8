// A NETLINK_ROUTE socket (rtnetlink(7)): how `ip` itself talks to the kernel. Raw bindings only:
// src/sys/netlink.ts builds the messages. rtnetlink handles a request inside the sender's
// sendmsg(2) (the work is done, and the answer queued, by the time send returns), so a blocking
// send then recv is one round trip with no waiting on anything but the kernel's own work.
import { check, libc } from './libc.js'
import { socket } from './net.js'

export { closeFd } from './net.js'

export const AF_NETLINK = 16
export const SOCK_RAW = 3
export const SOCK_CLOEXEC = 0o2000000
export const NETLINK_ROUTE = 0
const SOL_NETLINK = 270
const NETLINK_EXT_ACK = 11

const send_ = libc.func('long send(int fd, const uint8_t *buf, size_t len, int flags)')
const recv_ = libc.func('long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)')
const setsockopt_ = libc.func('int setsockopt(int fd, int level, int name, const int *value, uint32_t len)')

/** A route netlink socket in the calling thread's network namespace (it keeps that namespace for life). */
export function openRoute(): number {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, 'socket(AF_NETLINK)')
  // Extended acks: the kernel adds its own words to an error ("Device does not exist"); best effort.
  setsockopt_(fd, SOL_NETLINK, NETLINK_EXT_ACK, [1], 4)
  return fd
}

export function send(fd: number, msg: Buffer): void {
  check(Number(send_(fd, msg, msg.length, 0)), 'send(AF_NETLINK)')
}

/** One datagram (one or more netlink messages); at most `size` bytes. */
export function recv(fd: number, size = 32768): Buffer {
  const buf = Buffer.alloc(size)
  const n = check(Number(recv_(fd, buf, size, 0)), 'recv(AF_NETLINK)')
  return buf.subarray(0, n)
}
