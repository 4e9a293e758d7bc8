// Registry authentication, as the distribution spec and Docker do it:
//   1. GET /v2/ (the "ping"): 200 means no auth; 401 carries a WWW-Authenticate challenge.
//   2. `Basic realm=…`: send the user's credentials on every request (htpasswd registries).
//      `Bearer realm="https://auth…/token",service="registry…"`: ask the realm (a separate token
//      server) for a token for a scope such as "repository:library/busybox:pull", anonymously or with
//      Basic credentials, then send "Authorization: Bearer <token>" to the registry.
//   3. Tokens are cached (per realm, service, scope and user) until expires_in runs out (at least
//      60 s when the server says less or nothing, as the token spec and Docker do; at most an hour,
//      whatever the server says: the engine lives for weeks, and a token server answering
//      "expires_in": 1e12 must not pin one token, or one cache entry, for that long). The cache
//      drops expired tokens and holds at most MAX_CACHED_TOKENS.
import { createHash } from 'node:crypto'
import type { Credentials } from './config.js'
import type { Endpoint } from './endpoints.js'
import { RegistryHttpError, registryHttpError } from './errors.js'
import { httpRequest, readBody, type Fetch } from './transport.js'

export interface Challenge {
  scheme: string // lower case: "bearer", "basic"
  params: Record<string, string>
}

/** Parse a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"` (several challenges allowed). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = []
  let i = 0
  const skip = (re: RegExp) => {
    while (i < header.length && re.test(header[i])) i++
  }
  const token = () => {
    const start = i
    while (i < header.length && /[^\s,=]/.test(header[i])) i++
    return header.slice(start, i)
  }
  let current: Challenge | undefined
  while (i < header.length) {
    skip(/[\s,]/)
    if (i >= header.length) break
    const word = token()
    skip(/\s/)
    if (header[i] === '=' && current) {
      i++
      skip(/\s/)
      let value = ''
      if (header[i] === '"') {
        i++
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++
          value += header[i++]
        }
        i++
      } else {
        value = token()
      }
      current.params[word.toLowerCase()] = value
    } else {
      current = { scheme: word.toLowerCase(), params: {} }
      out.push(current)
    }
  }
  return out
}

interface CachedToken {
  token: string
  expiresAt: number
}

/**
 * A pull asks the token server once per repository scope. One cache per transport (a WeakMap on
 * the fetch function: an engine's pulls share one), keyed by the registry endpoint too: a token
 * is only ever sent back to the registry it was obtained for, over the transport it came by. (A
 * registry whose challenge names another registry's realm and service must not be handed that
 * registry's cached token.)
 */
const tokenCaches = new WeakMap<Fetch | typeof globalThis.fetch, Map<string, CachedToken>>()

function tokenCacheOf(fetch: Fetch | undefined): Map<string, CachedToken> {
  const transport = fetch ?? globalThis.fetch
  let cache = tokenCaches.get(transport)
  if (!cache) tokenCaches.set(transport, cache = new Map())
  return cache
}

const MIN_TOKEN_LIFETIME_S = 60
/** Docker has no upper bound; ours keeps a long-lived engine from trusting a token server's "forever". */
const MAX_TOKEN_LIFETIME_S = 3600
const MAX_CACHED_TOKENS = 256
/** Refresh a little before the server's deadline, so a token does not expire in flight. */
const EXPIRY_MARGIN_MS = 5_000

export interface Authorization {
  /** The Authorization header value, or undefined when the registry wants none. */
  header?: string
  /** True if obtained just now (a 401 with it is final); false if it came from the cache. */
  fresh: boolean
}

export class Authenticator {
  /** Endpoint base → its challenge (null: the registry asked for no authentication). */
  private readonly challenges = new Map<string, Challenge | null>()

  constructor(
    private readonly credentialsFor: (host: string) => Credentials | undefined,
    /** The transport (transport.ts; default: Node's fetch). */
    private readonly fetch?: Fetch,
  ) {}

  /** GET /v2/ once per endpoint: is it reachable, and what authentication does it want? */
  async ping(ep: Endpoint, signal?: AbortSignal): Promise<void> {
    if (this.challenges.has(ep.base)) return
    const url = `${ep.base}/v2/`
    const { response } = await httpRequest({ url, signal, fetch: this.fetch })
    const body = (await readBody(response, 1 << 20, 'registry answer')).toString()
    if (response.status === 401) {
      this.challenges.set(ep.base, pickChallenge(response.headers.get('www-authenticate')))
    } else if (response.ok) {
      this.challenges.set(ep.base, null)
    } else {
      throw registryHttpError(response.status, body)
    }
  }

