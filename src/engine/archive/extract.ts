// A tar extracted into a directory of a container (PUT /containers/{id}/archive), as Docker's
// archive.Untar does it — with the container as the adversary:
//   - an entry's name must stay below the destination: absolute names, ".." components, a relative
//     symlink that points above the destination and a hard link to outside are refused (Docker's
//     "breakout" checks);
//   - nothing is ever written THROUGH a symlink: each entry's parent directories are walked from
//     the destination's fd one name at a time (lstat, then an O_NOFOLLOW|O_DIRECTORY open that must
//     find the same inode), a symlink on the way is an error, and every change is made on one name
//     inside a held directory fd (/proc/self/fd/<dir>/<name>): create with O_CREAT|O_EXCL|O_NOFOLLOW,
//     lchown, lutimes, unlink; modes of directories and devices are set through their own O_PATH fd.
//     So a container that swaps a directory for a symlink to "/" in the middle of the copy
//     (CVE-2018-15664) only makes the copy fail: every write lands in the directory the engine
//     holds, which the container cannot move out of its own file system;
//   - kernel file systems (/proc, /sys, cgroupfs) are not written into;
//   - what is in the way is replaced as Docker does (a directory only when noOverwriteDirNonDir is
//     off, removed one held directory at a time, never following a link).
// Every file operation is asynchronous (libuv's threads); the request body is read one chunk at a
// time and the next only after this one's operations are done (back-pressure on the client).
import { closeSync, constants as fsc, fstatSync, openSync, promises as fsp, type Stats } from 'node:fs'
import { posix } from 'node:path'
import { TockerError } from '../../errors.js'
import { mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../sys/fs.js'
import { O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_PATH } from '../../sys/mount.js'
import { TarFormatError, TarReader, type TarEntry } from '../../image/unpack/tar-reader.js'
import { at, fdPath, pseudoFs } from './in-root.js'

export interface ExtractOptions {
  /** Docker's noOverwriteDirNonDir: a directory never replaces a file nor a file a directory. */
  noOverwriteDirNonDir: boolean
  /** copyUIDGID: every entry owned by this user instead of the archive's owners. */
  owner?: { uid: number; gid: number }
}

export interface ExtractStats {
  entries: number
  bytes: number
}

type Op = () => Promise<void> | void

/**
 * Extract the tar `body` into the directory `destFd` (an O_PATH fd resolved in the container's
 * root); `destShown` is its container path (for messages).
 */
export async function extractInto(destFd: number, destShown: string, body: AsyncIterable<Buffer>, opts: ExtractOptions): Promise<ExtractStats> {
  const x = new Extractor(destFd, destShown, opts)
  const ops: Op[] = []
  const reader = new TarReader({
    entry: (e) => void ops.push(() => x.entry(e)),
    data: (chunk) => void ops.push(() => x.data(chunk)),
    endEntry: () => void ops.push(() => x.endEntry()),
  })
  const run = async () => {
    while (ops.length) await ops.shift()!()
  }
  try {
    for await (const chunk of body) {
      try {
        reader.write(chunk)
      } catch (err) {
        await run() // what came before the bad member is written, as Docker's Untar does
        throw badTar(err)
      }
      await run()
    }
    try {
      reader.end()
    } catch (err) {
      throw badTar(err)
    }
    await x.finish()
    return x.stats
  } finally {
    await x.close()
  }
}

function badTar(err: unknown): unknown {
  return err instanceof TarFormatError ? new TockerError(`Error processing tar file: ${err.message}`, { code: 'EINVALID', daemon: true, cause: err }) : err
}

class Extractor {
  readonly stats: ExtractStats = { entries: 0, bytes: 0 }
  /** Directory fds along the current entry's parents: relative path -> fd ('' is the destination). */
  #dirs = new Map<string, number>()
  #file?: { h: fsp.FileHandle; e: TarEntry; shown: string }
  /** Directory times are set last: creating entries in them changes them. */
  #dirTimes: { rel: string; e: TarEntry }[] = []

  constructor(
    readonly destFd: number,
    readonly destShown: string,
    readonly opts: ExtractOptions,
  ) {
    this.#dirs.set('', destFd)
  }

  #shown(rel: string): string {
    return rel === '' ? this.destShown : posix.join(this.destShown, rel)
  }

  async entry(e: TarEntry): Promise<void> {
    const rel = this.#checkedName(e.path, e.path)
    this.stats.entries++
    if (rel === '') {
      if (e.type !== 'dir') throw this.#refuse(e.path, `a ${e.type} cannot replace the destination directory ${this.destShown}`)
      await this.#meta(this.destFd, e)
      this.#dirTimes.push({ rel, e })
      return
    }
    const parentRel = posix.dirname(rel) === '.' ? '' : posix.dirname(rel)
    const base = posix.basename(rel)
    const parent = await this.#parent(parentRel, e.path, true)
    const path = at(parent, base)
    const existing = await lstatOrUndefined(path)
    if (existing) {
      const isDir = e.type === 'dir'
      if (this.opts.noOverwriteDirNonDir && existing.isDirectory() && !isDir) {
        throw new TockerError(`cannot overwrite directory ${JSON.stringify(this.#shown(rel))} with non-directory ${JSON.stringify(e.path)}`, { code: 'EINVALID', daemon: true })
      }
      if (this.opts.noOverwriteDirNonDir && !existing.isDirectory() && isDir) {
        throw new TockerError(`cannot overwrite non-directory ${JSON.stringify(this.#shown(rel))} with directory ${JSON.stringify(e.path)}`, { code: 'EINVALID', daemon: true })
      }
      if (!(existing.isDirectory() && isDir)) await this.#remove(parent, base, existing, rel)
    }
    switch (e.type) {
      case 'dir': {
        if (!existing?.isDirectory()) await fsp.mkdir(path, 0o700)
        const fd = openDir(path, this.#shown(rel))
        try {
          await this.#meta(fd, e, parent, base)
        } finally {
          closeSync(fd)
        }
        this.#dirTimes.push({ rel, e })
        return
      }
      case 'file': {
        const h = await fsp.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        this.#file = { h, e, shown: this.#shown(rel) }
        this.stats.bytes += e.size
        return
      }
      case 'symlink': {
        if (!e.linkpath) throw this.#refuse(e.path, 'a symbolic link without a target')
        // Docker's check: a relative target must not climb above the destination. An absolute one
        // means the container's own root (resolved by the container, never by the engine).
        if (!e.linkpath.startsWith('/') && posix.join(parentRel, e.linkpath).split('/')[0] === '..') {
          throw this.#refuse(e.path, `invalid symlink ${JSON.stringify(this.#shown(rel))} -> ${JSON.stringify(e.linkpath)}: it points outside of ${this.destShown}`)
        }
        await fsp.symlink(e.linkpath, path)
        await fsp.lchown(path, ...this.#owner(e))
        await fsp.lutimes(path, e.atime ?? e.mtime, e.mtime)
        return
      }
      case 'hardlink': {
        const target = this.#checkedName(e.path, e.linkpath, 'hard link target')
        if (target === '') throw this.#refuse(e.path, 'a hard link to the destination directory')
        const tParentRel = posix.dirname(target) === '.' ? '' : posix.dirname(target)
        const tParent = await this.#parent(tParentRel, e.path, false)
        const tPath = at(tParent, posix.basename(target))
        const tst = await lstatOrUndefined(tPath)
        if (!tst) throw this.#refuse(e.path, `hard link to ${JSON.stringify(e.linkpath)}, which the archive did not create`)
        if (tst.isDirectory()) throw this.#refuse(e.path, `hard link to the directory ${JSON.stringify(e.linkpath)}`)
        // link(2) without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to.
        // The target's parent may be a different fd than `parent` (closed by #parent meanwhile):
        // resolve `parent` again.
        const again = await this.#parent(parentRel, e.path, false)
        await fsp.link(tPath, at(again, base))
        return
      }
      case 'char':
      case 'block':
      case 'fifo': {
        const type = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO
        mknod(path, type | 0o600, e.devmajor, e.devminor)
        const fd = openSync(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)
        try {
          await this.#meta(fd, e, parent, base)
        } finally {
          closeSync(fd)
        }
        return
      }
    }
  }

  async data(chunk: Buffer): Promise<void> {
    const f = this.#file
    if (!f) return
    let off = 0
    while (off < chunk.length) off += (await f.h.write(chunk, off, chunk.length - off)).bytesWritten
  }

  async endEntry(): Promise<void> {
    const f = this.#file
    if (!f) return
    this.#file = undefined
    try {
      // chown first: the kernel clears setuid/setgid on chown.
      await f.h.chown(...this.#owner(f.e))
      await f.h.chmod(f.e.mode & 0o7777)
      await f.h.utimes(f.e.atime ?? f.e.mtime, f.e.mtime)
    } finally {
      await f.h.close()
    }
  }

  /** After the last entry: the directories' times, each directory found again from the destination. */
  async finish(): Promise<void> {
    for (const { rel, e } of this.#dirTimes.reverse()) {
      if (rel === '') {
        await fsp.utimes(fdPath(this.destFd), e.atime ?? e.mtime, e.mtime)
        continue
      }
      const parent = await this.#parent(posix.dirname(rel) === '.' ? '' : posix.dirname(rel), rel, false)
      await fsp.lutimes(at(parent, posix.basename(rel)), e.atime ?? e.mtime, e.mtime)
    }
  }

  async close(): Promise<void> {
    if (this.#file) await this.#file.h.close().catch(() => {})
    this.#file = undefined
    for (const [rel, fd] of this.#dirs) if (rel !== '') closeSync(fd)
    this.#dirs.clear()
  }

  /** Owner, then mode, of what `fd` (O_PATH) is. chmod goes through the fd: never through a name. */
  async #meta(fd: number, e: TarEntry, parent?: number, base?: string): Promise<void> {
    const [uid, gid] = this.#owner(e)
    if (parent !== undefined && base !== undefined) await fsp.lchown(at(parent, base), uid, gid)
    else await fsp.chown(fdPath(fd), uid, gid)
    await fsp.chmod(fdPath(fd), e.mode & 0o7777)
  }

  #owner(e: TarEntry): [number, number] {
    return this.opts.owner ? [this.opts.owner.uid, this.opts.owner.gid] : [e.uid, e.gid]
  }

  /**
   * The O_PATH fd of the directory `rel` below the destination, each missing directory made (0755,
   * as Docker makes implicit parents) when `create`. A symlink or a non-directory on the way is an
   * error; so is a kernel file system.
   */
  async #parent(rel: string, entry: string, create: boolean): Promise<number> {
    const known = this.#dirs.get(rel)
    if (known !== undefined) return known
    // Keep only the fds of rel's ancestors (entries come depth first: this stays a short chain).
    for (const [p, fd] of [...this.#dirs]) {
      if (p !== '' && !(rel === p || rel.startsWith(p + '/'))) {
        closeSync(fd)
        this.#dirs.delete(p)
      }
    }
    let cur = this.destFd
    let done = ''
    for (const name of rel.split('/')) {
      const next = done === '' ? name : `${done}/${name}`
      const cached = this.#dirs.get(next)
      if (cached !== undefined) {
        cur = cached
        done = next
        continue
      }
      const path = at(cur, name)
      let st = await lstatOrUndefined(path)
      if (!st && create) {
        await fsp.mkdir(path, 0o755).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err
        })
        st = await lstatOrUndefined(path)
      }
      if (!st) throw this.#refuse(entry, `${JSON.stringify(this.#shown(next))} does not exist`, 404)
      if (st.isSymbolicLink()) throw this.#refuse(entry, `${JSON.stringify(this.#shown(next))} is a symbolic link: tocker does not write through links in a container (they could lead out of it)`)
      if (!st.isDirectory()) throw this.#refuse(entry, `${JSON.stringify(this.#shown(next))} is not a directory`)
      const fd = openDir(path, this.#shown(next), st)
      const fs = pseudoFs(fd)
      if (fs) {
        closeSync(fd)
        throw this.#refuse(entry, `${this.#shown(next)} is a ${fs} file system (the kernel's, not files of the container)`)
      }
      this.#dirs.set(next, fd)
      cur = fd
      done = next
    }
    return cur
  }

  /** Remove what is at parent/base (a directory with everything in it), never following a link. */
  async #remove(parent: number, base: string, st: Stats, rel: string): Promise<void> {
    if (!st.isDirectory()) return fsp.unlink(at(parent, base))
    for (const [p, fd] of [...this.#dirs]) {
      if (p === rel || p.startsWith(rel + '/')) {
        closeSync(fd)
        this.#dirs.delete(p)
      }
    }
    await removeTree(parent, base, this.#shown(rel))
  }

  #checkedName(entry: string, name: string, what = 'name'): string {
    if (name.startsWith('/')) throw this.#refuse(entry, `its ${what} is absolute: it would land outside of ${this.destShown}`)
    const parts: string[] = []
    for (const part of name.split('/')) {
      if (part === '' || part === '.') continue
      if (part === '..') throw this.#refuse(entry, `its ${what} has a ".." component: it could land outside of ${this.destShown}`)
      parts.push(part)
    }
    return parts.join('/')
  }

  #refuse(entry: string, why: string, status = 400): TockerError {
    return new TockerError(`refusing to extract ${JSON.stringify(entry)}: ${why}`, { status, daemon: true, code: 'EUNSAFEARCHIVE' })
  }
}

/** rm -r of parent/base, one held directory at a time (a link inside is removed, never followed). */
async function removeTree(parent: number, base: string, shown: string, depth = 0): Promise<void> {
  if (depth > 4096) throw new TockerError(`${shown}: too deep to remove`, { code: 'EINVALID', daemon: true })
  let fd: number
  try {
    fd = openDir(at(parent, base), shown)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR' || code === 'ELOOP') return fsp.unlink(at(parent, base)) // swapped for a file or link meanwhile
    throw err
  }
  try {
    for (const name of await fsp.readdir(fdPath(fd))) {
      const st = await lstatOrUndefined(at(fd, name))
      if (!st) continue
      if (st.isDirectory()) await removeTree(fd, name, `${shown}/${name}`, depth + 1)
      else await fsp.unlink(at(fd, name))
    }
  } finally {
    closeSync(fd)
  }
  await fsp.rmdir(at(parent, base))
}

/** An O_PATH fd of the directory at `path` (one name in a held directory), checked against `st`. */
function openDir(path: string, shown: string, st?: Stats): number {
  // O_PATH: a lookup of one name, no I/O on the directory itself.
  const fd = openSync(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
  if (st) {
    const now = fstatSync(fd)
    if (now.ino !== st.ino || now.dev !== st.dev) {
      closeSync(fd)
      throw new TockerError(`${shown} changed in the container while it was being copied into`, { code: 'ECONFLICT', daemon: true })
    }
  }
  return fd
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
