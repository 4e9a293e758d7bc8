// The host's device nodes, as a --privileged container gets them (Docker: containerd's
// oci.HostDevices): every character and block device under /dev, by its path, major/minor, mode
// and owner, walked without following symlinks.
//
// What differs from Docker: Docker also opens its device cgroup to every device ("a *:* rwm"), so
// a node that a privileged container makes with mknod, or finds in an image layer, opens too.
// tocker has no device cgroup; its gate is the nodev mount flag (device-policy.ts): these host
// devices, and tocker's default ones, each get a mount of their own where devices open; a node
// made anywhere else (mknod /x, a layer's /dev/sda) stays unusable, even with --privileged.
import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Device } from './spec.js'

/** Not walked, as in containerd: the container gets its own pts, shm and mqueue; the rest is not devices. */
const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'])
/**
 * Not copied: console (containerd skips it too), and ptmx, which must stay the symlink to the
 * container's own pts/ptmx (a bind-mounted node there could not be replaced by it).
 */
const SKIPPED_FILES = new Set(['console', 'ptmx'])
const MAX_DEPTH = 4
const MAX_DEVICES = 4096

/** Linux's dev_t split (glibc's major()/minor()), from the number Node's stat gives. */
function majorMinor(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev)
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn))
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn))
  return { major, minor }
}

export function hostDevices(root = '/dev'): Device[] {
  const out: Device[] = []
  const walk = (dir: string, depth: number): void => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (const e of entries) {
      if (out.length >= MAX_DEVICES) return
      const path = join(dir, e.name)
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIPPED_DIRS.has(e.name)) walk(path, depth + 1)
        continue
      }
      if (!(e.isCharacterDevice() || e.isBlockDevice()) || (depth === 0 && SKIPPED_FILES.has(e.name))) continue
      let st
      try {
        st = lstatSync(path)
      } catch {
        continue // gone meanwhile (udev)
      }
      out.push({ path, type: st.isBlockDevice() ? 'b' : 'c', ...majorMinor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid })
    }
  }
  walk(root, 0)
  return out
}
