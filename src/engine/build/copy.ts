// COPY and ADD, as Docker's classic builder does them, into a new layer directory:
//
//   sources   relative to the build context (or, with --from, to a stage's or image's root); `..`
//             cannot leave that root (it is cleaned at the root, as Docker scopes it); a named
//             symlink is followed (in-root); wildcards match whole paths with Go's filepath.Match;
//   a directory copies its CONTENTS, not itself; a local tar archive given to ADD is unpacked
//             (gzip, zstd, bzip2 and xz too); an http(s) URL given to ADD is downloaded;
//   dest      absolute, or relative to WORKDIR; a file goes INTO dest when dest ends with "/" or is
//             an existing directory; several sources need a dest ending with "/"; missing parents
//             are made 0755, owned by the --chown owner (root by default);
//   owner     root (0:0) for files from the context, the --chown owner if given, the source's own
//             owner for --from without --chown; names resolved in the destination image's
//             /etc/passwd and /etc/group (a user without a group gets its uid as gid, as Docker);
//   mode      the source's, or --chmod's (an octal mode, applied to every copied file and directory).
//
// The new layer holds only what the step wrote: the copied files and the directories above them
// (copies of the image's own, as overlayfs would copy them up). No container is involved.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, readlinkSync, linkSync, lstatSync, mkdirSync, openSync, readSync, closeSync, rmSync, symlinkSync, chmodSync, lchownSync, lutimesSync, utimesSync, writeFileSync, type Stats } from 'node:fs'
import { copyFile, open } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { join, posix } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { TockerError } from '../../errors.js'
import { major, minor } from '../../image/diff/dir-tar.js'
import { LayerStack, type StackEntry } from '../../image/diff/layer-stack.js'
import { describeNetworkError } from '../../image/registry/errors.js'
import { decompressor, peek, sniffCompression } from '../../image/unpack/decompress.js'
import { LayerWriter } from '../../image/unpack/layer-writer.js'
import { TarReader } from '../../image/unpack/tar-reader.js'
import { lgetxattr, lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../sys/fs.js'
import { cleanPath } from '../../dockerignore.js'
import { containsWildcards, globRegExp } from './glob.js'

export interface CopySpec {
  cmd: 'COPY' | 'ADD'
  /** Sources and destination, variables already expanded. */
  sources: string[]
  dest: string
  workingDir: string
  chown?: string
  chmod?: string
  /** Where sources come from: the context (plain) or a stage/image (--from). */
  source: LayerStack
  fromImage: boolean
  /** The image the step builds on (for the destination and --chown names). */
  image: LayerStack
  /** A scratch directory for downloads and unpacked archives. */
  scratch: string
}

interface SourceInfo {
  /** The source as named (after cleaning): a file's name in dest comes from it. */
  name: string
  entry: StackEntry
  stack: LayerStack
  /** "file:<hex>" / "dir:<hex>": what the cache key sees. */
  hash: string
  /** A downloaded file: never unpacked. */
  remote?: boolean
}

export interface PreparedCopy {
  infos: SourceInfo[]
  /** What Docker calls the source hash: one info's, or "multi:<hex>" of several. */
  hash: string
  dest: string
}

const isUrl = (s: string) => /^https?:\/\//i.test(s)

/** Resolve the sources and hash their content (the cache key needs it before anything is copied). */
export async function prepareCopy(spec: CopySpec): Promise<PreparedCopy> {
  const infos: SourceInfo[] = []
  for (const orig of spec.sources) {
    if (isUrl(orig)) {
      if (spec.cmd === 'COPY' || spec.fromImage) throw failed(spec.cmd, 'source can\'t be a URL for COPY')
      infos.push(await download(orig, spec))
      continue
    }
    let path = orig.replace(/^\/+/, '').replace(/^\.\//, '')
    if (containsWildcards(path)) {
      const re = globRegExp(cleanPath(path))
      if (re) for (const rel of walkPaths(spec.source)) if (re.test(rel)) infos.push(await info(spec.source, rel, rel))
      continue
    }
    path = cleanPath('/' + path).slice(1)
    let entry: StackEntry | undefined
    try {
      entry = spec.source.lookup('/' + path, true)
    } catch {
      entry = undefined
    }
    if (!entry) {
      const stat = `stat ${orig.replace(/^\/+/, '').replace(/^\.\//, '')}: file does not exist`
      if (!spec.fromImage) throw failed(spec.cmd, `file not found in build context or excluded by .dockerignore: ${stat}`)
      throw failed(spec.cmd, stat)
    }
    infos.push(await info(spec.source, path === '' ? '.' : path, path, entry))
  }
  if (infos.length === 0) throw failed(spec.cmd, 'no source files were specified')
  if (infos.length > 1 && !spec.dest.endsWith('/')) {
    throw new TockerError(`When using ${spec.cmd} with more than one source file, the destination must be a directory and end with a /`, { code: 'EBUILD', status: 400 })
  }
  const hash = infos.length === 1 ? infos[0].hash : `multi:${sha256(infos.map((i) => i.hash).join(','))}`
  return { infos, hash, dest: normalizeDest(spec.workingDir, spec.dest) }
}

/** Docker's normalizeDest: relative to WORKDIR, the trailing "/" kept. */
export function normalizeDest(workingDir: string, dest: string): string {
  if (dest.startsWith('/')) return dest
  const joined = posix.join('/', workingDir || '/', dest)
  return dest.endsWith('/') || dest === '.' ? joined.replace(/\/?$/, '/') : joined
}

function failed(cmd: string, msg: string): TockerError {
  return new TockerError(`${cmd} failed: ${msg}`, { code: 'EBUILD', status: 400 })
}

/** Every path under a root, parents first (for wildcard matching). */
function* walkPaths(stack: LayerStack): Generator<string> {
  const visit = function* (dir: StackEntry, rel: string): Generator<string> {
    for (const name of stack.readdir(dir)) {
      const child = stack.child(dir, name)!
      const p = rel ? `${rel}/${name}` : name
      yield p
      if (child.st.isDirectory()) yield* visit(child, p)
    }
  }
  yield* visit(stack.root(), '')
}

async function info(stack: LayerStack, name: string, path: string, entry?: StackEntry): Promise<SourceInfo> {
  const e = entry ?? stack.lookup('/' + path, true)
  if (!e.st.isDirectory()) return { name, entry: e, stack, hash: `file:${await entryHash(e, '')}` }
  const hashes: string[] = []
  const visit = async (dir: StackEntry, rel: string) => {
    for (const n of stack.readdir(dir)) {
      const c = stack.child(dir, n)!
      const r = rel ? `${rel}/${n}` : n
      hashes.push(await entryHash(c, r))
      if (c.st.isDirectory()) await visit(c, r)
    }
  }
  await visit(e, '')
  return { name, entry: e, stack, hash: `dir:${sha256(hashes.sort().join(','))}` }
}

/** An entry's content and metadata, without its times (Docker's cache ignores mtimes). */
async function entryHash(e: StackEntry, rel: string): Promise<string> {
  const h = createHash('sha256')
  const st = e.st
  h.update(`${rel}\0${st.mode.toString(8)}\0${st.uid}\0${st.gid}\0${st.size}\0${st.rdev}\0`)
  if (st.isSymbolicLink()) h.update(readlinkSync(e.host, 'utf8'))
  if (st.isFile()) {
    const fh = await open(e.host, 'r')
    try {
      const buf = Buffer.allocUnsafe(1 << 20)
      for (let pos = 0; ; ) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
        if (bytesRead === 0) break
        h.update(buf.subarray(0, bytesRead))
        pos += bytesRead
      }
    } finally {
      await fh.close()
    }
  }
  return h.digest('hex')
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

// ---- the copy itself ----

interface Owner {
  uid: number
  gid: number
}

/** Copy into `target` (the new layer's directory). */
export async function performCopy(spec: CopySpec, prepared: PreparedCopy, target: string): Promise<void> {
  const identity = spec.chown ? resolveChown(spec.chown, spec.image) : spec.fromImage ? undefined : { uid: 0, gid: 0 }
  const mode = spec.chmod ? parseChmod(spec.chmod) : undefined
  const parentOwner = identity ?? { uid: 0, gid: 0 }
  // What is there so far: what this step wrote on top of the image.
  const merged = new LayerStack([target, ...spec.image.layers])
  const w = new LayerFiles(target, merged, parentOwner)
  const destPath = prepared.dest
  for (const inf of prepared.infos) {
    const dest = w.canonical(destPath)
    if (inf.entry.st.isDirectory()) {
      const existed = w.existingDir(dest)
      w.ensureDir(dest)
      // A destination the copy creates gets the owner (and --chmod mode) of what is copied into it.
      if (!existed && identity) lchownSync(join(target, dest), identity.uid, identity.gid)
      if (!existed && mode !== undefined) chmodSync(join(target, dest), mode)
      await w.copyTree(inf.stack, inf.entry, dest, identity, mode)
      continue
    }
    if (spec.cmd === 'ADD' && !inf.remote && inf.entry.st.isFile() && (await isArchive(inf.entry.host))) {
      const tmp = join(spec.scratch, `unpack-${Math.random().toString(16).slice(2)}`)
      mkdirSync(tmp)
      try {
        await unpackArchive(inf.entry.host, tmp)
        const x = new LayerStack([join(tmp, 'diff')], true)
        w.ensureDir(dest)
        await w.copyTree(x, x.root(), dest, undefined, undefined)
      } finally {
        rmSync(tmp, { recursive: true, force: true })
      }
      continue
    }
    let file = dest
    if (destPath.endsWith('/') || w.existingDir(dest)) file = posix.join(dest, posix.basename(inf.name))
    else {
      const e = merged.tryLookup(file, false)
      if (e?.st.isDirectory()) file = posix.join(dest, posix.basename(inf.name))
    }
    w.ensureDir(posix.dirname(file))
    await w.copyOne(inf.entry, file, identity, mode, new Map())
  }
  w.finish()
}

/** The new layer's files, written with what the image below has in mind. */
class LayerFiles {
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
      else if (below && !below.st.isDirectory()) throw new TockerError(`cannot copy to non-directory: ${at}`, { code: 'EBUILD', status: 400 })
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
    if (here?.isDirectory()) throw new TockerError(`cannot replace to directory ${to} with file`, { code: 'EBUILD', status: 400 })
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

// ---- --chown and --chmod ----

function parseChmod(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s)) throw new TockerError(`invalid chmod parameter: '${s}'. it should be octal string and between 0 and 07777`, { code: 'EBUILD', status: 400 })
  return parseInt(s, 8)
}

/** --chown=user[:group] against the destination image's /etc/passwd and /etc/group. */
export function resolveChown(chown: string, image: LayerStack): Owner {
  const [user, group] = chown.split(':', 2)
  const lookup = (file: string, name: string, what: 'uid' | 'gid', kind: 'user' | 'group'): number => {
    if (/^\d+$/.test(name)) return Number(name)
    const text = image.readFile(file)?.toString('utf8') ?? ''
    for (const line of text.split('\n')) {
      const f = line.split(':')
      if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2])) return Number(f[2])
    }
    throw new TockerError(`unable to convert uid/gid chown string to host mapping: can't find ${what} for ${kind} ${name}: no such ${kind}: ${name}`, { code: 'EBUILD', status: 400 })
  }
  const uid = lookup('/etc/passwd', user, 'uid', 'user')
  // Docker: a user without a group gets the same number as its gid.
  const gid = group === undefined ? uid : lookup('/etc/group', group, 'gid', 'group')
  return { uid, gid }
}

