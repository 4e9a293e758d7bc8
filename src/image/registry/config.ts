// Where the registry client's settings come from, as Docker keeps them:
//   $TOCKER_CONFIG/config.json (default ~/.tocker/config.json): credentials written by `tocker login`,
//     Docker's format {"auths": {"127.0.0.1:5000": {"auth": base64("user:password")}}}; Docker Hub's
//     key is "https://index.docker.io/v1/".
//   daemon.json: {"insecure-registries": ["myreg:5000", "10.0.0.0/8"], "registry-mirrors": ["https://…"]}
//     read from $TOCKER_CONFIG/daemon.json when TOCKER_CONFIG is set, else /etc/tocker/daemon.json
//     (Docker's /etc/docker/daemon.json).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { TockerError } from '../../errors.js'
import { DEFAULT_DOMAIN } from '../reference.js'

export interface Credentials {
  username: string
  password: string
}

export interface RegistryConfig {
  /** host[:port] entries and CIDR ranges served over plain HTTP (besides localhost and 127.0.0.0/8). */
  insecureRegistries: string[]
  /** Mirrors tried before registry-1.docker.io for docker.io images ("https://mirror.example"). */
  mirrors: string[]
  /** Credentials for a registry host ("127.0.0.1:5000", "docker.io"), if the user logged in. */
  credentials(host: string): Credentials | undefined
}

/** Docker Hub's key in config.json, kept for compatibility with files written by `docker login`. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

export function configDir(): string {
  return process.env.TOCKER_CONFIG || join(homedir(), '.tocker')
}

function credentialsFile(): string {
  return join(configDir(), 'config.json')
}

function daemonFile(): string {
  return process.env.TOCKER_CONFIG ? join(process.env.TOCKER_CONFIG, 'daemon.json') : '/etc/tocker/daemon.json'
}

/** The config.json key for a registry: the host, or Docker Hub's historical URL. */
export function credentialKey(host: string): string {
  return host === DEFAULT_DOMAIN || host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB_AUTH_KEY : host
}

/** "https://host:5000/v2/" → "host:5000" (Docker's ConvertToHostname), for matching config.json keys. */
function keyHost(key: string): string {
  const stripped = key.replace(/^[a-z]+:\/\//i, '')
  return stripped.split('/')[0]
}

function readJson(path: string): Record<string, any> {
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

export function loadRegistryConfig(): RegistryConfig {
  const auths = (readJson(credentialsFile()).auths ?? {}) as Record<string, unknown>
  const daemon = readJson(daemonFile())
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  return {
    insecureRegistries: list(daemon['insecure-registries']),
    mirrors: list(daemon['registry-mirrors']),
    credentials(host: string) {
      const wanted = credentialKey(host)
      if (auths[wanted] !== undefined) return decodeAuthEntry(auths[wanted])
      const wantedHost = keyHost(wanted)
      for (const [key, entry] of Object.entries(auths)) {
        if (keyHost(key) === wantedHost) return decodeAuthEntry(entry)
      }
      return undefined
    },
  }
}

/** Write config.json atomically (temp file + rename), readable only by its owner: it holds passwords. */
function writeCredentialsFile(data: Record<string, any>): void {
  const path = credentialsFile()
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(data, null, '\t') + '\n', { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

export function saveCredentials(host: string, creds: Credentials): void {
  const data = readJson(credentialsFile())
  data.auths = { ...(data.auths ?? {}) }
  data.auths[credentialKey(host)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') }
  writeCredentialsFile(data)
}

/** Forget the credentials for `host`; false if there were none. */
export function removeCredentials(host: string): boolean {
  const data = readJson(credentialsFile())
  const auths = { ...(data.auths ?? {}) } as Record<string, unknown>
  const wantedHost = keyHost(credentialKey(host))
  const keys = Object.keys(auths).filter((k) => k === credentialKey(host) || keyHost(k) === wantedHost)
  if (keys.length === 0) return false
  for (const k of keys) delete auths[k]
  data.auths = auths
  writeCredentialsFile(data)
  return true
}

/** Where credentials are stored, for messages. */
export function credentialsPath(): string {
  return credentialsFile()
}
