// Where `tocker login` keeps registry credentials: $TOCKER_CONFIG/config.json (default
// ~/.tocker/config.json), in the Docker CLI's format {"auths": {"127.0.0.1:5000": {"auth":
// base64("user:password")}}}, Docker Hub's key being "https://index.docker.io/v1/". This is the
// client's business, as in Docker: the CLI reads it and sends the credentials a pull needs in the
// request (X-Registry-Auth); the engine never reads it. A leaf module: the CLI and the image
// layer (the registry client used as a library) both use it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { TockerError } from './errors.js'
import { writeFileAtomic } from './sys/atomic-file.js'

export interface Credentials {
  username: string
  password: string
}

/** Docker Hub's key in config.json, kept for compatibility with files written by `docker login`. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

const HUB_HOSTS = ['docker.io', 'index.docker.io', 'registry-1.docker.io']

export function configDir(): string {
  return process.env.TOCKER_CONFIG || join(homedir(), '.tocker')
}

function credentialsFile(): string {
  return join(configDir(), 'config.json')
}

/** Where credentials are stored, for messages. */
export function credentialsPath(): string {
  return credentialsFile()
}

/** The config.json key for a registry: the host, or Docker Hub's historical URL. */
export function credentialKey(host: string): string {
  return HUB_HOSTS.includes(host) ? DOCKER_HUB_AUTH_KEY : host
}

/** "https://host:5000/v2/" → "host:5000" (Docker's ConvertToHostname), for matching config.json keys. */
function keyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]
}

export function readJsonFile(path: string): Record<string, any> {
  if (!existsSync(path)) return {}
  try {
    const value = JSON.parse(readFileSync(path, 'utf8'))
    return value && typeof value === 'object' ? value : {}
  } catch (err) {
    throw new TockerError(`invalid JSON in ${path}: ${(err as Error).message}`, { code: 'ECONFIG' })
  }
}

function decodeAuthEntry(entry: any): Credentials | undefined {
  if (!entry || typeof entry !== 'object') return undefined
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password }
  }
  return undefined
}

/** The stored credentials for a registry host ("127.0.0.1:5000", "docker.io"), if any. */
export function storedCredentials(host: string): Credentials | undefined {
  const auths = (readJsonFile(credentialsFile()).auths ?? {}) as Record<string, unknown>
  const wanted = credentialKey(host)
  if (auths[wanted] !== undefined) return decodeAuthEntry(auths[wanted])
  const wantedHost = keyHost(wanted)
  for (const [key, entry] of Object.entries(auths)) {
    if (keyHost(key) === wantedHost) return decodeAuthEntry(entry)
  }
  return undefined
}

/** Write config.json atomically (temp file + rename), readable only by its owner: it holds passwords. */
function writeCredentialsFile(data: Record<string, any>): void {
  const path = credentialsFile()
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  // (A write cut short, no space left, takes its temporary file back.)
  writeFileAtomic(path, JSON.stringify(data, null, '\t') + '\n', { mode: 0o600 })
}

export function saveCredentials(host: string, creds: Credentials): void {
  const data = readJsonFile(credentialsFile())
  data.auths = { ...(data.auths ?? {}) }
  data.auths[credentialKey(host)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') }
  writeCredentialsFile(data)
}

/** Forget the credentials for `host`; false if there were none. */
export function removeCredentials(host: string): boolean {
  const data = readJsonFile(credentialsFile())
  const auths = { ...(data.auths ?? {}) } as Record<string, unknown>
  const wantedHost = keyHost(credentialKey(host))
  const keys = Object.keys(auths).filter((k) => k === credentialKey(host) || keyHost(k) === wantedHost)
  if (keys.length === 0) return false
  for (const k of keys) delete auths[k]
  data.auths = auths
  writeCredentialsFile(data)
  return true
}

/** "http://127.0.0.1:5000/v2/" → "127.0.0.1:5000"; Docker Hub's names (and nothing) → "docker.io". */
export function registryHostOf(server: string | undefined): string {
  if (!server) return 'docker.io'
  const host = keyHost(server)
  return HUB_HOSTS.includes(host) ? 'docker.io' : host
}
