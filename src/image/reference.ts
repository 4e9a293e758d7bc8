// Image references ("busybox", "lab/tools/busybox:1.35", "127.0.0.1:5000/x/y@sha256:…"): pure parsing,
// no I/O, following Docker's rules (github.com/distribution/reference, ParseNormalizedNamed) so that a
// learner's `docker` command line means the same thing to tocker.
//
//   busybox                  → docker.io / library/busybox : latest (the tag is added by withDefaultTag)
//   lab/tools/busybox:1.35   → docker.io / lab/tools/busybox : 1.35
//   127.0.0.1:5000/x/y:tag   → 127.0.0.1:5000 / x/y : tag
//   localhost/x              → localhost / x
//
// The first path component is a registry host only if it contains '.' or ':', is exactly "localhost",
// or has an uppercase letter (repository paths are always lowercase, host names may not be).
import { TockerError } from '../errors.js'

export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "127.0.0.1:5000". */
  domain: string
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string
  tag?: string
  /** "sha256:<64 hex>" */
  digest?: string
}

export const DEFAULT_DOMAIN = 'docker.io'
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io'
const OFFICIAL_REPO_PREFIX = 'library/'
export const DEFAULT_TAG = 'latest'
/** Docker limits the repository path (not the whole name) to 255 characters. */
const NAME_TOTAL_LENGTH_MAX = 255
const MAX_REFERENCE_LENGTH = 1024

// The grammar of distribution/reference's regexp.go, piece by piece.
const alphanumeric = '[a-z0-9]+'
const separator = '(?:[._]|__|[-]+)'
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]'
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`
const host = `(?:${domainName}|${ipv6Address})`
const domainAndPort = `${host}(?::[0-9]+)?`
const tagPattern = '[\\w][\\w.-]{0,127}'
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}'
const remoteName = `${pathComponent}(?:/${pathComponent})*`
const namePattern = `(?:${domainAndPort}/)?${remoteName}`

const referenceRegexp = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`)
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`)
const anchoredTagRegexp = new RegExp(`^${tagPattern}$`)
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/

/** Digest algorithms go-digest knows, with the length of their hex encoding. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 }
const anchoredDigestRegexp = new RegExp(`^${digestPattern}$`)

function invalid(message: string): TockerError {
  return new TockerError(message, { code: 'EINVALIDREF' })
}

/**
 * Validate a digest string the way go-digest's Digest.Validate does, with its messages
 * ("invalid checksum digest format", "invalid checksum digest length", "unsupported digest algorithm").
 */
export function validateDigest(d: string): void {
  const i = d.indexOf(':')
  if (i <= 0 || i + 1 === d.length) throw invalid('invalid checksum digest format')
  const algorithm = d.slice(0, i)
  const encoded = d.slice(i + 1)
  const hexLength = DIGEST_HEX_LENGTH[algorithm]
  if (hexLength === undefined) {
    if (!anchoredDigestRegexp.test(d)) throw invalid('invalid checksum digest format')
    throw invalid('unsupported digest algorithm')
  }
  if (encoded.length !== hexLength) throw invalid('invalid checksum digest length')
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalid('invalid checksum digest format')
}

/** Split "name" into a registry domain and the rest, adding Docker Hub's defaults. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/')
  let domain: string
  let remainder: string
  const first = i === -1 ? '' : name.slice(0, i)
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN
    remainder = name
  } else {
    domain = first
    remainder = name.slice(i + 1)
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder
  return { domain, remainder }
}

/**
 * Parse what a person typed ("busybox", "127.0.0.1:5000/x/y:tag", "name@sha256:…") into a fully
 * qualified reference. Throws TockerError with Docker's wording on bad input. No default tag is added:
 * use withDefaultTag for that (so callers can print Docker's "Using default tag: latest").
 */
export function parseReference(s: string): Reference {
  // Longer than any valid reference (host 255, path 255, tag 128, digest ~140): refused before the
  // regular expressions run, so their cost stays bounded whatever a client or an archive sends.
  if (s.length > MAX_REFERENCE_LENGTH) throw invalid(`invalid reference format: longer than ${MAX_REFERENCE_LENGTH} characters`)
  if (anchoredIdentifierRegexp.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`)
  }
  const { domain, remainder } = splitDockerDomain(s)
  const tagSep = remainder.indexOf(':')
  const repoName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder
  if (repoName.toLowerCase() !== repoName) {
    throw invalid(`invalid reference format: repository name (${repoName}) must be lowercase`)
  }
  const full = `${domain}/${remainder}`
  const m = referenceRegexp.exec(full)
  if (!m) {
    if (referenceRegexp.test(full.toLowerCase())) throw invalid('repository name must be lowercase')
    throw invalid('invalid reference format')
  }
  const nameMatch = anchoredNameRegexp.exec(m[1])
  // A first component that looked like a host ('.' or ':') but is not a valid one ("a_b.c/x"):
  // Docker's parser leaves such a name without a domain and fails later, when it contacts the
  // registry; here it is refused now.
  if (!nameMatch || nameMatch[1] === undefined) throw invalid('invalid reference format')
  const ref: Reference = { domain: nameMatch[1], path: nameMatch[2] }
  if (ref.path.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`)
  }
  if (m[2] !== undefined) ref.tag = m[2]
  if (m[3] !== undefined) {
    validateDigest(m[3])
    ref.digest = m[3]
  }
  return ref
}

/** Is `s` a valid tag ("latest", "1.35", "v2_rc-1")? */
export function isValidTag(s: string): boolean {
  return anchoredTagRegexp.test(s)
}

/** The reference with tag "latest" if it names neither a tag nor a digest (Docker's TagNameOnly). */
export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref
  return { ...ref, tag: DEFAULT_TAG }
}

/** "docker.io/library/busybox" */
export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`
}

/** "docker.io/library/busybox:latest", "127.0.0.1:5000/x/y@sha256:…" */
export function fullString(ref: Reference): string {
  return fullName(ref) + suffix(ref)
}

/** The short name people type: "busybox", "lab/tools/busybox", "127.0.0.1:5000/x/y". */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref)
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX) && !ref.path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return ref.path.slice(OFFICIAL_REPO_PREFIX.length)
  }
  return ref.path
}

/** "busybox:latest", "127.0.0.1:5000/x/y@sha256:…" */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + suffix(ref)
}

/** How Docker shows what a user typed ("busybox" → "busybox:latest"); unchanged if it does not parse. */
export function familiarOf(image: string): string {
  try {
    return familiarString(withDefaultTag(parseReference(image)))
  } catch {
    return image
  }
}

function suffix(ref: Reference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '')
}
