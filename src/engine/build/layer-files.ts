// COPY/ADD's writes into the new layer directory: parents made or copied up from the image below
// (as overlayfs would copy them), trees and single entries copied with their owner, mode, times,
// hard links and file capabilities; directory times set last.
import { readlinkSync, linkSync, lstatSync, mkdirSync, rmSync, symlinkSync, chmodSync, lchownSync, lutimesSync, utimesSync, type Stats } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { TockerError } from '../../errors.js'
import { major, minor } from '../../image/diff/dir-tar.js'
import { LayerStack, type StackEntry } from '../../image/diff/layer-stack.js'
import { lgetxattr, lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../sys/fs.js'
import { cleanPath } from '../../dockerignore.js'

export interface Owner {
  uid: number
  gid: number
}

/** The new layer's files, written with what the image below has in mind. */
export class LayerFiles {
  #times: [string, Stats][] = []

  constructor(
    readonly target: string,
    readonly merged: LayerStack,
    readonly parentOwner: Owner,
  ) {}

  /** A destination path with the symlinks of its existing part resolved inside the image. */
  canonical(path: string): string {
    const clean = cleanPath('/' + path)
    if (clean === '/') return '/'
    const e = this.merged.tryLookup(clean, true)
    if (e) return e.path
    return posix.join(this.canonical(posix.dirname(clean)), posix.basename(clean))
  }

  existingDir(path: string): boolean {
    return this.merged.tryLookup(path, true)?.st.isDirectory() ?? false
  }

  /** mkdir -p in the layer: existing image directories are copied up (their mode and owner), new ones 0755. */
  ensureDir(path: string): void {
    let at = ''
    for (const part of cleanPath('/' + path).split('/').filter(Boolean)) {
      at = `${at}/${part}`
      const host = join(this.target, at)
      const here = lstatSync(host, { throwIfNoEntry: false })
      if (here?.isDirectory()) continue
      const below = this.merged.tryLookup(at, false)
      if (here) rmSync(host, { recursive: true, force: true })
      else if (below && !below.st.isDirectory()) throw new TockerError(`cannot copy to non-directory: ${at}`, { code: 'EBUILD' })
      mkdirSync(host)
      if (below?.st.isDirectory()) {
        chmodSync(host, below.st.mode & 0o7777)
        lchownSync(host, below.st.uid, below.st.gid)
      } else {
        chmodSync(host, 0o755)
        lchownSync(host, this.parentOwner.uid, this.parentOwner.gid)
      }
    }
  }

  async copyTree(stack: LayerStack, dir: StackEntry, dest: string, owner: Owner | undefined, mode: number | undefined): Promise<void> {
    const links = new Map<string, string>()
    const visit = async (d: StackEntry, to: string) => {
      for (const name of stack.readdir(d)) {
        const c = stack.child(d, name)!
        const t = to === '/' ? `/${name}` : `${to}/${name}`
        if (c.st.isDirectory()) {
          const host = join(this.target, t)
          const here = lstatSync(host, { throwIfNoEntry: false })
          if (here && !here.isDirectory()) rmSync(host, { force: true })
          // (A file in the image where the source has a directory: the directory replaces it.)
          if (!here?.isDirectory()) mkdirSync(host)
          this.#meta(host, c.st, owner, mode)
          await visit(c, t)
          this.#times.push([host, c.st])
        } else {
          await this.copyOne(c, t, owner, mode, links)
        }
      }
    }
    await visit(dir, dest)
  }

  /** One non-directory entry (a symlink is copied as a symlink). */
  async copyOne(e: StackEntry, to: string, owner: Owner | undefined, mode: number | undefined, links: Map<string, string>): Promise<void> {
    const host = join(this.target, to)
    const here = lstatSync(host, { throwIfNoEntry: false })
    if (here?.isDirectory()) throw new TockerError(`cannot replace to directory ${to} with file`, { code: 'EBUILD' })
    if (here) rmSync(host, { force: true })
    const st = e.st
    if (st.isFile() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`
      const first = links.get(key)
      if (first) {
        linkSync(first, host)
        return
      }
      links.set(key, host)
    }
    if (st.isFile()) {
      await copyFile(e.host, host)
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(e.host), host)
      lchownSync(host, owner?.uid ?? st.uid, owner?.gid ?? st.gid)
      lutimesSync(host, st.atime, st.mtime)
      return
    } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      const type = st.isCharacterDevice() ? S_IFCHR : st.isBlockDevice() ? S_IFBLK : S_IFIFO
      mknod(host, type | (st.mode & 0o7777), major(st.rdev), minor(st.rdev))
    } else {
      return // a socket: not copied
    }
    this.#meta(host, st, owner, mode)
    const cap = lgetxattr(e.host, 'security.capability')
    // chown (above) clears security.capability: set it after.
    if (cap && owner === undefined) lsetxattr(host, 'security.capability', cap)
    utimesSync(host, st.atime, st.mtime)
  }

  #meta(host: string, st: Stats, owner: Owner | undefined, mode: number | undefined): void {
    lchownSync(host, owner?.uid ?? st.uid, owner?.gid ?? st.gid)
    chmodSync(host, mode ?? st.mode & 0o7777)
  }

  /** Directory times last: creating entries changed them. */
  finish(): void {
    for (const [host, st] of this.#times.reverse()) utimesSync(host, st.atime, st.mtime)
  }
}
