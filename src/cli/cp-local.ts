// The local side of `tocker cp`, as the docker CLI does it (moby's pkg/archive/copy.go): which
// directory a copy lands in and under what name. The engine's API only ever extracts a tar INTO an
// existing directory and sends a path's tar named by its last element; every "rename" (cp a.txt
// c1:/tmp/b.txt, cp dir c1:/new) is done here by renaming the tar's entries (rebase), and "/."
// (copy a directory's contents) is a tar whose entries start with "./".
import {
  closeSync,
  constants as fsc,
  createReadStream,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  chmodSync,
  writeSync,
  type Stats,
} from 'node:fs'
import * as path from 'node:path'
import { PassThrough, Readable, Transform, Writable } from 'node:stream'
import { TockerError } from '../errors.js'

export interface CopyInfo {
  path: string
  exists: boolean
  isDir: boolean
  rebaseName: string
}

/** Docker's errors (pkg/archive/copy.go), printed bare. */
export const ERR_NOT_DIRECTORY = 'not a directory'
export const ERR_DIR_NOT_EXISTS = 'no such directory'
export const ERR_CANNOT_COPY_DIR = 'cannot copy directory'

const fail = (message: string) => new TockerError(message, { code: 'EINVALID', exitCode: 1 })

export const hasTrailingSeparator = (p: string): boolean => p.endsWith('/')
export const specifiesCurrentDir = (p: string): boolean => path.basename(p) === '.' || p.endsWith('/.')

/** filepath.Clean that keeps a trailing "/" or "/." (Docker's PreserveTrailingDotOrSeparator). */
export function preserveTrailing(cleaned: string, original: string): string {
  if (specifiesCurrentDir(original) && !specifiesCurrentDir(cleaned)) return cleaned === '/' ? '/.' : `${cleaned}/.`
  if (hasTrailingSeparator(original) && !hasTrailingSeparator(cleaned)) return `${cleaned}/`
  return cleaned
}

/** The absolute local path, trailing "/" or "/." kept. */
export function resolveLocalPath(p: string): string {
  return preserveTrailing(path.resolve(p), p)
}

/** Docker's SplitPathDirEntry: "/a/b/" -> ["/a", "b"], "/a/b/." -> ["/a/b", "."]. */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = path.normalize(p)
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '')
  if (specifiesCurrentDir(p) && path.basename(cleaned) !== '.') cleaned = `${cleaned}/.`
  return [path.dirname(cleaned), path.basename(cleaned) || '/']
}

/** Docker's GetRebaseName: the resolved path with p's trailing marks, and the name to rebase to. */
export function getRebaseName(p: string, resolved: string): [string, string] {
  if (specifiesCurrentDir(p) && !specifiesCurrentDir(resolved)) resolved += '/.'
  if (hasTrailingSeparator(p) && !hasTrailingSeparator(resolved)) resolved += '/'
  return [resolved, path.basename(p) !== path.basename(resolved) ? path.basename(p) : '']
}

/** Docker's CopyInfoSourcePath for a local source. */
export function copyInfoSourcePath(p: string, followLink: boolean): CopyInfo {
  let resolved: string
  let rebaseName = ''
  const lstatError = (target: string, err: unknown) => fail(`lstat ${target}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`)
  if (followLink) {
    try {
      resolved = realpathSync(p)
    } catch (err) {
      throw lstatError(p.replace(/\/+\.?$/, '') || '/', err)
    }
    ;[resolved, rebaseName] = getRebaseName(p, resolved)
  } else {
    const dir = p.slice(0, p.lastIndexOf('/') + 1) || '.'
    const base = p.slice(p.lastIndexOf('/') + 1)
    let realDir: string
    try {
      realDir = realpathSync(dir)
    } catch (err) {
      throw lstatError(dir.replace(/\/+$/, '') || '/', err)
    }
    resolved = realDir === '/' ? `/${base}` : `${realDir}/${base}`
    if (hasTrailingSeparator(p) && path.basename(p) !== path.basename(resolved)) rebaseName = path.basename(p)
  }
  let st: Stats
  try {
    st = lstatSync(resolved)
  } catch (err) {
    throw lstatError(resolved.replace(/\/+$/, '') || '/', err)
  }
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName }
}

/** Docker's CopyInfoDestinationPath for a local destination (symlinks at the end followed, ≤ 10). */
export function copyInfoDestinationPath(p: string): CopyInfo {
  const original = p
  let st = lstatSync(p, { throwIfNoEntry: false })
  if (st && !st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' }
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw fail(`too many symlinks in ${original}`)
    let target = readlinkSync(p)
    if (!path.isAbsolute(target)) target = path.join(splitPathDirEntry(p)[0], target)
    p = target
    st = lstatSync(p, { throwIfNoEntry: false })
  }
  if (!st) {
    const parent = splitPathDirEntry(p)[0]
    let pst: Stats
    try {
      pst = statSync(parent)
    } catch (err) {
      throw fail(`stat ${parent}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`)
    }
    if (!pst.isDirectory()) throw fail(ERR_NOT_DIRECTORY)
    return { path: p, exists: false, isDir: false, rebaseName: '' }
  }
  return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' }
}

