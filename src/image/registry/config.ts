// Where the registry client's settings come from, as Docker keeps them:
//   daemon.json: {"insecure-registries": ["myreg:5000", "10.0.0.0/8"], "registry-mirrors": ["https://…"]}
//     read from $TOCKER_CONFIG/daemon.json when TOCKER_CONFIG is set, else /etc/tocker/daemon.json
//     (Docker's /etc/docker/daemon.json): the engine's settings.
//   credentials: those a request carries (the engine), or those `tocker login` stored in
//     config.json (src/registry-credentials.ts; for the client used as a library).
import { join } from 'node:path'
import { readJsonFile, storedCredentials, type Credentials } from '../../registry-credentials.js'

export { configDir, credentialKey, credentialsPath, DOCKER_HUB_AUTH_KEY, removeCredentials, saveCredentials, type Credentials } from '../../registry-credentials.js'

export interface RegistryConfig {
  /** host[:port] entries and CIDR ranges served over plain HTTP (besides localhost and 127.0.0.0/8). */
  insecureRegistries: string[]
  /** Mirrors tried before registry-1.docker.io for docker.io images ("https://mirror.example"). */
  mirrors: string[]
  /** Credentials for a registry host ("127.0.0.1:5000", "docker.io"), if the user logged in. */
  credentials(host: string): Credentials | undefined
}

function daemonFile(): string {
  return process.env.TOCKER_CONFIG ? join(process.env.TOCKER_CONFIG, 'daemon.json') : '/etc/tocker/daemon.json'
}

/** The engine's registry settings (daemon.json): insecure registries and mirrors, no credentials. */
export function loadDaemonConfig(): Pick<RegistryConfig, 'insecureRegistries' | 'mirrors'> {
  const daemon = readJsonFile(daemonFile())
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  return { insecureRegistries: list(daemon['insecure-registries']), mirrors: list(daemon['registry-mirrors']) }
}

/** daemon.json plus the credentials `tocker login` stored (the registry client as a library). */
export function loadRegistryConfig(): RegistryConfig {
  return { ...loadDaemonConfig(), credentials: storedCredentials }
}
