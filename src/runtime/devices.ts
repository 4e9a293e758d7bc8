// /dev inside the container: a small tmpfs (mounted from the spec's mounts) filled with the few
// device nodes every program expects, and the symlinks glibc and shells rely on.
//
// That tmpfs is nodev, like every mount of the container (device-policy.ts): a node the container
// makes there with mknod cannot be opened. The nodes tocker gives it are made with mknod(2) and
// then each is bind-mounted onto itself. A bind mount is a mount of its own with its own flags,
// so remounting it without MS_NODEV makes that one node work on a nodev /dev. They are the
// container's own nodes (not binds of the host's /dev/null, which runc uses when it cannot
// mknod): root in the container may chmod or chown them, and the host's stay as they are.
import { chmodSync, chownSync, existsSync, lstatSync, symlinkSync, unlinkSync } from 'node:fs'
import { posix } from 'node:path'
import { mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/fs.js'
import { mount, MS_BIND, MS_NOEXEC, MS_NOSUID, MS_REMOUNT } from '../sys/mount.js'
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

/**
 * Make each device node and give it a mount of its own where devices work. A file already at
 * the path is left alone (a nodev mount keeps it dead), unless it is the very device asked for.
 * Returns the path of the container's working /dev/null, if one was made (masks.ts binds it).
 */
export function createDevices(root: RootDir, devices: Device[], owners?: { uid(id: number): number | undefined; gid(id: number): number | undefined }): string | undefined {
  const dirs = new Map<string, number>()
  const byPath = new Map(devices.map((d) => [posix.resolve('/', d.path), d])) // a later entry wins
  let devNull: string | undefined
  for (const [containerPath, d] of byPath) {
    const dir = posix.dirname(containerPath)
    let parent = dirs.get(dir)
    if (parent === undefined) dirs.set(dir, parent = root.mkdirAll(dir))
    const path = `${RootDir.fdPath(parent)}/${posix.basename(containerPath)}`
    const mode = d.fileMode ?? 0o666
    const type = TYPE_BITS[d.type]
    try {
      mknod(path, type | mode, d.major ?? 0, d.minor ?? 0)
      chmodSync(path, mode) // mknod's mode went through our umask
      // In a user namespace the owners are the container's ids, mapped to the host's (userns.ts).
      const uid = owners ? (owners.uid(d.uid ?? 0) ?? 65534) : (d.uid ?? 0)
      const gid = owners ? (owners.gid(d.gid ?? 0) ?? 65534) : (d.gid ?? 0)
      if (uid || gid) chownSync(path, uid, gid)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if (!isDevice(path, type, d.major ?? 0, d.minor ?? 0)) continue
    }
    if (type === S_IFIFO) continue // a fifo is no device: nodev does not concern it
    const shown = root.shown(containerPath)
    mount(path, path, null, MS_BIND, null, shown)
    // The new mount copied the nodev of the one under it; a bind remount sets exactly these flags.
    mount(null, path, null, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC, null, shown)
    if (containerPath === '/dev/null' && type === S_IFCHR && d.major === 1 && d.minor === 3) devNull = path
  }
  return devNull
}

function isDevice(path: string, type: number, major: number, minor: number): boolean {
  const st = lstatSync(path)
  const isType = type === S_IFCHR ? st.isCharacterDevice() : type === S_IFBLK ? st.isBlockDevice() : st.isFIFO()
  return isType && (type === S_IFIFO || st.rdev === makedev(major, minor))
}

/** glibc's makedev, as Node's stat reports rdev (arithmetic: the value passes 32 bits). */
function makedev(major: number, minor: number): number {
  return (major % 4096) * 2 ** 8 + Math.floor(major / 4096) * 2 ** 32 + (minor % 256) + Math.floor(minor / 256) * 2 ** 20
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
