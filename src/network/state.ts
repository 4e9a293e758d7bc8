// The network's memory: <root>/network/state.json holds every network (the default bridge, the
// user-defined ones, their subnets) and every endpoint (container -> network, IP, MAC, veth,
// published ports, DNS names). It is the single source of truth that release and reconcile work
// from, so it is read and rewritten only under an flock(2) on <root>/locks/network.lock (several
// engines or CLI processes may share a store), and written atomically (temp file, fsync, rename):
// a crash leaves the old file or the new one, never half.
//
// Version 1 (before user-defined networks) held the default bridge alone; it is read as version 2.
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { TockerError } from '../errors.js'
import { storeLayout } from '../store/layout.js'
import { writeFileAtomic, writeFileAtomicAsync } from '../sys/atomic-file.js'
import type { Endpoint, NetworkRecord, NetworkState } from './types.js'

export interface StatePaths {
  file: string
  lock: string
}

export function statePaths(root: string): StatePaths {
  return { file: join(root, 'network', 'state.json'), lock: join(storeLayout(root).locks, 'network.lock') }
}

export function newNetworkId(): string {
  return randomBytes(32).toString('hex')
}

/** Docker's Created: RFC 3339 with nanoseconds. */
export function createdNow(): string {
  const d = new Date()
  return d.toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}${String(process.hrtime()[1] % 1_000_000).padStart(6, '0')}Z`)
}

/** The predefined networks every engine has: bridge (the default), host, none. */
export function emptyState(bridge: string): NetworkState {
  const state: NetworkState = { version: 2, networks: {} }
  ensurePredefined(state, bridge)
  return state
}

function ensurePredefined(state: NetworkState, bridge: string, defaultId?: string): void {
  const names = new Set(Object.values(state.networks).map((n) => n.name))
  if (!names.has('bridge')) {
    const id = defaultId ?? newNetworkId()
    state.networks[id] = { id, name: 'bridge', driver: 'bridge', created: createdNow(), predefined: true, bridge, endpoints: {} }
  }
  for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
    if (names.has(name)) continue
    const id = newNetworkId()
    state.networks[id] = { id, name, driver, created: createdNow(), predefined: true, endpoints: {} }
  }
}

interface StateV1 {
  version: 1
  networkId: string
  bridge: string
  subnet?: string
  gateway?: string
  bridgeMac?: string
  endpoints: Record<string, Endpoint>
}

export function readState(paths: StatePaths, bridge: string): NetworkState {
  let text: string
  try {
    text = readFileSync(paths.file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(bridge)
    throw err
  }
  const s = JSON.parse(text) as NetworkState | StateV1
  if (s.version === 1) {
    const state: NetworkState = { version: 2, networks: {} }
    for (const e of Object.values(s.endpoints ?? {})) e.networkId = s.networkId
    state.networks[s.networkId] = {
      id: s.networkId,
      name: 'bridge',
      driver: 'bridge',
      created: createdNow(),
      predefined: true,
      bridge: s.bridge,
      subnet: s.subnet,
      gateway: s.gateway,
      bridgeMac: s.bridgeMac,
      endpoints: s.endpoints ?? {},
    }
    ensurePredefined(state, bridge)
    return state
  }
  if (s.version !== 2) throw new TockerError(`${paths.file}: unknown version ${String((s as { version: unknown }).version)}`, { code: 'ENETSTATE', internal: true })
  s.networks ??= {}
  for (const n of Object.values(s.networks)) {
    n.endpoints ??= {}
    for (const e of Object.values(n.endpoints)) e.networkId ??= n.id
  }
  ensurePredefined(s, bridge)
  return s
}

export function writeState(paths: StatePaths, state: NetworkState): void {
  mkdirSync(dirname(paths.file), { recursive: true, mode: 0o700 })
  writeFileAtomic(paths.file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
}

/**
 * writeState with the fsync on libuv's pool (the engine's main thread goes on meanwhile). The
 * file is written at once and only the fdatasync is left to the pool (writeNow), so that it runs
 * while the engine's thread is held by the runtime's create (the reservation is written just
 * before it: NetworkManager.reserve).
 */
export async function writeStateAsync(paths: StatePaths, state: NetworkState): Promise<void> {
  const text = JSON.stringify(state, null, 2) + '\n'
  mkdirSync(dirname(paths.file), { recursive: true, mode: 0o700 })
  await writeFileAtomicAsync(paths.file, text, { mode: 0o600, writeNow: true })
}

export function removeState(paths: StatePaths): void {
  rmSync(paths.file, { force: true })
}

/** The default bridge network of a state. */
export function defaultNetwork(state: NetworkState): NetworkRecord {
  return Object.values(state.networks).find((n) => n.predefined && n.name === 'bridge')!
}
