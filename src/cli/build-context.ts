// The build context as Docker's CLI sends it (cli/command/image/build.go): the directory's files
// as a tar, minus what .dockerignore excludes, owners set to 0:0 (node-tar's portable mode), with
// the Dockerfile and .dockerignore always included (the engine drops them again if .dockerignore
// lists them). A Dockerfile outside the context travels in it as ".dockerfile.<random>".
import { randomBytes } from 'node:crypto'
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { create } from 'tar'
import { TockerError } from '../errors.js'
import { dockerignoreMatcher, type DockerignoreMatcher } from '../dockerignore.js'

export interface PackedContext {
  stream: Readable
  /** The Dockerfile's name inside the context (what POST /build's `dockerfile` says). */
  dockerfile: string
  /** Bytes sent so far (the "Sending build context" line). */
  sent(): number
  /** Files added to the context directory for the build (a Dockerfile from outside), removed after. */
  cleanup(): void
}

function prepareError(msg: string): TockerError {
  return new TockerError(`unable to prepare context: ${msg}`, { code: 'EINVALID' })
}

/** `dockerfileArg`: -f as given (relative to the current directory), or undefined. */
export function packContext(dir: string, dockerfileArg: string | undefined): PackedContext {
  const root = resolve(dir)
  let st
  try {
    st = statSync(root)
  } catch {
    throw prepareError(`path ${JSON.stringify(dir)} not found`)
  }
  if (!st.isDirectory()) throw prepareError(`context must be a directory: ${root}`)
  const dfPath = dockerfileArg ? resolve(dockerfileArg) : join(root, 'Dockerfile')
  let dfReal = dfPath
  if (!existsSync(dfPath)) {
    if (!dockerfileArg && existsSync(join(root, 'dockerfile'))) dfReal = join(root, 'dockerfile')
    else throw prepareError(`unable to evaluate symlinks in Dockerfile path: lstat ${dfPath}: no such file or directory`)
  }
  let dockerfile = relative(root, dfReal)
  const extra: string[] = []
  if (dockerfile.startsWith('..') || dockerfile.startsWith(sep)) {
    // Outside the context: sent inside it under a name nobody uses.
    dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`
    writeFileSync(join(root, dockerfile), readFileSync(dfReal))
    extra.push(join(root, dockerfile))
  }
  const ignore = join(root, '.dockerignore')
  let matcher: DockerignoreMatcher | undefined
  if (existsSync(ignore)) {
    try {
      matcher = dockerignoreMatcher(readFileSync(ignore, 'utf8'))
    } catch (err) {
      throw new TockerError(`error reading .dockerignore: ${(err as Error).message}`, { code: 'EDOCKERIGNORE' })
    }
  }
  const files = contextFiles(root, matcher, new Set([dockerfile, '.dockerignore']))
  let sent = 0
  // Counts what passes (a 'data' listener would start the flow before anyone reads it).
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length
      done(null, chunk)
    },
  })
  const pack = create({ cwd: root, portable: true, noDirRecurse: true, follow: false }, files)
  pack.on('error', (err: unknown) => counter.destroy(err as Error))
  pack.pipe(counter)
  return {
    stream: counter,
    dockerfile,
    sent: () => sent,
    cleanup: () => {
      for (const f of extra) {
        try {
          unlinkSync(f)
        } catch {
          /* gone */
        }
      }
    },
  }
}

/**
 * The context's paths, parents first, as Docker's client walks it: an excluded directory is
 * skipped whole unless an exception might re-include something below it (then its files that are
 * included travel without it); `always` names are sent whatever .dockerignore says.
 */
function contextFiles(root: string, matcher: DockerignoreMatcher | undefined, always: Set<string>): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    const abs = rel ? join(root, rel) : root
    let names: string[]
    try {
      names = readdirSync(abs).sort()
    } catch (err) {
      throw new TockerError(`error checking context: can't stat '${abs}'`, { code: 'EINVALID', cause: err })
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name
      const st = lstatSync(join(root, path))
      const excluded = !always.has(path) && (matcher?.ignores(path) ?? false)
      if (st.isDirectory()) {
        if (!excluded) out.push(path)
        if (!excluded || matcher?.mayReinclude(path)) walk(path)
        continue
      }
      if (excluded) continue
      if (st.isFile()) {
        try {
          accessSync(join(root, path), constants.R_OK)
        } catch {
          throw new TockerError(`error checking context: can't open '${join(root, path)}': permission denied`, { code: 'EACCES' })
        }
      }
      if (st.isSocket()) continue
      out.push(path)
    }
  }
  walk('')
  return out
}
