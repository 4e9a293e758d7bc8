// Traced namespace calls: every unshare/setns/sethostname shows up in `tocker --explain` with its
// flags decoded. They act on the calling thread only (see src/runtime/namespaces.ts).
import { closeSync, openSync, readlinkSync } from 'node:fs'
import * as native from '../../native-shims/ns.js'
import { decodeFlags, traced } from '../trace/trace.js'
import { syscalls } from './syscalls.js'

export { CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS } from '../../native-shims/ns.js'

export function describeCloneFlags(flags: number): string {
  return decodeFlags(flags, native.CLONE_FLAGS)
}

export function unshare(flags: number): void {
  traced('syscall', 'unshare', () => describeCloneFlags(flags), () => syscalls().unshare(flags))
}

/** setns(fd, nstype); `what` names the namespace for the trace (e.g. "/proc/123/ns/net"). */
export function setns(fd: number, nstype: number, what?: string): void {
  traced('syscall', 'setns', () => `${what ?? `fd ${fd}`}${describeTarget(fd)}, ${describeCloneFlags(nstype)}`, () => syscalls().setns(fd, nstype))
}

/**
 * `fn` run with the calling thread in the network namespace at `netnsPath` (/proc/<pid>/ns/net),
 * the thread back in its own before this returns, also when `fn` throws. setns(2) moves only the
 * calling thread: `fn` must be synchronous, so that no other JavaScript runs while the main thread
 * is away. A socket made inside keeps that namespace for its whole life. `purpose` is said in both
 * setns lines of the trace (the --explain phases place a visit by it).
 */
export function inNetns<T>(netnsPath: string, fn: () => T, purpose?: string): T {
  const target = openSync(netnsPath, 'r')
  const own = openSync('/proc/thread-self/ns/net', 'r')
  try {
    setns(target, native.CLONE_NEWNET, purpose ? `${netnsPath} (for ${purpose} there)` : netnsPath)
    try {
      return fn()
    } finally {
      setns(own, native.CLONE_NEWNET, purpose ? `the engine's own net ns (after ${purpose})` : "the engine's own net ns")
    }
  } finally {
    closeSync(target)
    closeSync(own)
  }
}

export function sethostname(name: string): void {
  traced('syscall', 'sethostname', () => JSON.stringify(name), () => syscalls().sethostname(name))
}

export function setdomainname(name: string): void {
  traced('syscall', 'setdomainname', () => JSON.stringify(name), () => syscalls().setdomainname(name))
}

function describeTarget(fd: number): string {
  try {
    return ` → ${readlinkSync(`/proc/self/fd/${fd}`)}` // e.g. net:[4026532281]
  } catch {
    return ''
  }
}
