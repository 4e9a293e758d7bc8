// An image's file tree read straight from its unpacked layers, the way overlayfs shows them merged,
// without mounting anything: what a build needs to copy files out of an image (COPY --from) and
// to know what already exists where a step writes (COPY's destination, WORKDIR).
//
// The rules overlayfs applies (Documentation/filesystems/overlayfs.rst), top layer first:
//   - a name in an upper layer hides the same name below, unless both are directories: then the
//     directory is a merge of all the layers that have it as a directory, down to the first one
//     marked opaque (trusted.overlay.opaque=y), which hides everything under it in lower layers;
//   - a character device 0:0 is a whiteout: the name does not exist (from that layer down).
// Symbolic links are resolved inside the image's root: "/" and ".." at the top mean the image's
// root, never the host's (at most 40 links per lookup, like the kernel).
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../../errors.js'
import { lgetxattr } from '../../sys/fs.js'

export interface StackEntry {
  /** The entry's path in the image ("/usr/bin"), links resolved. */
  path: string
  st: Stats
  /** Where it is on the host: the topmost layer's copy (for a directory: every layer's, top first). */
  host: string
  dirs?: string[]
}

/** A lookup through the layers failed as the kernel's would (code: the errno it would give). */
export class StackError extends TockerError {
  declare readonly code: 'ENOENT' | 'ENOTDIR' | 'ELOOP'

  constructor(
    code: 'ENOENT' | 'ENOTDIR' | 'ELOOP',
    readonly path: string,
  ) {
    super(`${code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : 'too many levels of symbolic links'}: ${path}`, { code, internal: true })
    this.name = 'StackError'
  }
}

const MAX_LINKS = 40

export class LayerStack {
  /**
   * `layers`: the layer directories, top first. `plain`: a directory that is not a layer (a build
   * context): no whiteouts or opaque marks in it.
   */
  constructor(
    readonly layers: string[],
    readonly plain = false,
  ) {}

  /** The root directory. */
  root(): StackEntry {
    const dirs: string[] = []
    for (const l of this.layers) {
      dirs.push(l)
      if (!this.plain && isOpaque(l)) break
    }
    return { path: '/', st: lstatSync(this.layers[0] ?? '/nonexistent-empty-stack', { throwIfNoEntry: false }) ?? fakeDirStats(), host: this.layers[0] ?? '', dirs }
  }

  /**
   * Look a path up. `follow`: resolve a symbolic link at the end too (stat rather than lstat).
   * Throws StackError ENOENT/ENOTDIR/ELOOP.
   */
  lookup(path: string, follow = true): StackEntry {
    return this.#resolve(this.root(), components(path), follow, { n: 0 })
  }

  /** Like lookup(), but undefined when the path (or a parent) does not exist. */
  tryLookup(path: string, follow = true): StackEntry | undefined {
    try {
      return this.lookup(path, follow)
    } catch (err) {
      if (err instanceof StackError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined
      throw err
    }
  }

  /** The merged names of a directory entry, in byte order. */
  readdir(dir: StackEntry): string[] {
    const seen = new Set<string>()
    const names: string[] = []
    for (const d of dir.dirs ?? []) {
      for (const name of readdirSync(d)) {
        if (seen.has(name)) continue
        seen.add(name)
        const st = lstatSync(join(d, name), { throwIfNoEntry: false })
        if (!st || this.#isWhiteout(st)) continue
        names.push(name)
      }
    }
    return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  }

  /** A child of a directory entry (no link resolution: the child itself). */
  child(dir: StackEntry, name: string): StackEntry | undefined {
    return this.#child(dir, name)
  }

  /** A regular file's content, at most `max` bytes (undefined when it is not a regular file). */
  readFile(path: string, max = 4 << 20): Buffer | undefined {
    const e = this.tryLookup(path, true)
    if (!e || !e.st.isFile() || e.st.size > max) return undefined
    return readFileSync(e.host)
  }

  #isWhiteout(st: Stats): boolean {
    return !this.plain && st.isCharacterDevice() && st.rdev === 0
  }

  #child(dir: StackEntry, name: string): StackEntry | undefined {
    const path = dir.path === '/' ? `/${name}` : `${dir.path}/${name}`
    const layers = dir.dirs ?? []
    for (let i = 0; i < layers.length; i++) {
      const host = join(layers[i], name)
      const st = lstatSync(host, { throwIfNoEntry: false })
      if (!st) continue
      if (this.#isWhiteout(st)) return undefined
      if (!st.isDirectory()) return { path, st, host }
      // A directory: merged with the same directory in the lower layers of this directory's own
      // stack, down to an opaque one (or a layer where the name is not a directory).
      const dirs = [host]
      if (this.plain || !isOpaque(host)) {
        for (let j = i + 1; j < layers.length; j++) {
          const below = join(layers[j], name)
          const bst = lstatSync(below, { throwIfNoEntry: false })
          if (!bst) continue
          if (!bst.isDirectory()) break
          dirs.push(below)
          if (!this.plain && isOpaque(below)) break
        }
      }
      return { path, st, host, dirs }
    }
    return undefined
  }

  /** Walk `parts` from the root, links resolved inside the root (securejoin's algorithm). */
  #resolve(root: StackEntry, parts: string[], follow: boolean, links: { n: number }): StackEntry {
    const done: string[] = [] // canonical components of the current directory
    let cur = root
    const pending = [...parts]
    const reenter = () => {
      // The directory at `done` again (after ".." or a link): its components are real directories.
      cur = root
      for (const name of done) cur = this.#child(cur, name)!
    }
    while (pending.length) {
      const name = pending.shift()!
      if (name === '..') {
        done.pop() // ".." of the root is the root
        reenter()
        continue
      }
      if (!cur.st.isDirectory()) throw new StackError('ENOTDIR', cur.path)
      const next = this.#child(cur, name)
      if (!next) throw new StackError('ENOENT', cur.path === '/' ? `/${name}` : `${cur.path}/${name}`)
      if (next.st.isSymbolicLink() && (pending.length > 0 || follow)) {
        if (++links.n > MAX_LINKS) throw new StackError('ELOOP', next.path)
        const target = readlinkSync(next.host, 'utf8')
        if (target.startsWith('/')) {
          done.length = 0
          reenter()
        }
        pending.unshift(...components(target))
        continue
      }
      done.push(name)
      cur = next
    }
    return cur
  }
}

/** The components of a path ("/a//b/./c/" -> ["a", "b", "c"]); ".." kept for the resolver. */
export function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.')
}

function isOpaque(path: string): boolean {
  const v = lgetxattr(path, 'trusted.overlay.opaque')
  return v !== undefined && v.toString() === 'y'
}

/** An empty stack's root (FROM scratch): a root-owned 0755 directory. */
function fakeDirStats(): Stats {
  const st = lstatSync('/')
  return Object.assign(Object.create(Object.getPrototypeOf(st)), st, { mode: 0o40755, uid: 0, gid: 0 }) as Stats
}