// ---- ADD's archives and URLs ----

async function isArchive(path: string): Promise<boolean> {
  const fd = openSync(path, 'r')
  let head: Buffer
  try {
    head = Buffer.alloc(6)
    readSync(fd, head, 0, 6, 0)
  } finally {
    closeSync(fd)
  }
  const kind = compressionOf(head)
  let first: Buffer | null
  const raw = createReadStream(path, { start: 0 })
  try {
    const stream = kind === 'bzip2' || kind === 'xz' ? externalDecompress(kind, raw) : raw.pipe(decompressor(kind))
    first = await readAtLeast(stream, 512)
    stream.destroy()
  } catch {
    return false
  } finally {
    raw.destroy()
  }
  return first !== null && first.length >= 512 && validTarHeader(first.subarray(0, 512))
}

function compressionOf(head: Buffer): 'gzip' | 'zstd' | 'none' | 'bzip2' | 'xz' {
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2'
  if (head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  return sniffCompression(head)
}

function externalDecompress(kind: 'bzip2' | 'xz', input: Readable): Readable {
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] })
  input.pipe(child.stdin)
  child.stdin.on('error', () => {})
  child.on('error', (err) => child.stdout.destroy(new TockerError(`cannot unpack a ${kind} archive: ${err.message} (install ${kind})`, { code: 'EBUILD', cause: err })))
  return child.stdout
}

