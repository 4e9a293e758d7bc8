// poll(2) of one fd, without waiting. A file of its own, with no named koffi type: src/sys/mount-table.ts
// reaches the CLI's copy of the runtime's modules (through runtime/state.ts → cgroups), and the
// `tocker runtime` command then loads the runtime's bundle into the same process; a koffi.struct
// name (proc.ts's tocker_iovec) declared by both copies fails the second with "Duplicate type name".
import { check, libc } from './libc.js'

const poll_ = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)')

export const POLLPRI = 2
export const POLLERR = 8

/** poll(2) of `fd` for `events` with timeout 0: its revents. */
export function pollNow(fd: number, events: number): number {
  const buf = Buffer.alloc(8) // struct pollfd: int fd, short events, short revents
  buf.writeInt32LE(fd, 0)
  buf.writeInt16LE(events, 4)
  check(poll_(buf, 1, 0) as number, 'poll')
  return buf.readInt16LE(6)
}
