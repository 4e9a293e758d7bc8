// What the kernel gives a new inode in a layer being written, so that LayerWriter makes fchown and
// fchmod only when that differs from the entry: a new inode belongs to our euid and to our egid, or
// to its directory's group when that directory is setgid (and a new directory there inherits the
// setgid bit); its permission bits are the ones asked for less the umask. Under a directory with a
// default ACL (system.posix_acl_default) the kernel derives the mode from the ACL instead: there
// owner and mode are always set explicitly.
import { lgetxattr } from '../../sys/fs.js'
import { isAtOrBelow, parentOf } from './layer-paths.js'
import type { TarEntry } from './tar-reader.js'

export const DEFAULT_ACL = 'system.posix_acl_default'

export class InodeDefaults {
  readonly umask: number
  readonly #uid: number
  readonly #gid: number
  // Directories of this layer that are setgid now, with their group: what a new inode in them gets.
  #sgid = new Map<string, number>()
  // Directories given a default ACL by the layer, and whether the root inherited one (unpredictable).
  #aclDirs = new Set<string>()
  #aclRoot: boolean

  /** `root`: the layer's directory (it may inherit a default ACL from the store's directories). */
  constructor(root: string, umask: number) {
    this.umask = umask
    this.#uid = process.geteuid?.() ?? 0
    this.#gid = process.getegid?.() ?? 0
    this.#aclRoot = lgetxattr(root, DEFAULT_ACL) !== undefined
  }

  /** Does a new inode at rel differ in owner from the entry? */
  needsChown(e: TarEntry, rel: string): boolean {
    return e.uid !== this.#uid || e.gid !== (this.#sgid.get(parentOf(rel)) ?? this.#gid) || this.unpredictable(rel)
  }

  /** Does a new inode at rel, created with mode's permission bits, end up with other bits than the entry's? */
  needsChmod(mode: number, rel: string): boolean {
    return (mode & 0o7777) !== (mode & 0o777 & ~this.umask) || this.unpredictable(rel)
  }

  /** Does a new directory at rel, made with mode's permission bits, end up with other bits than these? */
  dirNeedsChmod(mode: number, rel: string): boolean {
    const got = (mode & 0o777 & ~this.umask) | (this.#sgid.has(parentOf(rel)) ? 0o2000 : 0)
    return (mode & 0o7777) !== got || this.unpredictable(rel)
  }

  /** Is rel's parent setgid (a new directory there would inherit the bit)? */
  inSetgidDir(rel: string): boolean {
    return this.#sgid.has(parentOf(rel))
  }

  /** Under a default ACL the kernel's choice of mode is not the umask's: always set owner and mode. */
  unpredictable(rel: string): boolean {
    if (this.#aclRoot) return true
    if (this.#aclDirs.size === 0) return false
    for (let p = parentOf(rel);; p = parentOf(p)) {
      if (this.#aclDirs.has(p)) return true
      if (p === '') return false
    }
  }

  /** Remember whether a directory of this layer is setgid now (new inodes in it take its group). */
  noteDir(rel: string, mode: number, gid: number): void {
    if (mode & 0o2000) this.#sgid.set(rel, gid)
    else this.#sgid.delete(rel)
  }

  /** The layer gave rel a default ACL. */
  noteAcl(rel: string): void {
    this.#aclDirs.add(rel)
  }

  /** rel and everything below it were removed. */
  forget(rel: string): void {
    for (const p of this.#sgid.keys()) if (isAtOrBelow(p, rel)) this.#sgid.delete(p)
    for (const p of this.#aclDirs) if (isAtOrBelow(p, rel)) this.#aclDirs.delete(p)
  }
}
