// Docker's masked and read-only paths: parts of /proc and /sys that tell too much about the host
// or let a container change it. Made after /proc and /sys are mounted, before pivot_root.
//   masked:    a file gets the container's /dev/null bind-mounted over it (reads are empty); a
//              directory gets an empty read-only tmpfs over it. Not the host's /dev/null: over a
//              bind, chmod and chown reach the inode below, and root in the container has
//              CAP_CHOWN and CAP_FOWNER (`chmod 600 /proc/keys` would change the host's node).
//   read-only: the path is bind-mounted onto itself and the new mount remounted read-only, which
//              makes only that subtree read-only (MS_REMOUNT|MS_BIND changes one mount, not the
//              filesystem: the rest of /proc stays writable).
import { fstatSync } from 'node:fs'
import { mount, mountFlagsOf, MS_BIND, MS_NODEV, MS_RDONLY, MS_REC, MS_REMOUNT } from '../sys/mount.js'
import { REMOUNT_KEPT_FLAGS } from './mount-options.js'
import { RootDir } from './root-dir.js'

/**
 * `devNull`: the container's /dev/null (devices.ts); the host's only for a spec without one,
 * which has no /dev of its own.
 */
export function maskPaths(root: RootDir, paths: readonly string[], devNull = '/dev/null'): void {
  for (const p of paths) {
    const fd = root.tryOpen(p)
    if (fd === undefined) continue // this kernel has no such file: nothing to hide
    if (fstatSync(fd).isDirectory()) mount('tmpfs', RootDir.fdPath(fd), 'tmpfs', MS_RDONLY | MS_NODEV, null, root.shown(p))
    else mount(devNull, RootDir.fdPath(fd), null, MS_BIND, null, root.shown(p))
  }
}

export function readonlyPaths(root: RootDir, paths: readonly string[]): void {
  for (const p of paths) {
    const fd = root.tryOpen(p)
    if (fd === undefined) continue
    mount(RootDir.fdPath(fd), RootDir.fdPath(fd), null, MS_BIND | MS_REC, null, root.shown(p))
    const top = RootDir.fdPath(root.open(p))
    mount(null, top, null, MS_BIND | MS_REMOUNT | MS_RDONLY | (mountFlagsOf(top) & REMOUNT_KEPT_FLAGS), null, root.shown(p))
  }
}
