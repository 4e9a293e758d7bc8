// Waiting, without polling, for processes that are not our children to end (a container's shim:
// it daemonized, so neither SIGCHLD nor waitpid(2) reach us). A pidfd (pidfd_open(2), Linux 5.3)
// turns readable once its process has exited whole: in do_exit the kernel first closes the
// process's files (so a socket it held reads end of file before that), then drops its namespaces
// (the last process of a mount namespace unmounts everything in it there, and an overlay's unmount
// syncs its upper file system first), and only then, in exit_notify, marks it a zombie and wakes
// the pidfd's readers. That is the moment runtime delete waits for.
//
// The event loop cannot watch a pidfd itself: libuv takes sockets, pipes, ttys and files, and
// Node refuses any other fd ("Unsupported fd type: UNKNOWN"). So poll(2) waits on one of libuv's
// pool threads, for every pidfd waited on at that time, plus an eventfd that wakes it when the
// set changes. One pool thread at most: one per wait could hold all four (every async fs call of
// the engine) while many containers end at once on a busy disk.
import { closeSync, readSync, writeSync } from 'node:fs'
import { constants } from 'node:os'
import * as native from '../../native-shims/proc.js'
import type { SyscallError } from '../../native-shims/libc.js'
import { isSameProcess, type ProcessIdentity } from './proc-stat.js'

const { ESRCH, ENOSYS, EPERM } = constants.errno
/** How long one poll(2) holds its pool thread at most (a wait goes on in the next one). */
const POLL_MS = 1000

interface Waiter {
  fd: number
  /** true: it has ended; false: this way of waiting failed (the caller looks by itself). */
  ended: (ok: boolean) => void
  /** Out of the set (ended, or given up): its fd is closed once no poll(2) holds it any more. */
  dropped: boolean
}

const waiters = new Set<Waiter>()
let wake = -1
let polling = false

/**
 * Resolves true once every process in `procs` has ended (those already gone count at once),
 * false after `timeoutMs`; 'unsupported' when this kernel (or a seccomp filter) has no
 * pidfd_open, or the wait could not be made: the caller then looks by itself.
 */
export async function whenEnded(procs: ProcessIdentity[], timeoutMs: number): Promise<boolean | 'unsupported'> {
  const fds: number[] = []
  for (const p of procs) {
    if (!isSameProcess(p)) continue // gone already (or a zombie)
    let fd: number
    try {
      fd = native.pidfdOpen(p.pid)
    } catch (err) {
      const errno = (err as SyscallError).errno
      if (errno === ESRCH) continue // gone (and reaped) since
      for (const f of fds) closeSync(f)
      if (errno === ENOSYS || errno === EPERM) return 'unsupported'
      throw err
    }
    // The pidfd names the process that has this PID now: ours, or a later one that got the PID
    // after ours ended (then ours is gone). Checked again after the open, which pins the process.
    if (!isSameProcess(p)) {
      closeSync(fd)
      continue
    }
    fds.push(fd)
  }
  if (fds.length === 0) return true
  const mine = fds.map((fd): Waiter => ({ fd, ended: () => {}, dropped: false }))
  const all = Promise.all(mine.map((w) => new Promise<boolean>((resolve) => (w.ended = resolve))))
  for (const w of mine) waiters.add(w)
  if (polling) wakePoll()
  else poll()
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
  const result = await Promise.race([all.then((oks) => (oks.every(Boolean) ? true : 'unsupported' as const)), timedOut])
  clearTimeout(timer)
  if (result === false) {
    for (const w of mine) drop(w)
    if (polling) wakePoll()
  }
  return result
}

function poll(): void {
  for (const w of waiters) {
    if (w.dropped) {
      waiters.delete(w)
      closeSync(w.fd)
    }
  }
  if (waiters.size === 0) return
  if (wake < 0) wake = native.eventfd(native.EFD_CLOEXEC | native.EFD_NONBLOCK)
  const list = [...waiters]
  const fds = Buffer.alloc(8 * (list.length + 1))
  fds.writeInt32LE(wake, 0)
  fds.writeInt16LE(native.POLLIN, 4)
  list.forEach((w, i) => {
    fds.writeInt32LE(w.fd, 8 * (i + 1))
    fds.writeInt16LE(native.POLLIN, 8 * (i + 1) + 4)
  })
  polling = true
  native.pollOnPool(fds, POLL_MS, (err) => {
    polling = false
    if (err) {
      // Not the kernel's answer (koffi could not make the call): none of these can be waited on.
      for (const w of list) {
        drop(w)
        w.ended(false)
      }
      return
    }
    if (fds.readInt16LE(6) !== 0) drainWake()
    list.forEach((w, i) => {
      // revents: POLLIN (it has ended), or POLLNVAL/POLLERR; either way there is nothing left to wait for.
      if (!w.dropped && fds.readInt16LE(8 * (i + 1) + 6) !== 0) {
        drop(w)
        w.ended(true)
      }
    })
    poll()
  })
}

/** Out of the set; its fd is closed now, or by the next poll() while one holds it. */
function drop(w: Waiter): void {
  w.dropped = true
  if (!polling && waiters.delete(w)) closeSync(w.fd)
}

function wakePoll(): void {
  const one = Buffer.alloc(8)
  one.writeBigUInt64LE(1n)
  writeSync(wake, one)
}

function drainWake(): void {
  try {
    readSync(wake, Buffer.alloc(8))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
  }
}
