// Paths inside a container's root filesystem, resolved safely.
//
// The image decides what its paths are: /etc could be a symlink to /host/etc, and "/" in that
// link means the *container's* root. Resolving "<rootfs>/etc/hosts" with an ordinary host path
// walk would follow it to the host's /etc. So every path inside the rootfs is resolved with
// openat2(RESOLVE_IN_ROOT) against an fd of the rootfs, which treats that fd as "/" for every
// symlink and "..", component by component; missing directories are made one at a time with
// mkdirat in the directory that was just resolved. The result is an O_PATH fd, and mounts use
// its magic link /proc/self/fd/N as their target: the kernel mounts on exactly that directory,
// whatever happens to the names meanwhile. (runc does the same; see its CVE-2021-30465.)
import { closeSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs'
import { posix } from 'node:path'
import { mkdirat, openat2IfExists, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_WRONLY, openat2, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS } from '../sys/mount.js'

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS

export class RootDir {
  private readonly opened: number[] = []

  private constructor(
    /** The rootfs as the host sees it (for messages). */
    readonly path: string,
    readonly fd: number,
  ) {}

  /** Open the (already mounted) root filesystem. */
  static open(path: string): RootDir {
    return new RootDir(path, openSync(path, O_PATH | O_DIRECTORY))
  }

  /** "/proc/self/fd/N": a path the kernel resolves to exactly what fd N is. */
  static fdPath(fd: number): string {
    return `/proc/self/fd/${fd}`
  }

  /** How a container path is shown in traces and errors. */
  shown(containerPath: string): string {
    return posix.join(this.path, containerPath)
  }

  /** An O_PATH fd for an existing path inside the root (throws ENOENT and friends). */
  open(containerPath: string, flags = 0): number {
    const fd = openat2(this.fd, rel(containerPath), O_PATH | O_CLOEXEC | flags, 0, RESOLVE, this.path)
    this.opened.push(fd)
    return fd
  }

  /** Like open(), but undefined when the path does not exist. */
  tryOpen(containerPath: string, flags = 0): number | undefined {
    const fd = openat2IfExists(this.fd, rel(containerPath), O_PATH | O_CLOEXEC | flags, 0, RESOLVE, this.path)
    if (fd !== undefined) this.opened.push(fd)
    return fd
  }

  /**
   * mkdir -p inside the root; returns an O_PATH fd of the directory. A dangling symlink on the
   * way is followed inside the root, and what it names is created there (runc does the same).
   */
  mkdirAll(containerPath: string, mode = 0o755): number {
    const existing = this.tryOpen(containerPath, O_DIRECTORY) // the common case: one call
    if (existing !== undefined) return existing
    let pending = components(containerPath)
    let done: string[] = []
    let dir = this.open('/', O_DIRECTORY)
    let missing = false // once a directory was made, everything below it is new too
    let links = 0
    while (pending.length) {
      const name = pending.shift()!
      if (name === '..') {
        done.pop() // ".." of the root is the root, as RESOLVE_IN_ROOT says
        dir = this.open('/' + done.join('/'), O_DIRECTORY)
        continue
      }
      const path = '/' + [...done, name].join('/')
      const found = missing || (pending.length === 0 && links === 0) ? undefined : this.tryOpen(path, O_DIRECTORY)
      if (found !== undefined) {
        done.push(name)
        dir = found
        continue
      }
      try {
        mkdirat(dir, name, mode, this.shown(posix.dirname(path)))
        missing = true
        done.push(name)
        dir = this.open(path, O_DIRECTORY)
        continue
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      // It exists but does not resolve to a directory: a symlink to nowhere (yet)?
      const target = readlinkSync(`${RootDir.fdPath(dir)}/${name}`)
      if (++links > 40) throw Object.assign(new Error(`too many levels of symbolic links in ${containerPath}`), { code: 'ELOOP' })
      if (target.startsWith('/')) {
        done = []
        dir = this.open('/', O_DIRECTORY)
      }
      pending = [...components(target), ...pending]
    }
    return dir
  }

  /** Make sure a file exists at the path (creating parents and an empty file); returns its O_PATH fd. */
  ensureFile(containerPath: string, mode = 0o644): number {
    const existing = this.tryOpen(containerPath)
    if (existing !== undefined) return existing
    this.mkdirAll(posix.dirname(posix.resolve('/', containerPath)))
    const fd = openat2(this.fd, rel(containerPath), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode, RESOLVE, this.path)
    closeSync(fd)
    return this.open(containerPath)
  }

  /** The contents of a file inside the root, or undefined when it does not exist. */
  readFile(containerPath: string): string | undefined {
    let fd: number
    try {
      fd = openat2(this.fd, rel(containerPath), O_CLOEXEC, 0, RESOLVE, this.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    try {
      return readFileSync(fd, 'utf8')
    } finally {
      closeSync(fd)
    }
  }

  /** Write an existing file inside the root (e.g. under /proc/sys). */
  writeFile(containerPath: string, data: string): void {
    const fd = openat2(this.fd, rel(containerPath), O_WRONLY | O_CLOEXEC, 0, RESOLVE, this.path)
    try {
      writeSync(fd, data)
    } finally {
      closeSync(fd)
    }
  }

  /** Close every fd this object handed out, and the root's own. */
  close(): void {
    for (const fd of this.opened.splice(0)) closeSync(fd)
    closeSync(this.fd)
  }
}

function components(path: string): string[] {
  return path.split('/').filter((p) => p && p !== '.')
}

function rel(containerPath: string): string {
  const p = posix.resolve('/', containerPath)
  return p === '/' ? '.' : p.slice(1)
}
