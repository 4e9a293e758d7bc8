// /dev inside the container: a small tmpfs (mounted from the spec's mounts) filled with the few
// device nodes every program expects, and the symlinks glibc and shells rely on. Device nodes
// are made with mknod(2) on that tmpfs; they work because the container has its own /dev mount
// without "nodev". What a process may *open* is the device cgroup's business, not this file's.
import { chmodSync, chownSync, existsSync, symlinkSync, unlinkSync } from 'node:fs'
import { posix } from 'node:path'
import { mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/fs.js'
import { RootDir } from './root-dir.js'
import type { Device } from './spec.js'

/** runc's default devices (the same six Docker gives every container). */
export const DEFAULT_DEVICES: Device[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
]

/** /dev/core → /proc/kcore where the kernel has one (same kernel inside and out: the host's answer is the container's). */
const HOST_HAS_KCORE = existsSync('/proc/kcore')

const TYPE_BITS: Record<Device['type'], number> = { c: S_IFCHR, u: S_IFCHR, b: S_IFBLK, p: S_IFIFO }

/** Make each device node (an existing file of that name is left alone). */
export function createDevices(root: RootDir, devices: Device[]): void {
  const dirs = new Map<string, number>()
  for (const d of devices) {
    const dir = posix.dirname(d.path)
    let parent = dirs.get(dir)
    if (parent === undefined) dirs.set(dir, (parent = root.mkdirAll(dir)))
    const path = `${RootDir.fdPath(parent)}/${posix.basename(d.path)}`
    const mode = d.fileMode ?? 0o666
    try {
      mknod(path, TYPE_BITS[d.type] | mode, d.major ?? 0, d.minor ?? 0)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw err
    }
    chmodSync(path, mode) // mknod's mode went through our umask
    if (d.uid || d.gid) chownSync(path, d.uid ?? 0, d.gid ?? 0)
  }
}

/**
 * The symlinks runc makes: /dev/fd, stdin, stdout, stderr into /proc/self/fd, and /dev/ptmx
 * pointing at the container's own devpts instance (newinstance), so every pty it opens is
 * numbered in its /dev/pts and not the host's.
 */
export function createDevSymlinks(root: RootDir, hasOwnPts: boolean): void {
  const dev = root.tryOpen('/dev')
  if (dev === undefined) return
  const links: [string, string][] = [
    ['/proc/self/fd', 'fd'],
    ['/proc/self/fd/0', 'stdin'],
    ['/proc/self/fd/1', 'stdout'],
    ['/proc/self/fd/2', 'stderr'],
  ]
  if (HOST_HAS_KCORE) links.push(['/proc/kcore', 'core'])
  for (const [target, name] of links) {
    try {
      symlinkSync(target, `${RootDir.fdPath(dev)}/${name}`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  if (hasOwnPts) {
    const ptmx = `${RootDir.fdPath(dev)}/ptmx`
    try {
      unlinkSync(ptmx)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    symlinkSync('pts/ptmx', ptmx)
  }
}
