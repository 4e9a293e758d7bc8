// The container's root filesystem, mounted inside its own mount namespace.
//
// Why / is made private first: after unshare(CLONE_NEWNS) the new namespace's mounts are copies
// that still *propagate* with the host's where they were shared (systemd makes / shared). A mount
// made in the container would then appear on the host too, and pivot_root refuses to work on a
// shared tree. MS_REC|MS_PRIVATE on / cuts every propagation link first.
//
// The root itself is either an overlay of image layers (the dev.tocker.rootfs.overlay annotation,
// see spec.ts) or root.path bind-mounted onto itself: pivot_root needs its new root to be a
// mount point, and a bind mount makes any directory one. Either way it is nodev: a device node
// in an image layer, or one made with mknod anywhere on the root, cannot be opened (see
// device-policy.ts).
import { mount, MS_BIND, MS_NODEV, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT } from '../sys/mount.js'
import { forbidDevices } from './device-policy.js'
import { mountOverlay } from './overlay.js'
import type { OverlayRootfs } from './spec.js'

/** Cut propagation between the new mount namespace and the host's. */
export function makeRootPrivate(): void {
  mount(null, '/', null, MS_REC | MS_PRIVATE, null)
}

export function mountRootfs(rootfs: string, overlay?: OverlayRootfs): void {
  if (overlay) {
    mountOverlay(rootfs, overlay) // many layers: see overlay.ts
  } else {
    // A bind ignores flags other than MS_REC (it copies the source's): nodev is a second step.
    mount(rootfs, rootfs, null, MS_BIND | MS_REC, null)
    forbidDevices(rootfs, true)
  }
}

/** root.readonly: the whole root read-only (the mounts on top keep their own flags). */
export function remountRootReadonly(rootfs: string): void {
  // A bind remount sets the mount's flags to exactly these: nodev must be said again.
  mount(null, rootfs, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, null)
}
