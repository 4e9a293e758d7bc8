// Writes the entries of one layer tar into <layer>/diff in the form overlayfs wants as a lowerdir.
//
// The OCI/Docker layer format marks deletions with names overlayfs does not understand; they are
// translated here into what overlayfs reads in a lower layer:
//   <dir>/.wh.<name>    "name was deleted"      -> a 0:0 character device called <name>
//   <dir>/.wh..wh..opq  "dir replaces, not merges" -> xattr trusted.overlay.opaque="y" on <dir>
// Both only hide what LOWER layers have: content of the same layer stays visible whatever the order
// of the entries (OCI image spec, "Whiteouts"). Since each layer gets a directory of its own, the
// opaque marker never deletes anything here; a whiteout is skipped when its layer also has the name.
//
// Hostile layers: every name is checked before anything is written. Absolute names, ".." components,
// names whose parent is a symlink (an earlier entry "a" -> /etc, then "a/passwd"), and hard links
// to such paths are refused with an error naming the entry; the caller then removes everything.
// Files are created with O_EXCL|O_NOFOLLOW, so no write ever follows a symlink.
//
// All calls are synchronous: they run in the unpacking thread (see unpack-worker.ts) in between the
// decompressor's chunks (kernel work for small files is short; the page cache absorbs the data).
//
// Few system calls per entry: a file is created with its final permission bits (one openat; the
// kernel applies the umask), and fchown/fchmod are made only when the kernel's own choice differs
// from the entry: a new inode belongs to our euid and to our egid, or to its directory's group when
// that directory is setgid (and a new directory there inherits the setgid bit). A root-owned 0644
// file costs openat, write, futimens, close; a root-owned 0755 directory mkdir and, at the end, its
// times.
import {
  closeSync,
  constants as fsc,
  fchmodSync,
  fchownSync,
  futimesSync,
  chmodSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs'
import { join } from 'node:path'
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../sys/fs.js'
import { DEFAULT_ACL, InodeDefaults } from './inode-defaults.js'
import { checkedPath, isAtOrBelow, OPAQUE_MARKER, OPAQUE_XATTR, parentOf, UnsafeLayerError, WHITEOUT_PREFIX } from './layer-paths.js'
import type { TarEntry, TarHandler } from './tar-reader.js'
import type { TarSplitWriter } from './tar-split.js'

export { checkedPath, OPAQUE_MARKER, OPAQUE_XATTR, UnsafeLayerError, WHITEOUT_PREFIX } from './layer-paths.js'

const CREATE_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW

interface OpenFile {
  fd: number
  entry: TarEntry
  rel: string
}

export class LayerWriter implements TarHandler {
  readonly root: string
  /** Bytes of regular-file content written (the layer's size as `images` shows it). */
  size = 0
  #shadowDir: string
  #split?: TarSplitWriter
  #file?: OpenFile
  #inline = false // the current entry's content is not written to a file: keep it in tar-split
  #dirs = new Set<string>(['']) // relative paths known to be real directories (not symlinks)
  #whiteouts = new Set<string>() // 0:0 devices this writer made (real entries may replace them)
  #dirTimes = new Map<string, [number, number]>() // set last: creating entries changes a dir's mtime
  #live = new Map<string, number>() // file path -> tar-split id of the content it holds
  // Every path this writer created. The layer directory starts empty, so a path not in here does
  // not exist: most entries need no lstat at all.
  #created = new Set<string>([''])
  /** What the kernel gives a new inode here (owner, mode): fchown/fchmod only where it differs. */
  #inodes: InodeDefaults
  #shadows = 0

  /**
   * `literal`: the tar is not a layer but plain files (a build context, an archive ADD unpacks):
   * names starting with ".wh." are ordinary names, not deletions.
   */
  readonly #literal: boolean

  constructor(layerDir: string, split?: TarSplitWriter, opts: { literal?: boolean; umask?: number } = {}) {
    this.#literal = opts.literal ?? false
    this.root = join(layerDir, 'diff')
    this.#shadowDir = join(layerDir, 'shadow')
    this.#split = split
    mkdirSync(this.root, { mode: 0o755 })
    chmodSync(this.root, 0o755)
    // process.umask() only reads it (setting it is what worker threads may not do).
    this.#inodes = new InodeDefaults(this.root, opts.umask ?? process.umask())
  }

  raw(chunk: Buffer): void {
    this.#split?.raw(chunk)
  }

  entry(e: TarEntry): void {
    const rel = checkedPath(e.path, e.path)
    this.#inline = true
    const base = rel.slice(rel.lastIndexOf('/') + 1)
    if (base.startsWith(WHITEOUT_PREFIX) && !this.#literal) return this.#whiteout(e, rel, base)
    if (rel === '' && e.type !== 'dir') throw new UnsafeLayerError(e.path, `a ${e.type} cannot replace the layer's root directory`)
    switch (e.type) {
      case 'dir':
        return this.#dir(e, rel)
      case 'file':
        return this.#regular(e, rel)
      case 'hardlink':
        return this.#hardlink(e, rel)
      case 'symlink':
        return this.#symlink(e, rel)
      case 'char':
      case 'block':
      case 'fifo':
        return this.#special(e, rel)
    }
  }

  data(chunk: Buffer): void {
    if (this.#file) {
      writeAll(this.#file.fd, chunk)
    } else if (this.#inline) {
      this.#split?.raw(chunk)
    }
  }

  endEntry(): void {
    const f = this.#file
    if (!f) return
    this.#file = undefined
    try {
      // chown first: the kernel clears setuid/setgid bits and security.capability on chown.
      const chowned = this.#inodes.needsChown(f.entry, f.rel)
      if (chowned) fchownSync(f.fd, f.entry.uid, f.entry.gid)
      if (chowned || this.#inodes.needsChmod(f.entry.mode, f.rel)) fchmodSync(f.fd, f.entry.mode)
      this.#xattrs(f.entry, f.rel)
      futimesSync(f.fd, f.entry.atime ?? f.entry.mtime, f.entry.mtime)
    } finally {
      closeSync(f.fd)
    }
  }

  /** After the last entry: directory times (any earlier, creating entries would have changed them). */
  finish(): void {
    for (const [rel, [atime, mtime]] of this.#dirTimes) utimesSync(this.#abs(rel), atime, mtime)
  }

  /** Stop after a failure: close what is open (the caller removes the directory). */
  abort(): void {
    if (this.#file) {
      try {
        closeSync(this.#file.fd)
      } catch {
        // already closed
      }
      this.#file = undefined
    }
  }

  #abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel)
  }

  #lstat(rel: string): Stats | undefined {
    return this.#created.has(rel) ? lstatOrUndefined(this.#abs(rel)) : undefined
  }

  #whiteout(e: TarEntry, rel: string, base: string): void {
    const parent = parentOf(rel)
    this.#ensureParent(e.path, rel)
    if (base === OPAQUE_MARKER) {
      lsetxattr(this.#abs(parent), OPAQUE_XATTR, Buffer.from('y'))
      return
    }
    const name = base.slice(WHITEOUT_PREFIX.length)
    // ".wh..wh.*" other than the opaque marker are AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): no meaning here.
    if (name.startsWith(WHITEOUT_PREFIX)) return
    if (name === '' || name === '.' || name === '..') throw new UnsafeLayerError(e.path, 'whiteout of an invalid name')
    const target = parent === '' ? name : `${parent}/${name}`
    if (this.#lstat(target)) return // this layer has the name itself (or already whited it out)
    mknod(this.#abs(target), S_IFCHR, 0, 0)
    this.#created.add(target)
    this.#whiteouts.add(target)
  }

  #dir(e: TarEntry, rel: string): void {
    const abs = this.#abs(rel)
    let made = false
    if (rel !== '') {
      this.#ensureParent(e.path, rel)
      const st = this.#lstat(rel)
      if (!st?.isDirectory()) {
        if (st) this.#remove(rel, st)
        mkdirSync(abs, e.mode & 0o777)
        this.#created.add(rel)
        made = true
      }
      this.#dirs.add(rel)
    }
    if (made) {
      // New: the kernel gave it our owner (or a setgid parent's group, and the setgid bit) and the
      // entry's permission bits less the umask.
      const chowned = this.#inodes.needsChown(e, rel)
      if (chowned) lchownSync(abs, e.uid, e.gid)
      if (chowned || this.#inodes.dirNeedsChmod(e.mode, rel)) chmodSync(abs, e.mode)
    } else {
      // A directory that was there already (the root, or one made for an earlier entry inside it).
      lchownSync(abs, e.uid, e.gid)
      chmodSync(abs, e.mode)
    }
    this.#inodes.noteDir(rel, e.mode, e.gid)
    this.#xattrs(e, rel)
    this.#dirTimes.set(rel, [e.atime ?? e.mtime, e.mtime])
  }

  #regular(e: TarEntry, rel: string): void {
    this.#ensureParent(e.path, rel)
    this.#clear(rel)
    // Created with its final permission bits: the layer is built inside the store's private tmp/
    // session (0700), where nobody else can open it meanwhile.
    const fd = openSync(this.#abs(rel), CREATE_FLAGS, e.mode & 0o777)
    this.#created.add(rel)
    this.#file = { fd, entry: e, rel }
    this.#inline = false
    this.size += e.size
    if (e.size > 0 && this.#split) this.#live.set(rel, this.#split.file(rel, e.size))
  }

  #hardlink(e: TarEntry, rel: string): void {
    if (e.linkpath === '') throw new UnsafeLayerError(e.path, 'hard link without a target')
    const target = checkedPath(e.path, e.linkpath, 'hard link target')
    if (target === '') throw new UnsafeLayerError(e.path, 'hard link to the layer root')
    if (target === rel) return
    // The target's parents must be real directories of this layer: a link made through a
    // symlinked parent would pin a file from outside the layer.
    this.#checkExistingParents(e.path, target)
    const st = this.#lstat(target)
    if (!st) throw new UnsafeLayerError(e.path, `hard link to ${JSON.stringify(e.linkpath)}, which is not in the layer`)
    if (st.isDirectory()) throw new UnsafeLayerError(e.path, `hard link to the directory ${JSON.stringify(e.linkpath)}`)
    this.#ensureParent(e.path, rel)
    this.#clear(rel)
    // link(2) does not follow a symlink given as the target: it links the symlink itself.
    linkSync(this.#abs(target), this.#abs(rel))
    this.#created.add(rel)
  }

  #symlink(e: TarEntry, rel: string): void {
    if (e.linkpath === '') throw new UnsafeLayerError(e.path, 'symbolic link without a target')
    this.#ensureParent(e.path, rel)
    this.#clear(rel)
    const abs = this.#abs(rel)
    // The target is stored as text and only resolved later, inside the container's root: an
    // absolute or "../" target is fine here; writing THROUGH it is what #ensureParent refuses.
    symlinkSync(e.linkpath, abs)
    this.#created.add(rel)
    if (this.#inodes.needsChown(e, rel)) lchownSync(abs, e.uid, e.gid)
    this.#xattrs(e, rel)
    lutimesSync(abs, e.atime ?? e.mtime, e.mtime)
  }

  #special(e: TarEntry, rel: string): void {
    this.#ensureParent(e.path, rel)
    this.#clear(rel)
    const abs = this.#abs(rel)
    const type = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO
    mknod(abs, type | e.mode, e.devmajor, e.devminor)
    this.#created.add(rel)
    lchownSync(abs, e.uid, e.gid)
    chmodSync(abs, e.mode) // mknod's mode went through the umask
    this.#xattrs(e, rel)
    lutimesSync(abs, e.atime ?? e.mtime, e.mtime)
  }

  #xattrs(e: TarEntry, rel: string): void {
    for (const [name, value] of e.xattrs) {
      // trusted.overlay.* steers overlayfs itself (opaque, redirect, metacopy): only the whiteout
      // translation above may set it, never the layer's own PAX records.
      if (name.startsWith('trusted.overlay.')) continue
      if (name === DEFAULT_ACL) this.#inodes.noteAcl(rel)
      try {
        lsetxattr(this.#abs(rel), name, value)
      } catch (err) {
        // A name space this file system does not support (e.g. security.selinux on a host without it).
        if ((err as { code?: string }).code === 'ENOTSUP' || (err as { code?: string }).code === 'EOPNOTSUPP') continue
        throw err
      }
    }
  }

  /**
   * Make sure every parent of `rel` is a real directory inside the layer, creating missing ones
   * (mode 0755, as Docker does). A symlink on the way means the entry would land elsewhere.
   */
  #ensureParent(name: string, rel: string): void {
    const parent = parentOf(rel)
    if (this.#dirs.has(parent)) return
    let at = ''
    for (const part of parent.split('/')) {
      at = at === '' ? part : `${at}/${part}`
      if (this.#dirs.has(at)) continue
      const st = this.#lstat(at)
      if (!st) {
        this.#implicitDir(at)
      } else if (st.isSymbolicLink()) {
        throw new UnsafeLayerError(name, `its parent ${JSON.stringify(at)} is a symbolic link: writing through it could leave the layer`)
      } else if (!st.isDirectory()) {
        if (!this.#whiteouts.has(at)) throw new UnsafeLayerError(name, `its parent ${JSON.stringify(at)} is not a directory`)
        this.#remove(at, st) // a whiteout of this layer gives way to this layer's own content
        this.#implicitDir(at)
      }
      this.#dirs.add(at)
    }
  }

  /** A parent no entry describes: 0755 (as Docker makes them), never setgid, group as the kernel chose. */
  #implicitDir(rel: string): void {
    const abs = this.#abs(rel)
    mkdirSync(abs, 0o755)
    if (this.#inodes.inSetgidDir(rel) || (0o755 & this.#inodes.umask) !== 0 || this.#inodes.unpredictable(rel)) chmodSync(abs, 0o755)
    this.#created.add(rel)
  }

  /** Like #ensureParent, for a path that must already exist (a hard link's target). */
  #checkExistingParents(name: string, rel: string): void {
    let at = ''
    for (const part of parentOf(rel).split('/')) {
      if (part === '') break
      at = at === '' ? part : `${at}/${part}`
      if (this.#dirs.has(at)) continue
      const st = this.#lstat(at)
      if (st?.isSymbolicLink()) throw new UnsafeLayerError(name, `its target's parent ${JSON.stringify(at)} is a symbolic link`)
      if (!st?.isDirectory()) throw new UnsafeLayerError(name, `hard link to a path that is not in the layer`)
      this.#dirs.add(at)
    }
  }

  /** Make room for a new non-directory entry at rel (a later entry of the same name wins). */
  #clear(rel: string): void {
    const st = this.#lstat(rel)
    if (st) this.#remove(rel, st)
  }

  #remove(rel: string, st: Stats): void {
    const abs = this.#abs(rel)
    this.#created.delete(rel)
    if (this.#whiteouts.delete(rel)) {
      unlinkSync(abs)
      return
    }
    const moved = [...this.#live].filter(([p]) => isAtOrBelow(p, rel))
    if (moved.length > 0) {
      // Content tar-split still refers to: keep it aside so `save` can rebuild the original tar.
      mkdirSync(this.#shadowDir, { recursive: true, mode: 0o700 })
      const n = this.#shadows++
      renameSync(abs, join(this.#shadowDir, String(n)))
      const shadow = `shadow/${n}`
      for (const [p, id] of moved) {
        this.#split?.moved(id, shadow + p.slice(rel.length))
        this.#live.delete(p)
      }
    } else if (st.isDirectory()) {
      rmSync(abs, { recursive: true, force: true })
    } else {
      unlinkSync(abs)
    }
    if (st.isDirectory()) {
      for (const set of [this.#dirs, this.#whiteouts, this.#created]) for (const p of set) if (isAtOrBelow(p, rel)) set.delete(p)
      for (const p of this.#dirTimes.keys()) if (isAtOrBelow(p, rel)) this.#dirTimes.delete(p)
      this.#inodes.forget(rel)
    }
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false })
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off)
}
