// A container with no mount namespace of its own: linux.namespaces without a "mount" entry, so it
// shares the caller's (runtime-tools' linux_ns_itype validation asks for every namespace to be
// shared; runc and crun allow it). tocker's own engine never asks for it.
//
// Why this needs care: normally every mount of a container lives in its own mount namespace and
// vanishes with it (nothing to unmount on delete). Here the rootfs bind mount and everything
// mounted under it (/proc, /dev, /sys, masks, binds) are made in the *caller's* namespace, where
// they would outlive the container. So:
//   - the rootfs bind mount is made private (that one mount and what is under it, not the
//     caller's /): nothing mounted under it propagates to the caller's other mounts or to peer
//     namespaces (a shared / would otherwise copy every /proc, /dev... of the container there);
//   - PID 1 chroot()s into the rootfs (gate.c, do_chroot) instead of pivot_root, which would swap
//     the root of every process in the caller's namespace;
//   - where it is mounted, and the rootfs mount's id, are written to the state dir before and
//     right after mounting (shared-root.json), so that delete, a failed create and a
//     `delete --force` after a creator killed half-way all take the whole tree down with one
//     umount2(rootfs, MNT_DETACH) — and only if the mount there is still the one we made.
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseMountinfo, type MountEntry } from '../cgroups/mountinfo.js'
import { TockerError } from '../errors.js'
import { mount, MNT_DETACH, MS_PRIVATE, MS_REC, umount2 } from '../sys/mount.js'

const FILE = 'shared-root.json'

interface SharedRoot {
  /** The rootfs as the kernel names it (symlinks resolved), where it is mounted. */
  rootfs: string
  /** The id of our rootfs mount (mountinfo's first field); absent until it is made. */
  mountId?: number
}

function mounts(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
}

/** The mount seen at `path`: of those mounted there, the one no other is mounted on top of. */
function topMountAt(all: MountEntry[], path: string): MountEntry | undefined {
  const here = all.filter((m) => m.mountPoint === path)
  return here.find((m) => !here.some((o) => o.parentId === m.mountId))
}

/** Has this container a mount namespace of its own (false: it shares the caller's)? */
export function sharesMountNamespace(stateDir: string): boolean {
  return readRecord(stateDir) !== undefined
}

function readRecord(stateDir: string): SharedRoot | undefined {
  // Asked at every delete, and most containers have a mount namespace of their own: access(2)
  // first, as readFileSync's ENOENT costs a thrown Error.
  if (!existsSync(join(stateDir, FILE))) return undefined
  let text: string
  try {
    text = readFileSync(join(stateDir, FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    return JSON.parse(text) as SharedRoot
  } catch (err) {
    throw new TockerError(`unreadable ${join(stateDir, FILE)}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
  }
}

/** Before anything is mounted: where it will be, so that whoever deletes the container undoes it. */
export function recordSharedRoot(stateDir: string, rootfs: string): string {
  const real = realpathSync(rootfs)
  writeFileSync(join(stateDir, FILE), JSON.stringify({ rootfs: real } satisfies SharedRoot))
  return real
}

/** Right after the rootfs is mounted: cut its propagation and record its mount id. */
export function sharedRootMounted(stateDir: string, rootfs: string): void {
  const real = realpathSync(rootfs)
  // MS_PRIVATE on the rootfs mount alone (with MS_REC: the submounts a recursive bind copied):
  // the caller's / keeps its propagation.
  mount(null, real, null, MS_REC | MS_PRIVATE, null)
  const top = topMountAt(mounts(), real)
  if (!top) throw new TockerError(`the container's root ${real} is not a mount point after mounting it`, { code: 'ERUNTIME' })
  writeFileSync(join(stateDir, FILE), JSON.stringify({ rootfs: real, mountId: top.mountId } satisfies SharedRoot))
}

/**
 * Take down everything the container mounted in the caller's namespace (no-op for a container
 * with a mount namespace of its own). Only the mount we made: if another covers it now, or it is
 * gone, nothing is unmounted and `warn` says why.
 */
export function unmountSharedRoot(stateDir: string, warn: (message: string) => void): void {
  const rec = readRecord(stateDir)
  if (!rec || rec.mountId === undefined) return
  const all = mounts()
  const ours = all.find((m) => m.mountId === rec.mountId && m.mountPoint === rec.rootfs)
  if (!ours) return // already unmounted (a delete that stopped half-way, or by hand)
  const top = topMountAt(all, rec.rootfs)
  if (top?.mountId !== ours.mountId) {
    warn(`the container's root ${rec.rootfs} is covered by another mount (id ${top?.mountId}): left mounted; unmount it by hand`)
    return
  }
  // MNT_DETACH: the whole tree (rootfs and every mount under it) leaves the namespace now, and the
  // kernel frees it when the last process holding something in it is gone.
  umount2(rec.rootfs, MNT_DETACH, `${rec.rootfs} (the container's root and every mount under it, in the caller's mount namespace)`)
}
