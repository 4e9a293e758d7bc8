// .dockerignore, as Docker reads it (moby/patternmatcher's ignorefile + matcher), for the client
// that packs a build context and for the engine (which drops .dockerignore and the Dockerfile from
// the context when they are listed). A leaf module: pure, no I/O.
//
// The file: a UTF-8 BOM is dropped; a line is a comment only when `#` is its first character
// (`  # x` is the pattern "# x"); each line is trimmed; `!` makes an exception; the pattern is then
// cleaned (Go's filepath.Clean: "./a//b/" -> "a/b") and a leading "/" dropped.
// Matching (done by @balena/dockerignore, a port of Docker's own matcher, here case-sensitive as
// Docker is on Linux): patterns are anchored at the context's root; `*` and `?` do not cross "/",
// `**` does; a pattern that matches a directory excludes everything under it; the last matching
// line wins, so `!` re-includes what an earlier line excluded.
import ignore from '@balena/dockerignore'
import { TockerError } from './errors.js'

export interface DockerignoreMatcher {
  /** The cleaned patterns, "!" kept on exceptions. */
  patterns: string[]
  /** Is this context path (relative, "/" separated) left out? */
  ignores(path: string): boolean
  /**
   * May something under this excluded directory be included again by an exception? Docker's
   * client walks into an excluded directory only then (a prefix check of the exception patterns).
   */
  mayReinclude(dir: string): boolean
}

export function parseDockerignore(text: string): string[] {
  if (text.startsWith('\uFEFF')) text = text.slice(1)
  const out: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#')) continue
    let line = raw.trim()
    if (line === '') continue
    let invert = false
    if (line.startsWith('!')) {
      invert = true
      line = line.slice(1).trim()
    }
    if (line.length > 0) {
      line = cleanPath(line)
      if (line.startsWith('/') && line.length > 1) line = line.slice(1)
    }
    if (invert && line === '') throw new TockerError('illegal exclusion pattern: "!"', { code: 'EDOCKERIGNORE', internal: true })
    out.push(invert ? `!${line}` : line)
  }
  return out
}

export function dockerignoreMatcher(text: string): DockerignoreMatcher {
  const patterns = parseDockerignore(text)
  // A CommonJS module: its default export is on .default under NodeNext.
  const ig = ignore.default({ ignorecase: false }).add(patterns)
  const exceptions = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  return {
    patterns,
    ignores: (path) => path !== '' && ig.ignores(path),
    mayReinclude: (dir) => exceptions.some((e) => (e + '/').startsWith(dir + '/')),
  }
}

/** Go's path.Clean for "/"-separated paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(part)
  }
  const s = out.join('/')
  return rooted ? '/' + s : s || '.'
}
