// Docker's masked and read-only paths: parts of /proc and /sys that tell too much about the host
// or let a container change it. Made after /proc and /sys are mounted, before pivot_root.
//   masked:    a file gets /dev/null bind-mounted over it (reads are empty); a directory gets an
//              empty read-only tmpfs over it.
//   read-only: the path is bind-mounted onto itself and the new mount remounted read-only, which
//              makes only that subtree read-only (MS_REMOUNT|MS_BIND changes one mount, not the
//              filesystem: the rest of /proc stays writable).
import { fstatSync } from 'node:fs'
import { mount, mountFlagsOf, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from '../sys/mount.js'
import { RootDir } from './root-dir.js'

const MS_NOATIME = 0x400
const MS_NODIRATIME = 0x800
const MS_RELATIME = 0x200000
/** Flags a bind remount must repeat, or the kernel would clear them on the new mount. */
const KEPT = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME

export function maskPaths(root: RootDir, paths: readonly string[]): void {
  for (const p of paths) {
    const fd = root.tryOpen(p)
    if (fd === undefined) continue // this kernel has no such file: nothing to hide
    if (fstatSync(fd).isDirectory()) mount('tmpfs', RootDir.fdPath(fd), 'tmpfs', MS_RDONLY, null, root.shown(p))
    else mount('/dev/null', RootDir.fdPath(fd), null, MS_BIND, null, root.shown(p))
  }
}

export function readonlyPaths(root: RootDir, paths: readonly string[]): void {
  for (const p of paths) {
    const fd = root.tryOpen(p)
    if (fd === undefined) continue
    mount(RootDir.fdPath(fd), RootDir.fdPath(fd), null, MS_BIND | MS_REC, null, root.shown(p))
    const top = RootDir.fdPath(root.open(p))
    mount(null, top, null, MS_BIND | MS_REMOUNT | MS_RDONLY | (mountFlagsOf(top) & KEPT), null, root.shown(p))
  }
}