/**
 * Docker's PrepareArchiveCopy: the directory to extract into, and how to rename the archive's
 * top entry (undefined: as it is).
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dstDir: string; rebase?: [string, string] } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path)
  let [, srcBase] = splitPathDirEntry(src.path)
  if (src.rebaseName) srcBase = src.rebaseName
  if (dst.exists && dst.isDir) return { dstDir: dst.path }
  if (dst.exists && src.isDir) throw fail(ERR_CANNOT_COPY_DIR)
  if (dst.exists) return { dstDir, rebase: [srcBase, dstBase] }
  if (src.isDir) return { dstDir, rebase: [srcBase, dstBase] }
  if (hasTrailingSeparator(dst.path) || specifiesCurrentDir(dst.path)) throw fail(ERR_DIR_NOT_EXISTS)
  return { dstDir, rebase: [srcBase, dstBase] }
}

/** Docker's RebaseArchiveEntries on one name: oldBase (the first element) becomes newBase. */
export function rebaseName(name: string, oldBase: string, newBase: string): string {
  const old = oldBase === '/' ? '' : oldBase
  if (old === '') return `${newBase}${name.startsWith('/') ? '' : '/'}${name}`
  if (name === old || name === `${old}/`) return name.replace(old, newBase)
  if (name.startsWith(`${old}/`)) return newBase + name.slice(old.length)
  return name
}

/** Go's units.HumanSizeWithPrecision(n, 3): "2.05kB", "512B" (powers of 1000, as docker cp prints). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000
    i++
  }
  return `${Number(n.toPrecision(3))}${units[i]}`
}

/** Count the bytes that pass (the size docker cp reports). */
export function counter(total: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total.n += chunk.length
      cb(null, chunk)
    },
  })
}

// ---- a tar of local files (Docker's TarResource), its top entry named as the copy needs ----

/**
 * The tar of `src.path` (a local file or directory; "dir/." = its contents, named "./…"), its top
 * entry named `topName`. Symlinks are stored as links, never followed; sockets skipped.
 */
