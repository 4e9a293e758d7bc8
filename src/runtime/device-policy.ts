// Which device nodes a container can open: only those tocker gives it, because every mount in the
// container is "nodev" except the mounts of those very nodes.
//
// The surprise: a device node is only a name for a (major, minor) pair. Whoever may create one
// (root with CAP_MKNOD, which Docker's default capability set keeps) or bring one along (a file in
// an image layer) reaches the kernel driver behind it: `mknod /x b 8 0; cat /x` reads the host's
// first disk, whatever namespaces the process is in. Namespaces do not cover devices.
//
// Docker stops this with the device cgroup (cgroup v1's devices.allow / devices.deny, or on
// cgroup v2 a BPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's
// cgroup): open() of a node not on the allow list fails with EPERM, mknod is allowed (so CapEff
// still shows CAP_MKNOD). tocker must never write to a v1 hierarchy and has no BPF program, so it
// uses the other gate the kernel has, the one rootless runc relies on: a mount flag. On a mount
// with MS_NODEV, open() of any device node fails with EACCES (mknod itself still works).
//   - the root filesystem (overlay or bind) and every other mount the container gets is nodev,
//     recursively for bind mounts that carry submounts of their own (mount_setattr AT_RECURSIVE);
//   - the few devices it may use (/dev/null, /dev/zero, ...) are made on the nodev /dev and then
//     bind-mounted onto themselves: a bind mount is a mount of its own, with its own flags, so
//     those nodes alone open (devices.ts);
//   - devpts keeps its devices: it is where ptys come from, and nothing can be mknod'ed in it.
// Overlay whiteouts are 0/0 character devices too, but overlayfs reads them as markers while
// it looks names up; they are never opened, so nodev does not change the merged tree.
//
// What a device cgroup would add and nodev cannot: a list by (major, minor) that holds whatever
// filesystem a node is on, checks on an open fd passed in from outside, and denying mknod itself.
// A mount the spec explicitly marks "dev" (or a bind whose source is itself a device node, as
// with `-v /dev/fuse:/dev/fuse`) keeps its devices: that is the user's choice, as --device is.
import { mount, mountFlagsOf, mountSetattr, AT_RECURSIVE, MOUNT_ATTR_NODEV, MS_BIND, MS_NODEV, MS_RDONLY, MS_REMOUNT } from '../sys/mount.js'
import { REMOUNT_KEPT_FLAGS } from './mount-options.js'

/** Filesystems whose device nodes a container needs and into which nothing can be mknod'ed. */
const DEVICE_FILESYSTEMS = new Set(['devpts'])

/** Does a (non-bind) mount of this type get MS_NODEV added? */
export function forcesNodev(type: string, explicitDev: boolean): boolean {
  return !explicitDev && !DEVICE_FILESYSTEMS.has(type)
}

/**
 * Make device nodes on the mount at `target` (and, `recursive`, on every mount below it)
 * unusable, changing nothing else about it. Before Linux 5.12 (no mount_setattr) the top mount
 * is remounted with its own flags plus MS_NODEV; its submounts then keep theirs.
 */
export function forbidDevices(target: string, recursive: boolean, shown?: string): void {
  try {
    mountSetattr(target, recursive ? AT_RECURSIVE : 0, MOUNT_ATTR_NODEV, 0, shown)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSYS') throw err
    mount(null, target, null, MS_BIND | MS_REMOUNT | MS_NODEV | (mountFlagsOf(target) & (REMOUNT_KEPT_FLAGS | MS_RDONLY)), null, shown)
  }
}
