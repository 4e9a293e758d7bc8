// Kernel switches under /proc/sys/net. They belong to the network namespace of the process that
// opens the file, so the engine sets them for its own namespace (the host's) and a test sandbox's
// writes never reach the host. Only written when the value differs, so an idempotent re-run is silent.
// Read and written through the network host seam (command.ts), so unit tests never touch the real ones.
import { networkHost } from './command.js'
import { traced } from '../trace/trace.js'

export function readSysctl(key: string): string | undefined {
  return networkHost().readSysctl(key)
}

/** `key` in sysctl's dotted form, e.g. "net.ipv4.ip_forward" or "net.ipv4.conf.tocker0.route_localnet". */
export function ensureSysctl(key: string, value: string): void {
  if (readSysctl(key) === value) return
  traced('net', 'sysctl', () => `-w ${key}=${value}`, () => networkHost().writeSysctl(key, value))
}
