// The seam over the kernel calls that change what a process sees: mounts, pivot_root, namespaces,
// host names, device nodes (as youki's `Syscall` trait: crates/libcontainer/src/syscall/).
//
//   Syscalls        the interface: one method per kernel call, raw arguments, throws SyscallError
//   linuxSyscalls   the real one, over native-shims/ (koffi → libc)
//   sys/mount.ts, sys/ns.ts, sys/fs.ts   the traced layer every caller uses: each call is reported to
//                   src/trace (what `--explain` prints) and then made through the *installed* Syscalls
//
// A test installs a recording fake (test/unit/fakes/syscalls.ts) with `useSyscalls` and drives the
// real runtime code (mount ordering, device policy, pivot_root's steps) without root: the calls it
// records are the same ones `--explain` would print, since the trace sits above the seam.
//
// Why an installed implementation rather than one passed to every function: the runtime's set-up
// is synchronous code on Node's main thread between entering and leaving the container's
// namespaces (runtime/namespaces.ts), so nothing else runs while it works and a process-wide
// choice is exactly as precise as a parameter — without threading one through twenty call sites.
// (youki picks its implementation the same way, with a factory: `create_syscall()`.)
//
// Not behind the seam on purpose: openat2/mkdirat (the in-root path resolver of root-dir.ts; an
// unprivileged caller may use them on its own files, so unit tests resolve paths in a real temp
// dir), xattrs and flock (file work, not privileged state).
import { closeSync } from 'node:fs'
import * as fs from '../../native-shims/fs.js'
import * as mnt from '../../native-shims/mount.js'
import * as ns from '../../native-shims/ns.js'
import { seam } from './seam.js'

export interface Syscalls {
  /** mount(2) */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void
  /** umount2(2) */
  umount2(target: string, flags: number): void
  /** pivot_root(2) */
  pivotRoot(newRoot: string, putOld: string): void
  /** mount_setattr(2) on `target` (a path or /proc/self/fd/N), relative to AT_FDCWD. */
  mountSetattr(target: string, flags: number, attrSet: number, attrClr: number): void
  /** open_tree(2) + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount(2): an id-mapped copy of `source` at `target`. */
  idmappedMount(source: string, target: string, usernsFd: number, recursive: boolean): void
  /** statvfs(2)'s flags as MS_* mount flags. */
  mountFlagsOf(path: string): number
  /** fchdir(2) / chdir(2) of the calling thread. */
  fchdir(fd: number): void
  chdir(path: string): void
  /** unshare(2) / setns(2) of the calling thread. */
  unshare(flags: number): void
  setns(fd: number, nstype: number): void
  sethostname(name: string): void
  setdomainname(name: string): void
  /** mknod(2): a device node, a fifo, or (0:0) an overlay whiteout. */
  mknod(path: string, mode: number, major: number, minor: number): void
}

export const linuxSyscalls: Syscalls = {
  mount: mnt.mount,
  umount2: mnt.umount2,
  pivotRoot: mnt.pivotRoot,
  mountSetattr: (target, flags, attrSet, attrClr) => mnt.mountSetattr(mnt.AT_FDCWD, target, flags, attrSet, attrClr),
  idmappedMount(source, target, usernsFd, recursive) {
    const fd = mnt.openTree(source, mnt.OPEN_TREE_CLONE | mnt.OPEN_TREE_CLOEXEC | (recursive ? mnt.AT_RECURSIVE : 0))
    try {
      mnt.mountSetIdmap(fd, usernsFd, recursive ? mnt.AT_RECURSIVE : 0)
      mnt.moveMount(fd, target)
    } finally {
      closeSync(fd)
    }
  },
  mountFlagsOf: mnt.mountFlagsOf,
  fchdir: mnt.fchdir,
  chdir: mnt.chdir,
  unshare: ns.unshare,
  setns: ns.setns,
  sethostname: ns.sethostname,
  setdomainname: ns.setdomainname,
  mknod: fs.mknod,
}

const installed = seam<Syscalls>(linuxSyscalls)

/** The implementation the traced layer (sys/mount.ts, sys/ns.ts, sys/fs.ts) calls through. */
export const syscalls = installed.get

/** Install a test's recording fake until the returned function is called; the engine and the runtime always run on linuxSyscalls. */
export const useSyscalls = installed.use