export function localTar(srcPath: string, topName: string): Readable {
  const out = new PassThrough()
  void (async () => {
    const { Header, Pax } = await import('tar')
    const write = async (chunk: Buffer) => {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r))
    }
    const links = new Map<string, string>()
    const header = async (name: string, st: Stats, type: string, size: number, linkpath?: string) => {
      const fields = { path: name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000), type, linkpath, devmaj: 0, devmin: 0 }
      const h = new Header(fields as ConstructorParameters<typeof Header>[0])
      h.encode()
      if (h.needPax) await write(new Pax({ path: name, linkpath, size, uid: st.uid, gid: st.gid, mtime: fields.mtime } as ConstructorParameters<typeof Pax>[0]).encode())
      await write(h.block!)
    }
    const walk = async (abs: string, name: string) => {
      const st = lstatSync(abs)
      if (st.isDirectory()) {
        await header(name.endsWith('/') ? name : `${name}/`, st, 'Directory', 0)
        const base = name.replace(/\/+$/, '')
        for (const child of readdirSync(abs).sort()) await walk(path.join(abs, child), base === '' ? child : `${base}/${child}`)
      } else if (st.isSymbolicLink()) {
        await header(name, st, 'SymbolicLink', 0, readlinkSync(abs))
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`
        if (st.nlink > 1 && links.has(key)) return header(name, st, 'Link', 0, links.get(key))
        if (st.nlink > 1) links.set(key, name)
        await header(name, st, 'File', st.size)
        let n = 0
        for await (const chunk of createReadStream(abs, { start: 0, end: Math.max(0, st.size - 1) }) as AsyncIterable<Buffer>) {
          const part = st.size - n < chunk.length ? chunk.subarray(0, st.size - n) : chunk
          n += part.length
          if (part.length) await write(part)
          if (n >= st.size) break
        }
        if (n < st.size) await write(Buffer.alloc(st.size - n))
        if (st.size % 512) await write(Buffer.alloc(512 - (st.size % 512)))
      } else if (st.isFIFO()) {
        await header(name, st, 'FIFO', 0)
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        // Devices: named as such, never opened.
        await header(name, st, st.isCharacterDevice() ? 'CharacterDevice' : 'BlockDevice', 0)
      }
    }
    await walk(srcPath.replace(/\/\.$/, '') || '/', topName)
    await write(Buffer.alloc(1024))
    out.end()
  })().catch((err) => out.destroy(err as Error))
  return out
}

// ---- extracting the engine's tar here (Docker's Untar with NoLchown and NoOverwriteDirNonDir) ----

/**
 * A writable that extracts a tar into `dstDir`, each entry's name passed through `rename`. The
 * names come from a container: an absolute name or a ".." is refused, and nothing is written
 * through a symlink (every parent below dstDir must be a real directory: an entry "a" -> / then
 * "a/x" is an error), the CVE-2019-14271 class on the client's side. Owners are not kept (the
 * files are the user's, as with docker cp); modes and times are.
 */
export async function extractTar(dstDir: string, rename: (name: string) => string): Promise<Writable> {
  const { Parser } = await import('tar')
  const dirTimes: [string, Date][] = []
  const dirs = new Set<string>([''])
  const problem = (name: string, why: string) => new TockerError(`refusing to extract ${JSON.stringify(name)}: ${why}`, { code: 'EUNSAFEARCHIVE', exitCode: 1 })
  const checked = (raw: string, name: string): string => {
    if (name.startsWith('/')) throw problem(raw, 'its name is absolute')
    const parts = name.split('/').filter((p) => p !== '' && p !== '.')
    if (parts.includes('..')) throw problem(raw, 'its name has a ".." component')
    return parts.join('/')
  }
  const ensureParents = (raw: string, rel: string) => {
    const parts = rel.split('/').slice(0, -1)
    let at = ''
    for (const part of parts) {
      at = at ? `${at}/${part}` : part
      if (dirs.has(at)) continue
      const st = lstatSync(path.join(dstDir, at), { throwIfNoEntry: false })
      if (!st) mkdirSync(path.join(dstDir, at), 0o755)
      else if (st.isSymbolicLink()) throw problem(raw, `${JSON.stringify(at)} is a symbolic link: nothing is written through one`)
      else if (!st.isDirectory()) throw problem(raw, `${JSON.stringify(at)} is not a directory`)
      dirs.add(at)
    }
  }
  let failure: Error | undefined
  const parser = new Parser({ strict: true })
  parser.on('error', (err: Error) => (failure ??= new TockerError(`the archive from the engine is not a valid tar: ${err.message}`, { code: 'ETARFORMAT', exitCode: 1, cause: err })))
  parser.on('entry', (entry: import('tar').ReadEntry) => {
    if (failure) return entry.resume()
    try {
      const raw = entry.path
      const rel = checked(raw, rename(raw))
      const abs = rel === '' ? dstDir : path.join(dstDir, rel)
      const mtime = entry.mtime ?? new Date()
      const mode = (entry.mode ?? 0o644) & 0o7777
      if (rel !== '') ensureParents(raw, rel)
      const existing = rel === '' ? undefined : lstatSync(abs, { throwIfNoEntry: false })
      const isDir = entry.type === 'Directory'
      if (existing?.isDirectory() && !isDir) throw new TockerError(`cannot overwrite directory ${JSON.stringify(abs)} with non-directory ${JSON.stringify(raw)}`, { code: 'EINVALID', exitCode: 1 })
      if (existing && !existing.isDirectory() && isDir) throw new TockerError(`cannot overwrite non-directory ${JSON.stringify(abs)} with directory ${JSON.stringify(raw)}`, { code: 'EINVALID', exitCode: 1 })
      if (existing && !isDir) unlinkSync(abs)
      switch (entry.type) {
        case 'Directory':
          if (!existing && rel !== '') mkdirSync(abs, 0o700)
          chmodSync(abs, mode)
          dirs.add(rel)
          dirTimes.push([abs, mtime])
          return entry.resume()
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          const fd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600)
          entry.on('data', (chunk: Buffer) => {
            let off = 0
            while (off < chunk.length) off += writeSync(fd, chunk, off)
          })
          entry.on('end', () => {
            fchmodSync(fd, mode)
            futimesSync(fd, mtime, mtime)
            closeSync(fd)
          })
          return
        }
        case 'SymbolicLink':
          symlinkSync(entry.linkpath ?? '', abs)
          lutimesSync(abs, mtime, mtime)
          return entry.resume()
        case 'Link': {
          const target = checked(raw, rename(entry.linkpath ?? ''))
          ensureParents(raw, target)
          linkSync(path.join(dstDir, target), abs)
          return entry.resume()
        }
        default:
          // Devices, FIFOs: not made on the client (Docker's CLI needs root for them too).
          return entry.resume()
      }
    } catch (err) {
      failure = err as Error
      entry.resume()
    }
  })
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      parser.write(chunk)
      cb(failure)
    },
    final(cb) {
      parser.end(() => {
        if (!failure) {
          try {
            for (const [abs, mtime] of dirTimes.reverse()) utimesSync(abs, mtime, mtime)
          } catch (err) {
            failure = err as Error
          }
        }
        cb(failure)
      })
    },
  })
}
