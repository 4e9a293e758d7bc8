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
//
// Reading and writing files in there is the other danger: the container decides what they are.
// /etc/passwd may be a FIFO (open(2) for reading waits for a writer: forever), a symlink to
// /dev/zero (an endless file) or simply huge, and a running container can swap it between two
// `exec`s. The engine runs all of this on its one main thread, so every file it reads or writes
// inside a root goes through openRegular(): an O_PATH open (no open(2) side effects: a FIFO, a
// device, a socket are never really opened), fstat on that fd, and only a regular file is reopened
// through /proc/self/fd/N (the very same inode, with O_NONBLOCK) and read with a size cap.
import { closeSync, fstatSync, openSync, readlinkSync, readSync, writeSync, type Stats } from 'node:fs'
import { posix } from 'node:path'
import { TockerError } from '../errors.js'
import { mkdirat, openat2IfExists, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_WRONLY, openat2, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from '../sys/mount.js'
import { traced } from '../trace/trace.js'

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS

/** The most the engine reads of one file inside a container (its /etc/passwd, /etc/group). */
export const MAX_ROOT_FILE_BYTES = 4 * 1024 * 1024

const UNSAFE_FILE_HINT = 'tocker reads a file inside a container only if it is a regular file of at most 4 MiB, so that no image or container can stall or exhaust the engine: ' +
  'make it an ordinary file in the image (or in the container). / 엔진이 멈추거나 메모리를 다 쓰지 않도록, tocker는 컨테이너 안의 파일을 4 MiB 이하의 일반 파일일 때만 읽습니다: ' +
  '이미지(또는 컨테이너)에서 이 경로를 일반 파일로 바꾸세요.'

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
      if (++links > 40) throw new TockerError(`too many levels of symbolic links in ${containerPath}`, { code: 'ELOOP', internal: true })
      if (target.startsWith('/')) {
        done = []
        dir = this.open('/', O_DIRECTORY)
      }
      pending = [...components(target), ...pending]
    }
    return dir
  }

  /**
   * The process's working directory, made when it is missing, as Docker does (the daemon's
   * SetupWorkingDirectory, at create: mkdir -p, 0755, owned by root whatever --user says; runc's
   * prepareRootfs does the same): `run -w /newdir` starts in a new, empty directory. Call it on
   * the bare rootfs, before any mount: what is made lands in the container's own layer (as with
   * Docker, `tocker diff` shows it), and nothing mounted later (procfs, a bind of a host
   * directory) is ever written here. Where the path leads once /proc and the binds are mounted is
   * for the gate to judge: its chdir, then its getcwd check (native-shims/shim/hygiene.c).
   */
  makeWorkingDir(containerPath: string): void {
    let fd: number | undefined
    try {
      fd = this.tryOpen(containerPath)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw notADirectory(containerPath)
      throw err
    }
    if (fd === undefined) this.mkdirAll(containerPath)
    else if (!fstatSync(fd).isDirectory()) throw notADirectory(containerPath)
  }

  /**
   * Make sure a file exists at the path (creating parents and an empty file); returns its O_PATH
   * fd. Whatever is there already (a FIFO, a device) is only ever opened O_PATH. A new file is made
   * with O_CREAT|O_EXCL, which never follows a symlink nor opens anything that exists; a dangling
   * symlink on the way is followed *inside the root* and its target made there (as runc does),
   * so an image's "/etc/hostname -> /host/path" gets a file in the container, never on the host.
   */
  ensureFile(containerPath: string, mode = 0o644): number {
    let path = posix.resolve('/', containerPath)
    for (let links = 0; links <= 40; links++) {
      const existing = this.tryOpen(path)
      if (existing !== undefined) return existing
      const dir = this.mkdirAll(posix.dirname(path))
      const name = posix.basename(path)
      try {
        const shownDir = this.shown(posix.dirname(path))
        closeSync(openat2(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, mode, RESOLVE, shownDir))
        const fd = openat2(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE, shownDir)
        this.opened.push(fd)
        return fd
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      // It exists but does not resolve: a symlink to nowhere (yet). readlink fails (EINVAL) for
      // anything else, which is the right error too.
      path = posix.resolve(posix.dirname(path), readlinkSync(`${RootDir.fdPath(dir)}/${name}`))
    }
    throw new TockerError(`too many levels of symbolic links in ${containerPath}`, { code: 'ELOOP', internal: true })
  }

  /**
   * The contents of a file inside the root, or undefined when it does not exist. Only a regular
   * file of at most `maxBytes` is read (see the top of this file); anything else is a clear error.
   */
  readFile(containerPath: string, maxBytes = MAX_ROOT_FILE_BYTES): string | undefined {
    const pathFd = openat2IfExists(this.fd, rel(containerPath), O_PATH | O_CLOEXEC, 0, RESOLVE, this.path)
    if (pathFd === undefined) return undefined
    try {
      const fd = this.#openRegular(pathFd, containerPath, O_RDONLY, maxBytes)
      try {
        return readCapped(fd, containerPath, maxBytes).toString('utf8')
      } finally {
        closeSync(fd)
      }
    } finally {
      closeSync(pathFd)
    }
  }

  /**
   * Write an existing file inside the root: the /proc/sys files of linux.sysctl. No symlink is
   * followed on the way (procfs has none there; an image whose /proc is not procfs might), and
   * only a regular file is opened, O_NONBLOCK: never a FIFO left where /proc should be.
   */
  writeFile(containerPath: string, data: string): void {
    const pathFd = openat2(this.fd, rel(containerPath), O_PATH | O_CLOEXEC, 0, RESOLVE | RESOLVE_NO_SYMLINKS, this.path)
    try {
      const fd = this.#openRegular(pathFd, containerPath, O_WRONLY, Infinity)
      try {
        writeSync(fd, data)
      } finally {
        closeSync(fd)
      }
    } finally {
      closeSync(pathFd)
    }
  }

  /**
   * A real fd for what the O_PATH fd `pathFd` names, if it is a regular file no larger than
   * `maxBytes`: reopened through /proc/self/fd/N, which reaches exactly that inode whatever the
   * names do meanwhile, with O_NONBLOCK and O_NOCTTY.
   */
  #openRegular(pathFd: number, containerPath: string, flags: number, maxBytes: number): number {
    const st = fstatSync(pathFd)
    const verb = flags === O_WRONLY ? 'write' : 'read'
    if (!st.isFile()) throw unsafeFile(containerPath, `it is ${kindOf(st)}, not a regular file`, verb)
    if (st.size > maxBytes) throw unsafeFile(containerPath, `it is larger than ${mib(maxBytes)} (${mib(st.size)})`)
    const fd = traced(
      'syscall',
      'open',
      () => `${RootDir.fdPath(pathFd)} (${this.shown(containerPath)}), ${flags === O_WRONLY ? 'O_WRONLY' : 'O_RDONLY'}|O_NONBLOCK|O_NOCTTY|O_CLOEXEC`,
      () => openSync(RootDir.fdPath(pathFd), flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC),
      (fd) => `fd ${fd}`,
    )
    const again = fstatSync(fd)
    if (again.ino !== st.ino || again.dev !== st.dev) {
      closeSync(fd)
      throw unsafeFile(containerPath, 'it changed while it was opened', verb)
    }
    return fd
  }

  /** Close every fd this object handed out, and the root's own. */
  close(): void {
    for (const fd of this.opened.splice(0)) closeSync(fd)
    closeSync(this.fd)
  }
}

