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
import { createWriteStream, readlinkSync, mkdirSync, rmSync, chmodSync, lchownSync, utimesSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { TockerError } from '../../errors.js'
import { LayerStack, type StackEntry } from '../../image/diff/layer-stack.js'
import { describeNetworkError } from '../../image/registry/errors.js'
import { cleanPath } from '../../dockerignore.js'
import { containsWildcards, globRegExp } from './glob.js'
import { LayerFiles, type Owner } from './layer-files.js'
import { isArchive, unpackArchive } from './add-archive.js'

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
      if (spec.cmd === 'COPY' || spec.fromImage) throw failed(spec.cmd, "source can't be a URL for COPY")
      infos.push(await download(orig, spec))
      continue
    }
    let path = orig.replace(/^\/+/, '').replace(/^\.\//, '')
    if (containsWildcards(path)) {
      const re = globRegExp(cleanPath(path))
      if (re) { for (const rel of walkPaths(spec.source)) if (re.test(rel)) infos.push(await info(spec.source, rel, rel)) }
      continue
    }
    path = cleanPath('/' + path).slice(1)
    // Absent is only "no such file" (or a file where a directory was named); a symbolic-link loop or
    // a failed read says so instead of passing for a missing file.
    let entry: StackEntry | undefined
    try {
      entry = spec.source.tryLookup('/' + path, true)
    } catch (err) {
      throw failed(spec.cmd, (err as Error).message, err)
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
    throw new TockerError(`When using ${spec.cmd} with more than one source file, the destination must be a directory and end with a /`, { code: 'EBUILD' })
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

function failed(cmd: string, msg: string, cause?: unknown): TockerError {
  return new TockerError(`${cmd} failed: ${msg}`, { code: 'EBUILD', cause })
}

/** Every path under a root, parents first (for wildcard matching). */
function* walkPaths(stack: LayerStack): Generator<string> {
  const visit = function*(dir: StackEntry, rel: string): Generator<string> {
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
      for (let pos = 0;;) {
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

// ---- --chown and --chmod ----

function parseChmod(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s)) throw new TockerError(`invalid chmod parameter: '${s}'. it should be octal string and between 0 and 07777`, { code: 'EBUILD' })
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
    throw new TockerError(`unable to convert uid/gid chown string to host mapping: can't find ${what} for ${kind} ${name}: no such ${kind}: ${name}`, { code: 'EBUILD' })
  }
  const uid = lookup('/etc/passwd', user, 'uid', 'user')
  // Docker: a user without a group gets the same number as its gid.
  const gid = group === undefined ? uid : lookup('/etc/group', group, 'gid', 'group')
  return { uid, gid }
}

// ---- ADD's URLs ----

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
