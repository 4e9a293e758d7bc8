// Where an engine listens: -H unix://PATH (or TOCKER_HOST) wins; otherwise the default socket
// /run/tocker/tocker.sock for the default store, and <root>/tocker.sock for any other --root
// (so that several engines — one per test, one per lab exercise — can run side by side).
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { DEFAULT_ROOT } from '../store/layout.js'

export { DEFAULT_ROOT }

export const DEFAULT_SOCKET = '/run/tocker/tocker.sock'
export const DEFAULT_PIDFILE = '/run/tocker/tockerd.pid'

export interface EngineAddress {
  socket: string
  pidFile: string
}

export function parseHost(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length)
  if (host.startsWith('/')) return host
  throw new TockerError(`unsupported host ${JSON.stringify(host)}: tocker engines listen on unix sockets (unix:///path/to/tocker.sock)`, { code: 'EHOST' })
}

export function engineAddress(root: string, host?: string): EngineAddress {
  const isDefaultRoot = root.replace(/\/+$/, '') === DEFAULT_ROOT
  if (host) {
    const socket = parseHost(host)
    return { socket, pidFile: isDefaultRoot ? DEFAULT_PIDFILE : join(root, 'tockerd.pid') }
  }
  if (isDefaultRoot) return { socket: DEFAULT_SOCKET, pidFile: DEFAULT_PIDFILE }
  return { socket: under(root, 'tocker.sock'), pidFile: under(root, 'tockerd.pid') }
}

/**
 * join(root, name) for a name without slashes: the same path, without path.join's first call in a
 * command (join and normalize compiled, ~0.3 M instructions of every command given --root) where
 * `root` is already normal (no empty, `.` or `..` part, no trailing slash).
 */
function under(root: string, name: string): string {
  return root !== '' && !/(^|\/)\.\.?(\/|$)|\/\/|\/$/.test(root) ? `${root}/${name}` : join(root, name)
}