  /** Remember the challenge of a 401 answer (a registry may ask for a different scope than the ping). */
  updateChallenge(ep: Endpoint, header: string | null): void {
    const challenge = pickChallenge(header)
    if (challenge) this.challenges.set(ep.base, challenge)
  }

  challengeOf(ep: Endpoint): Challenge | null | undefined {
    return this.challenges.get(ep.base)
  }

  /** The Authorization header for a request needing `scope` ("repository:x/y:pull"). */
  async authorize(ep: Endpoint, scope: string | undefined, opts: { signal?: AbortSignal; refresh?: boolean; credentials?: Credentials } = {}): Promise<Authorization> {
    await this.ping(ep, opts.signal)
    const challenge = this.challenges.get(ep.base)
    if (!challenge) return { fresh: false }
    const creds = opts.credentials ?? this.credentialsFor(ep.host)
    if (challenge.scheme === 'basic') {
      if (!creds) throw new RegistryHttpError(401, 'UNAUTHORIZED', 'no basic auth credentials')
      return { header: basic(creds), fresh: true }
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryHttpError(401, 'UNAUTHORIZED', `unsupported authentication scheme "${challenge.scheme}"`)
    }
    // Keyed by the whole credential: a different password must not reuse the token of the right one.
    const who = creds ? `${creds.username}:${createHash('sha256').update(creds.password).digest('hex')}` : ''
    const key = JSON.stringify([ep.base, challenge.params.realm, challenge.params.service, scope, who])
    const tokenCache = tokenCacheOf(this.fetch)
    const cached = tokenCache.get(key)
    if (cached && !opts.refresh && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) {
      return { header: `Bearer ${cached.token}`, fresh: false }
    }
    const token = await fetchToken(challenge, scope, creds, opts.signal, this.fetch)
    cacheToken(tokenCache, key, token)
    return { header: `Bearer ${token.token}`, fresh: true }
  }
}

function cacheToken(tokenCache: Map<string, CachedToken>, key: string, token: CachedToken): void {
  const now = Date.now()
  for (const [k, t] of tokenCache) if (t.expiresAt <= now) tokenCache.delete(k)
  // Still full: drop the oldest (a Map iterates in insertion order).
  while (tokenCache.size >= MAX_CACHED_TOKENS) tokenCache.delete(tokenCache.keys().next().value!)
  tokenCache.delete(key)
  tokenCache.set(key, token)
}

/** How long a token is kept: the server's expires_in, within [60 s, 1 h]; NaN, negative or absent = 60 s. */
export function tokenLifetimeSeconds(expiresIn: unknown): number {
  const n = Number(expiresIn)
  if (Number.isNaN(n)) return MIN_TOKEN_LIFETIME_S
  return Math.min(Math.max(n, MIN_TOKEN_LIFETIME_S), MAX_TOKEN_LIFETIME_S)
}

function pickChallenge(header: string | null): Challenge | null {
  if (!header) return null
  const all = parseChallenges(header)
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic') ?? all[0] ?? null
}

function basic(creds: Credentials): string {
  return 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64')
}

/** Ask the realm for a token: GET realm?service=…&scope=…[&account=user], Basic auth if we have credentials. */
async function fetchToken(challenge: Challenge, scope: string | undefined, creds: Credentials | undefined, signal?: AbortSignal, fetch?: Fetch): Promise<CachedToken> {
  const url = new URL(challenge.params.realm)
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service)
  // Several scopes (a push that mounts from another repository) are several scope parameters, as Docker sends them.
  if (scope) { for (const s of scope.split(' ')) url.searchParams.append('scope', s) }
  if (creds) url.searchParams.set('account', creds.username)
  const headers: Record<string, string> = {}
  if (creds) headers.authorization = basic(creds)
  const { response } = await httpRequest({ url: url.toString(), headers, signal, fetch })
  const body = (await readBody(response, 1 << 20, 'token server answer')).toString()
  if (!response.ok) throw registryHttpError(response.status, body)
  let parsed: any
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new RegistryHttpError(response.status, undefined, 'the authorization server answered with invalid JSON')
  }
  const token = parsed?.token || parsed?.access_token
  if (typeof token !== 'string' || !token) {
    throw new RegistryHttpError(response.status, undefined, 'authorization server did not include a token in the response')
  }
  return { token, expiresAt: Date.now() + tokenLifetimeSeconds(parsed.expires_in) * 1000 }
}