async function readAtLeast(stream: Readable, n: number): Promise<Buffer | null> {
  const parts: Buffer[] = []
  let len = 0
  for await (const c of stream) {
    parts.push(c as Buffer)
    len += (c as Buffer).length
    if (len >= n) break
  }
  return len ? Buffer.concat(parts) : null
}

function validTarHeader(b: Buffer): boolean {
  const stored = parseInt(b.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8)
  if (!Number.isFinite(stored)) return false
  let sum = 0
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]
  return sum === stored
}

async function unpackArchive(path: string, work: string): Promise<void> {
  const raw = createReadStream(path)
  const head = await peek(raw)
  const kind = compressionOf(head ?? Buffer.alloc(0))
  const writer = new LayerWriter(work, undefined, { literal: true })
  const reader = new TarReader(writer)
  const source = kind === 'bzip2' || kind === 'xz' ? externalDecompress(kind, raw) : raw.pipe(decompressor(kind))
  try {
    await pipeline(source, reader.sink({ highWaterMark: 1 << 20 }))
    writer.finish()
  } catch (err) {
    writer.abort()
    throw new TockerError(`ADD failed: cannot unpack ${posix.basename(path)}: ${(err as Error).message}`, { code: 'EBUILD', status: 400, cause: err })
  }
}

/** ADD <url>: the file, named after the URL's last path component, mode 0600, mtime Last-Modified. */
async function download(url: string, spec: CopySpec): Promise<SourceInfo> {
  const name = posix.basename(new URL(url).pathname) || '__unnamed__'
  if (name === '__unnamed__' && spec.dest.endsWith('/')) throw failed('ADD', `cannot determine filename for source ${url}`)
  const dir = join(spec.scratch, `download-${Math.random().toString(16).slice(2)}`)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, name)
  let res: Response
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) })
  } catch (err) {
    throw failed('ADD', `error downloading remote source: Get ${JSON.stringify(url)}: ${describeNetworkError(err, url)}`)
  }
  if (!res.ok || !res.body) throw failed('ADD', `error downloading remote source: ${url}: ${res.status} ${res.statusText}`)
  writeFileSync(file, '', { mode: 0o600 })
  await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file))
  const lm = Date.parse(res.headers.get('last-modified') ?? '')
  const t = Number.isNaN(lm) ? new Date(0) : new Date(lm)
  utimesSync(file, t, t)
  const stack = new LayerStack([dir], true)
  const entry = stack.lookup('/' + name)
  return { name, entry, stack, hash: `file:${await entryHash(entry, '')}`, remote: true }
}