/** Read the file, but no more than `maxBytes` (past that: an error, the file grew since fstat). */
function readCapped(fd: number, containerPath: string, maxBytes: number): Buffer {
  const chunks: Buffer[] = []
  let total = 0
  for (;;) {
    const buf = Buffer.allocUnsafe(65536) // whole 64 KiB reads: /proc files such as pagemap want multiples of 8
    let n: number
    try {
      n = readSync(fd, buf, 0, buf.length, null)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw unsafeFile(containerPath, code === 'EAGAIN' ? 'reading it would block' : `read: ${code ?? (err as Error).message}`)
    }
    if (n === 0) return Buffer.concat(chunks, total)
    chunks.push(buf.subarray(0, n))
    total += n
    if (total > maxBytes) throw unsafeFile(containerPath, `it is larger than ${mib(maxBytes)}`)
  }
}

/** Docker's words (container.SetupWorkingDirectory) for a working directory that is a file. */
function notADirectory(containerPath: string): TockerError {
  return new TockerError(`Cannot mkdir: ${posix.resolve('/', containerPath)} is not a directory`, { code: 'ENOTDIR', status: 400 })
}

function unsafeFile(containerPath: string, why: string, verb: 'read' | 'write' = 'read'): TockerError {
  return new TockerError(`unable to ${verb} ${posix.resolve('/', containerPath)} in the container: ${why}`, { code: 'EUNSAFEFILE', hint: UNSAFE_FILE_HINT })
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  if (st.isDirectory()) return 'a directory'
  return 'not a regular file'
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${bytes} bytes`
}

function components(path: string): string[] {
  return path.split('/').filter((p) => p && p !== '.')
}

function rel(containerPath: string): string {
  const p = posix.resolve('/', containerPath)
  return p === '/' ? '.' : p.slice(1)
}
