// Kernel switches under /proc/sys/net. They belong to the network namespace of the process that
// opens the file, so the engine sets them for its own namespace (the host's) and a test sandbox's
// writes never reach the host. Only written when the value differs, so an idempotent re-run is silent.
import { readFileSync, writeFileSync } from 'node:fs'
import { traced } from '../trace/trace.js'

function pathOf(key: string): string {
  return '/proc/sys/' + key.replace(/\./g, '/')
}

export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(pathOf(key), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** `key` in sysctl's dotted form, e.g. "net.ipv4.ip_forward" or "net.ipv4.conf.tocker0.route_localnet". */
export function ensureSysctl(key: string, value: string): void {
  if (readSysctl(key) === value) return
  traced('net', 'sysctl', () => `-w ${key}=${value}`, () => writeFileSync(pathOf(key), value + '\n'))
}
