// The build context: the tar the client sends as POST /build's body (plain or gzip/bzip2/xz/zstd),
// unpacked into the engine's tmp/ session for the build's lifetime. The client has already
// applied .dockerignore (docker's CLI and tocker's both do); here the Dockerfile and .dockerignore
// are taken out again if .dockerignore lists them (moby's removeDockerfile), so that `COPY . .`
// does not copy them.
//
// The context comes from anyone who may talk to the engine: it is unpacked by the same hardened
// writer as image layers (no absolute or ".." names, nothing written through a symlink, hard
// links only inside), capped in size on disk, and a client that stops sending is dropped by the
// router's idle timeout.
import { lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isUserFacing, TockerError } from '../../errors.js'
import { checkedPath, LayerWriter } from '../../image/unpack/layer-writer.js'
import { decompressor, peek, sniffCompression } from '../../image/unpack/decompress.js'
import { TarFormatError, TarReader } from '../../image/unpack/tar-reader.js'
import { dockerignoreMatcher } from '../../dockerignore.js'

/** Bytes of context (uncompressed) a build may send: TOCKER_BUILD_CONTEXT_MAX, default 8 GiB. */
export function contextLimit(): number {
  const v = Number(process.env.TOCKER_BUILD_CONTEXT_MAX)
  return Number.isFinite(v) && v > 0 ? v : 8 * 1024 ** 3
}

export interface BuildContext {
  /** The context's files. */
  dir: string
  /** The Dockerfile's text. */
  dockerfile: string
  /** Its name in the context (as asked, or the lower-case fallback). */
  dockerfileName: string
}

export async function receiveContext(body: Readable, work: string, dockerfileName = 'Dockerfile', limit = contextLimit()): Promise<BuildContext> {
  mkdirSync(work, { recursive: true })
  const writer = new LayerWriter(work, undefined, { literal: true })
  const reader = new TarReader(writer)
  let total = 0
  const head = await peek(body)
  if (head !== null) {
    const sink = reader.sink({
      highWaterMark: 1 << 20,
      onChunk: (c) => {
        total += c.length
        if (total > limit) throw new TockerError(`the build context is larger than ${limit} bytes (TOCKER_BUILD_CONTEXT_MAX): list what the build does not need in .dockerignore`, { code: 'ETOOLARGE', status: 413 })
      },
    })
    try {
      await pipeline(body, decompressor(sniffCompression(head)), sink)
      writer.finish()
    } catch (err) {
      writer.abort()
      body.destroy()
      if (isUserFacing(err)) throw err
      if (err instanceof TarFormatError) throw new TockerError(`the build context is not a valid tar archive: ${err.message}`, { code: 'EBADCONTEXT', daemon: true })
      throw new TockerError(`reading the build context: ${(err as Error).message}`, { code: 'EBADCONTEXT', daemon: true, cause: err })
    }
  }
  const dir = writer.root
  const found = findDockerfile(dir, dockerfileName)
  const dockerfile = readDockerfile(dir, found)
  removeIgnoredBuildFiles(dir, found)
  return { dir, dockerfile, dockerfileName: found }
}

/** The Dockerfile's path in the context; "Dockerfile" falls back to "dockerfile", as Docker does. */
function findDockerfile(dir: string, name: string): string {
  const rel = safeRel(name)
  if (isRegular(join(dir, rel))) return rel
  if (name === 'Dockerfile' && isRegular(join(dir, 'dockerfile'))) return 'dockerfile'
  throw new TockerError(`Cannot locate specified Dockerfile: ${name}`, { code: 'ENODOCKERFILE', daemon: true })
}

function readDockerfile(dir: string, rel: string): string {
  const st = lstatSync(join(dir, rel))
  if (st.size > 16 << 20) throw new TockerError(`the Dockerfile (${rel}) is larger than 16 MiB`, { code: 'EDOCKERFILE', status: 400, daemon: true })
  const text = readFileSync(join(dir, rel), 'utf8')
  if (text.length === 0) throw new TockerError(`the Dockerfile (${rel}) cannot be empty`, { code: 'EDOCKERFILE', status: 400, daemon: true })
  return text
}

/** .dockerignore and the Dockerfile leave the context when .dockerignore lists them. */
function removeIgnoredBuildFiles(dir: string, dockerfile: string): void {
  const ignorePath = join(dir, '.dockerignore')
  if (!isRegular(ignorePath)) return
  const matcher = dockerignoreMatcher(readFileSync(ignorePath, 'utf8'))
  for (const name of ['.dockerignore', dockerfile]) {
    if (matcher.ignores(name)) rmSync(join(dir, name), { force: true })
  }
}

function safeRel(name: string): string {
  try {
    return checkedPath(name, name.replace(/^\/+/, ''))
  } catch {
    throw new TockerError(`Cannot locate specified Dockerfile: ${name}`, { code: 'ENODOCKERFILE', daemon: true })
  }
}

function isRegular(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() ?? false
}
