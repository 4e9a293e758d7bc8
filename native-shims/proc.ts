// Processes and their channels: socketpair(2) (Node makes only stream sockets, the shim protocol
// needs SOCK_SEQPACKET), fcntl(2) for close-on-exec, and pidfd-free liveness helpers.
// Raw bindings; src/sys/proc.ts traces them.
import { check, libc } from './libc.js'

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
