// Processes and their channels: socketpair(2) (Node makes only stream sockets, the shim protocol
// needs SOCK_SEQPACKET), fcntl(2) for close-on-exec, and pidfd-free liveness helpers.
// Raw bindings; src/sys/proc.ts traces them.
import { closeSync } from 'node:fs'
import { check, koffi, libc } from './libc.js'

export const AF_UNIX = 1
export const SOCK_STREAM = 1
export const SOCK_SEQPACKET = 5
export const SOCK_CLOEXEC = 0o2000000

const F_GETFD = 1
const F_SETFD = 2
const FD_CLOEXEC = 1

const socketpair_ = libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)')
const fcntl_ = libc.func('int fcntl(int fd, int cmd, ...)')

/** A connected pair of sockets; [ours, theirs]. */
export function socketpair(type: number): [number, number] {
  const sv = [0, 0]
  check(socketpair_(AF_UNIX, type, 0, sv) as number, 'socketpair')
  return [sv[0], sv[1]]
}

export function setCloexec(fd: number, on: boolean): void {
  const flags = check(fcntl_(fd, F_GETFD, 'int', 0) as number, 'fcntl')
  check(fcntl_(fd, F_SETFD, 'int', on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) as number, 'fcntl')
}

const MSG_DONTWAIT = 0x40
const MSG_CMSG_CLOEXEC = 0x40000000
const SOL_SOCKET = 1
const SCM_RIGHTS = 1
const EAGAIN = 11

koffi.struct('tocker_iovec', { base: 'void *', len: 'size_t' })
koffi.struct('tocker_msghdr', { name: 'void *', namelen: 'uint32_t', iov: 'tocker_iovec *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int' })
const recvmsg_ = libc.func('long recvmsg(int fd, _Inout_ tocker_msghdr *msg, int flags)')

/**
 * One message on `sock` without waiting (MSG_DONTWAIT), and the fd it carries (SCM_RIGHTS, made
 * close-on-exec as it arrives): 'empty' when nothing is queued, 'eof' when the other side is
 * gone, undefined for a message without an fd (any extra fds in it are closed).
 */
export function recvFd(sock: number): number | 'empty' | 'eof' | undefined {
  const body = Buffer.alloc(256)
  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } + room for a few ints.
  const control = Buffer.alloc(64)
  const msg = { name: null, namelen: 0, iov: [{ base: body, len: body.length }], iovlen: 1, control, controllen: control.length, flags: 0 }
  const n = Number(recvmsg_(sock, msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC))
  if (n < 0) {
    if (koffi.errno() === EAGAIN) return 'empty'
    check(n, 'recvmsg')
  }
  const fds: number[] = []
  let at = 0
  const controlLen = Number(msg.controllen)
  while (at + 16 <= controlLen) {
    const len = Number(control.readBigUInt64LE(at))
    if (len < 16 || at + len > controlLen) break
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SCM_RIGHTS) {
      for (let p = at + 16; p + 4 <= at + len; p += 4) fds.push(control.readInt32LE(p))
    }
    at += (len + 7) & ~7
  }
  if (n === 0 && fds.length === 0) return 'eof'
  const [fd, ...extra] = fds
  for (const e of extra) closeSync(e)
  return fd
}

// pidfd_open(2) (Linux 5.3): the same number on every architecture (it came after their tables
// were unified). glibc has a wrapper only since 2.36: through syscall(2).
const SYS_PIDFD_OPEN = 434
const syscall_ = libc.func('long syscall(long nr, ...)')
const eventfd_ = libc.func('int eventfd(unsigned int initval, int flags)')
const poll_ = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)')

export const EFD_CLOEXEC = 0o2000000
export const EFD_NONBLOCK = 0o4000
export const POLLIN = 1

/** A pidfd for `pid` (close-on-exec; the kernel always sets it). */
export function pidfdOpen(pid: number): number {
  return Number(check(Number(syscall_(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0)), 'pidfd_open'))
}

export function eventfd(flags: number): number {
  return check(eventfd_(0, flags) as number, 'eventfd')
}

/**
 * poll(2) on one of libuv's pool threads (koffi's asynchronous call): the event loop goes on and
 * `done` gets poll's result. `fds` holds struct pollfd entries (int fd, short events, short
 * revents: 8 bytes each); the kernel fills in revents. The pool thread is held until then.
 */
export function pollOnPool(fds: Buffer, timeoutMs: number, done: (err: Error | null, ready: number) => void): void {
  poll_.async(fds, fds.length / 8, timeoutMs, done)
}
