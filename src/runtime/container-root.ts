// Where `cp` and `export` find a container's files (the engine asks through its runtime backend): an O_PATH fd of the container's "/", which every
// path is then resolved against with openat2(RESOLVE_IN_ROOT) (engine/archive/in-root.ts), so that no
// symlink or ".." the container made can lead the engine out of it.
//
//   running   /proc/<pid>/root of its PID 1: the container's own root as its mount namespace has
//             it (the overlay with its volumes and bind mounts on top), as `docker cp` sees it.
//             The pid is checked to be the very process started (not a recycled pid) after the
//             open: the fd then pins that root whatever happens next.
//   mounted   the container does not run (or `export` wants the root without volumes): its overlay
//             is mounted for this copy alone, in a private mount namespace the engine's main thread
//             makes and leaves at once (unshare(CLONE_NEWNS), mount, open, setns back). Nobody else
//             ever sees that mount, and the namespace has no process: the open fd is all that holds
//             the overlay, so it goes when the copy closes its fd, even if the engine dies in
//             between (nothing to unmount, nothing to leak). Read-only copies stack the writable
//             layer as one more lower layer (an overlay with no upperdir is read-only, and can sit
//             beside a running container's own); a copy INTO a stopped container mounts the real
//             upperdir/workdir, so overlayfs itself makes the copy-ups and whiteouts that `diff`
//             and `commit` then read.
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { isSameProcess, type ProcessIdentity } from '../sys/proc-stat.js'
import { O_CLOEXEC, O_DIRECTORY, O_PATH } from '../sys/mount.js'
import { CLONE_NEWNS, unshare } from '../sys/ns.js'
import { restoreNamespaces, saveNamespaces, warmThreadpool } from './namespaces.js'
import { mountOverlay } from './overlay.js'
import { makeRootPrivate } from './rootfs.js'
import { note } from '../trace/trace.js'

/** The container whose root is wanted. */
export interface RootSource {
  id: string
  /** Its PID 1 while it runs (pid and start time: a recycled pid is refused); undefined when stopped. */
  init?: ProcessIdentity
  /** The overlay's read-only layers, topmost first (its init layer, then the image's). */
  lowerDirs: string[]
  /** The container's directory on the host: upper/ (the writable layer), work/, rootfs/. */
  dir: string
}

export type RootWanted = 'live' | 'rootfs' | 'write'

export interface ContainerRoot {
  /** O_PATH|O_DIRECTORY fd of the container's "/". */
  fd: number
  /** How the root was reached. */
  how: 'running' | 'mounted'
  /** The container's writable layer (overlay upperdir) on the host. */
  upperDir: string
  /** For messages and traces: where this root is. */
  shown: string
  close(): void
}

/**
 * `want`: 'live' = the running container's root if it runs (with its volumes), else its overlay;
 * 'rootfs' = always its own overlay, read-only (export); 'write' = as 'live', but a stopped
 * container's overlay is mounted writable (the caller holds the container's lock).
 */
export async function openContainerRoot(c: RootSource, want: RootWanted): Promise<ContainerRoot> {
  const containerDir = c.dir
  const upperDir = join(containerDir, 'upper')
  if (want !== 'rootfs' && c.init) {
    const pid = c.init.pid
    const fd = openSync(`/proc/${pid}/root`, O_PATH | O_DIRECTORY | O_CLOEXEC)
    if (!isSameProcess(c.init)) {
      closeSync(fd)
      throw new TockerError(`Container ${c.id} is not running`, { code: 'ECONFLICT', daemon: true })
    }
    note('cp', 'explain.note.cp.root.running', { pid, upper: upperDir })
    return { fd, how: 'running', upperDir, shown: `/proc/${pid}/root`, close: () => closeSync(fd) }
  }
  const lowers = c.lowerDirs
  const writable = want === 'write'
  const overlay = writable ? { lowerdir: lowers, upperdir: upperDir, workdir: join(containerDir, 'work') } : { lowerdir: [upperDir, ...lowers] }
  const target = join(containerDir, 'rootfs')
  await warmThreadpool() // libuv's threads must not be born inside the private namespace
  let fd: number | undefined
  const saved = saveNamespaces(['mount'])
  try {
    unshare(CLONE_NEWNS)
    makeRootPrivate()
    mountOverlay(target, overlay)
    fd = openSync(target, O_PATH | O_DIRECTORY | O_CLOEXEC)
  } finally {
    restoreNamespaces(saved)
  }
  note('cp', writable ? 'explain.note.cp.root.mounted.rw' : 'explain.note.cp.root.mounted.ro', { upper: upperDir })
  const held = fd
  return { fd: held, how: 'mounted', upperDir, shown: `${target} (a private mount)`, close: () => closeSync(held) }
}
