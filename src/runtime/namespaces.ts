// Namespaces from Node's main thread.
//
// Surprise 1: namespaces belong to *threads*. unshare()/setns() from JavaScript move only Node's
// main thread; libuv's threadpool (which runs every async fs call) stays where it was. So the
// runtime enters the container's namespaces, does only synchronous work, and setns()es back to
// the namespaces it saved, in a `finally`. The threadpool must exist before the first unshare
// (warmThreadpool), or threads born later would be born inside the container's namespaces.
//
// Surprise 2: setns() into a mount namespace needs a thread that does not share its filesystem
// context (root, cwd, umask) with other threads: unshare(CLONE_FS) first (unshare(CLONE_NEWNS)
// does it implicitly). And setns(mnt) moves the thread's root and cwd to the namespace's root,
// so the cwd is saved as an fd and restored with fchdir.
//
// Surprise 3: CLONE_NEWPID and CLONE_NEWUSER are not done here. A new PID namespace only
// applies to the caller's future children (the shim forks PID 1); user namespaces are refused
// to multi-threaded processes, which Node always is.
import { closeSync, openSync, promises as fsp, statSync } from 'node:fs'
import { TockerError } from '../errors.js'
import * as sys from '../sys/ns.js'
import { fchdir, O_DIRECTORY, O_PATH } from '../sys/mount.js'
import type { Namespace, NamespaceType } from './spec.js'

/** Each namespace type: its clone flag and its file name in /proc/<pid>/ns/. */
export const NAMESPACES: Record<NamespaceType, { flag: number; file: string }> = {
  mount: { flag: sys.CLONE_NEWNS, file: 'mnt' },
  uts: { flag: sys.CLONE_NEWUTS, file: 'uts' },
  ipc: { flag: sys.CLONE_NEWIPC, file: 'ipc' },
  network: { flag: sys.CLONE_NEWNET, file: 'net' },
  pid: { flag: sys.CLONE_NEWPID, file: 'pid' },
  cgroup: { flag: sys.CLONE_NEWCGROUP, file: 'cgroup' },
  user: { flag: sys.CLONE_NEWUSER, file: 'user' },
  time: { flag: sys.CLONE_NEWTIME, file: 'time' },
}

let threadpoolStarted = false

/** Start libuv's threadpool (all its threads at once) while the main thread is still on the host. */
export async function warmThreadpool(): Promise<void> {
  if (threadpoolStarted) return
  await fsp.access('/')
  threadpoolStarted = true
}

export interface SavedNamespaces {
  fds: { type: NamespaceType; fd: number }[]
  cwd: number
}

/** Open the main thread's current namespaces of the given types (and its cwd) to come back later. */
export function saveNamespaces(types: NamespaceType[]): SavedNamespaces {
  const saved: SavedNamespaces = { fds: [], cwd: openSync('.', O_PATH | O_DIRECTORY) }
  try {
    for (const type of types) saved.fds.push({ type, fd: openSync(`/proc/thread-self/ns/${NAMESPACES[type].file}`, 'r') })
  } catch (err) {
    closeSaved(saved)
    throw err
  }
  return saved
}

/** Go back to the saved namespaces (mount last, then the cwd). Throws only if the thread cannot return. */
export function restoreNamespaces(saved: SavedNamespaces): void {
  const order = [...saved.fds].sort((a, b) => (a.type === 'mount' ? 1 : 0) - (b.type === 'mount' ? 1 : 0))
  try {
    for (const { type, fd } of order) sys.setns(fd, NAMESPACES[type].flag, `saved ${NAMESPACES[type].file} ns`)
    fchdir(saved.cwd, 'saved cwd')
  } finally {
    closeSaved(saved)
  }
}

function closeSaved(saved: SavedNamespaces): void {
  for (const { fd } of saved.fds) closeSync(fd)
  closeSync(saved.cwd)
}

/**
 * Put the main thread into the namespaces of `list` that are its own to make or join (not pid,
 * not cgroup: see the top of this file and gate.c): join those with a path, unshare the rest in
 * one call. Returns the clone flags of the namespaces made new.
 */
export function enterNamespaces(list: Namespace[]): number {
  let unshareFlags = 0
  for (const ns of list) {
    // pid, time: they apply to the children of whoever makes or joins them: the shim does.
    // cgroup: the gate does (see gate.c). user: see userns.ts.
    if (ns.type === 'pid' || ns.type === 'cgroup' || ns.type === 'time' || ns.type === 'user') continue
    if (ns.path) joinNamespace(ns.type, ns.path)
    else unshareFlags |= NAMESPACES[ns.type].flag
  }
  if (unshareFlags) sys.unshare(unshareFlags)
  return unshareFlags
}

/** setns into the namespace at `path` (e.g. /proc/123/ns/net); `what` names it in the trace. */
export function joinNamespace(type: NamespaceType, path: string, what = path): void {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw new TockerError(`cannot open ${type} namespace ${path}: ${(err as Error).message}`, { code: 'EINVALID', cause: err })
  }
  try {
    if (type === 'mount') sys.unshare(sys.CLONE_FS)
    sys.setns(fd, NAMESPACES[type].flag, what)
  } finally {
    closeSync(fd)
  }
}

/**
 * Is the container's namespace of this type its own: a new one, or one joined by path that is not
 * the runtime's (the host's) own? (runc refuses a hostname or namespaced sysctls otherwise.)
 */
export function privateNamespace(list: Namespace[] | undefined, type: NamespaceType): boolean {
  const ns = namespaceOf(list, type)
  if (!ns) return false
  if (!ns.path) return true
  try {
    const a = statSync(ns.path)
    const b = statSync(`/proc/self/ns/${NAMESPACES[type].file}`)
    return a.ino !== b.ino || a.dev !== b.dev
  } catch (err) {
    throw new TockerError(`cannot open ${type} namespace ${ns.path}: ${(err as Error).message}`, { code: 'EINVALID', cause: err })
  }
}

export function namespaceOf(list: Namespace[] | undefined, type: NamespaceType): Namespace | undefined {
  return list?.find((n) => n.type === type)
}
