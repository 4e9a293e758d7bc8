// pivot_root: make the rootfs the namespace's "/" and throw the host's root away.
//
// Why not chroot: chroot changes the root of one process only. The host's root stays mounted in
// the namespace, a process with CAP_SYS_CHROOT can walk back out (chroot into a subdirectory,
// then "cd .." past it), and every other process (our shim and gate) keeps the old root.
// pivot_root swaps the root *mount* of the whole mount namespace, moves the root and cwd of every
// process that had the old root (so the shim and the gate are re-rooted too), and the old root,
// once unmounted, is unreachable: there is no path left to the host's files.
//
// pivot_root(".", "."): with the new root as cwd, put the old root on top of it, then detach
// the old root with umount2(".", MNT_DETACH) — no temporary directory needed (runc does this).
// The detach is lazy: processes that still hold something open under the old root keep it
// alive; nothing else can reach it.
import { closeSync, openSync } from 'node:fs'
import { chdirTo, fchdir, mount, MNT_DETACH, MS_REC, MS_SLAVE, O_DIRECTORY, O_PATH, pivotRoot as pivot, umount2 } from '../sys/mount.js'

export function pivotRoot(rootfs: string): void {
  const fd = openSync(rootfs, O_PATH | O_DIRECTORY)
  try {
    fchdir(fd, rootfs)
  } finally {
    closeSync(fd)
  }
  pivot('.', '.')
  // Belt and braces (/ is already private): the unmount below must not propagate anywhere.
  mount(null, '.', null, MS_SLAVE | MS_REC, null, 'old root')
  umount2('.', MNT_DETACH, 'old root')
  chdirTo('/')
}
