// The network's memory: <root>/network/state.json holds the bridge's subnet and every endpoint
// (container -> IP, MAC, veth, published ports). It is the single source of truth that release and
// reconcile work from, so it is read and rewritten only under an flock(2) on
// <root>/locks/network.lock (several engines or CLI processes may share a store), and written
// atomically (temp file, fsync, rename): a crash leaves the old file or the new one, never half.
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { TockerError } from '../errors.js'
import { storeLayout } from '../store/layout.js'
import { writeFileAtomic } from '../sys/atomic-file.js'
import { withLock } from '../sys/lock.js'
import type { NetworkState } from './types.js'

export interface StatePaths {
  file: string
  lock: string
}

export function statePaths(root: string): StatePaths {
  return { file: join(root, 'network', 'state.json'), lock: join(storeLayout(root).locks, 'network.lock') }
}

export function emptyState(bridge: string): NetworkState {
  return { version: 1, networkId: randomBytes(32).toString('hex'), bridge, endpoints: {} }
}

export function readState(paths: StatePaths, bridge: string): NetworkState {
  let text: string
  try {
    text = readFileSync(paths.file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(bridge)
    throw err
  }
  const s = JSON.parse(text) as NetworkState
  if (s.version !== 1) throw new TockerError(`${paths.file}: unknown version ${String(s.version)}`, { code: 'ENETSTATE', internal: true })
  s.endpoints ??= {}
  return s
}

export function writeState(paths: StatePaths, state: NetworkState): void {
  mkdirSync(dirname(paths.file), { recursive: true, mode: 0o700 })
  writeFileAtomic(paths.file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
}

export function removeState(paths: StatePaths): void {
  rmSync(paths.file, { force: true })
}

/** Read-modify-write under the lock: `fn` gets the state and may change it; it is saved if `fn` says so. */
export function withState<T>(paths: StatePaths, bridge: string, fn: (state: NetworkState) => Promise<T>): Promise<T> {
  return withLock(paths.lock, () => fn(readState(paths, bridge)))
}
