// The overlay root filesystem: its mount options, and the mount.
//
// Surprise: mount(2) copies its options (`data`) in ONE page, 4096 bytes with the final NUL, and
// overlayfs wants every layer in that one string (lowerdir=top:…:bottom). With absolute paths of
// ~94 bytes (/var/lib/tocker/layers/<64 hex>/diff) an image of ~40 layers no longer fits. Ways out:
//   - the new mount API's "lowerdir+" (fsconfig(2), one layer per call, no total limit): Linux
//     6.8+ only, and Debian 12 runs 6.1. (fsconfig's plain "lowerdir", 5.2+ for overlayfs since
//     6.5, is worse: it caps one string value at 256 bytes.)
//   - relative paths: overlayfs looks each lowerdir up as a path of the mounting thread, so after
//     chdir(D) "X" means D/X. Docker's overlay2 does this (its mountFrom), with short names for its
//     layers in an l/ directory. Works on every kernel tocker supports.
// tocker does what Docker does: the image store keeps a short link per layer
// (layers/l/<26 letters>, see src/image/layer-links.ts), the engine names the links, and when the
// absolute paths do not fit in a page the thread chdir()s into their common directory and mounts
// with names relative to it: 27 bytes per layer, ~145 layers (Docker allows 125 at build time,
// 128 at run time; overlayfs itself stops at 500).
//
// The chdir moves only the calling thread: the runtime mounts the root from Node's main thread
// after unshare(CLONE_NEWNS), which gave that thread a filesystem context (root, cwd) of its own;
// libuv's threads keep theirs. The cwd is restored right after the mount (and again by
// restoreNamespaces, see namespaces.ts).
//
// Surprise 2: unmounting an overlay syncs its upper file system, all of it. The kernel tears the
// container's mount namespace down when its last process (the shim) exits; the overlay's
// superblock goes with it (generic_shutdown_super -> sync_filesystem -> ovl_sync_fs), and
// ovl_sync_fs calls sync_filesystem on the upper layer's file system: on ext4 a journal commit
// and a cache flush, waiting for everything anyone wrote there, like an fsync. The shim exits only
// after it, and `run --rm` answers only after the shim has exited. Measured here (Linux 6.18,
// ext4, load ~4, 30 exits each): the last process of a mount namespace holding an overlay with one
// file written took 6.2-6.4 ms (median) from _exit to its parent's waitpid; 1.4-2.7 ms with the
// mount option "volatile" (Linux 5.10+), which leaves those syncs out; 1.0-2.6 ms with no overlay. tocker uses it for a writable layer nobody keeps (`run --rm`: the container is
// removed when it ends, and an engine restarted after a crash of the machine removes it too), as
// podman does for --rm (its specgen sets Volatile from --rm). A volatile mount leaves
// work/incompat/volatile in its workdir, and overlayfs refuses to mount that workdir again until
// it is gone (the mark says "this upper may have lost writes in a crash"): the same container
// started again (`restart`) clears it first, as containers/storage's overlay driver does, and
// mounts it volatile again, never as non-volatile (overlayfs's rule: volatile -> volatile only).
import { closeSync, existsSync, openSync, rmSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { TockerError } from '../errors.js'
import { chdirTo, fchdir, mount, MS_NODEV, O_DIRECTORY, O_PATH } from '../sys/mount.js'
import type { OverlayRootfs } from './spec.js'

/** The most option bytes mount(2) takes: a page, less its terminating NUL. */
export const MOUNT_DATA_MAX = 4095

export interface OverlayMountPlan {
  /** The options, as the kernel gets them. */
  data: string
  /** Set when the lowerdirs in `data` are relative to this directory. */
  cwd?: string
  /** The options as --explain shows them: long lowerdir lists cut in the middle. */
  shown: string
}

/** overlayfs options: lowerdir top first, separated by ':'. */
export function overlayOptions(o: OverlayRootfs, lowerdir: string[] = o.lowerdir): string {
  let data = `lowerdir=${lowerdir.join(':')}`
  if (o.upperdir) data += `,upperdir=${o.upperdir},workdir=${o.workdir}${o.volatile ? ',volatile' : ''}`
  return data
}

/**
 * Before a writable overlay is mounted: the mark a volatile mount of the same workdir left (see the
 * top of this file) is cleared, and the mount is volatile again (overlayfs allows no other way).
 */
export function clearVolatileMark(o: OverlayRootfs): OverlayRootfs {
  if (!o.workdir) return o
  const mark = join(o.workdir, 'work', 'incompat', 'volatile')
  if (!existsSync(mark)) return o
  rmSync(mark, { recursive: true })
  return { ...o, volatile: true }
}

/** How to mount `o`: absolute paths when they fit in a page, else relative to their common directory. */
export function planOverlayMount(o: OverlayRootfs): OverlayMountPlan {
  const absolute = overlayOptions(o)
  if (Buffer.byteLength(absolute) <= MOUNT_DATA_MAX) return { data: absolute, shown: shownOptions(o, o.lowerdir) }
  // Relative to the directory most of them share (the layers' short links), the others absolute:
  // a container's own init layer (containers/<id>/init) must not lengthen every layer's name.
  const base = mostCommonParent(o.lowerdir)
  const names = o.lowerdir.map((d) => (d.startsWith(base + sep) ? relative(base, d) : d))
  const data = overlayOptions(o, names)
  const bytes = Buffer.byteLength(data)
  if (bytes > MOUNT_DATA_MAX) {
    // (Its hint, in both languages, is in src/i18n/hints.ts.)
    throw new TockerError(`too many layers for one overlay mount: ${o.lowerdir.length} layers need ${bytes} bytes of mount options, the kernel takes ${MOUNT_DATA_MAX}`, {
      code: 'ETOOMANYLAYERS',
    })
  }
  return { data, cwd: base, shown: shownOptions(o, names, base) }
}

/** Mount the overlay at `target` (from a thread with its own cwd: see the top of this file). */
export function mountOverlay(target: string, overlay: OverlayRootfs): void {
  const plan = planOverlayMount(clearVolatileMark(overlay))
  if (!plan.cwd) return mount('overlay', target, 'overlay', MS_NODEV, plan.data, undefined, plan.shown)
  const saved = openSync('.', O_PATH | O_DIRECTORY)
  try {
    chdirTo(plan.cwd)
    try {
      mount('overlay', target, 'overlay', MS_NODEV, plan.data, undefined, plan.shown)
    } finally {
      fchdir(saved, 'back to the cwd before the overlay mount')
    }
  } finally {
    closeSync(saved)
  }
}

/** The parent directory of the most paths of `paths` (all absolute); their common directory on a tie. */
export function mostCommonParent(paths: string[]): string {
  const counts = new Map<string, number>()
  for (const p of paths) counts.set(dirname(p), (counts.get(dirname(p)) ?? 0) + 1)
  const [best, n] = [...counts].sort((a, b) => b[1] - a[1])[0]
  return n > 1 ? best : commonDirectory(paths)
}

/** The deepest directory that holds every path of `paths` (all absolute). */
export function commonDirectory(paths: string[]): string {
  let base = dirname(paths[0])
  while (!paths.every((p) => p.startsWith(base === sep ? sep : base + sep))) base = dirname(base)
  return base
}

/** Options for --explain: a list of more than 6 layers shows its first 3 and last 2. */
function shownOptions(o: OverlayRootfs, lowerdir: string[], base?: string): string {
  const list = lowerdir.length <= 6 ? lowerdir : [...lowerdir.slice(0, 3), `…${lowerdir.length - 5} more…`, ...lowerdir.slice(-2)]
  const data = overlayOptions(o, list)
  return base ? `${data} (${lowerdir.length} layers, relative to the cwd ${base})` : data
}
