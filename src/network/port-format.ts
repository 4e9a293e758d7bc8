// Published ports as Docker shows them: the NetworkSettings.Ports map of `inspect`, the Ports list
// of GET /containers/json, the PORTS column of `ps` ("0.0.0.0:8081->80/tcp, 443/tcp") and the
// lines of `tocker port` ("80/tcp -> 0.0.0.0:8081"). Pure functions, the same rules as the Docker CLI.
import { TockerError } from '../errors.js'
import type { LoosePortMap, PortMap } from './port-spec.js'
import type { PublishedPort } from './types.js'

/** NetworkSettings.Ports: every exposed port, with its host bindings or null when not published. */
export function portMap(published: PublishedPort[], exposed?: Record<string, unknown> | null): PortMap {
  const map: PortMap = {}
  for (const key of Object.keys(exposed ?? {})) map[normalizeKey(key)] = null
  for (const p of published) {
    ;(map[`${p.containerPort}/${p.proto}`] ??= [])!.push({ HostIp: p.hostIp, HostPort: String(p.hostPort) })
  }
  return map
}

function normalizeKey(key: string): string {
  return key.includes('/') ? key : `${key}/tcp`
}

/** One element of GET /containers/json's Ports. */
export interface PortSummary {
  IP?: string
  PrivatePort: number
  PublicPort?: number
  Type: string
}

export function portSummaries(ports: LoosePortMap | null | undefined): PortSummary[] {
  const out: PortSummary[] = []
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, type = 'tcp'] = key.split('/')
    const PrivatePort = Number(port)
    if (!bindings || bindings.length === 0) {
      out.push({ PrivatePort, Type: type })
      continue
    }
    for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort, PublicPort: Number(b.HostPort), Type: type })
  }
  return out
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0)
}

/**
 * `ps`'s PORTS column, as the Docker CLI computes it: sorted by container port, a port published on
 * the same host port folded into ranges ("0.0.0.0:8000-8002->8000-8002/tcp"), a port published on a
 * different host port listed as "0.0.0.0:8081->80/tcp" after those, and an exposed port that is not
 * published as just "80/tcp".
 */
export function displayablePorts(ports: PortSummary[]): string {
  const sorted = [...ports].sort(
    (a, b) =>
      a.PrivatePort - b.PrivatePort ||
      ipKey(a.IP ?? '0.0.0.0') - ipKey(b.IP ?? '0.0.0.0') ||
      (a.PublicPort ?? 0) - (b.PublicPort ?? 0) ||
      a.Type.localeCompare(b.Type),
  )
  const groups = new Map<string, { first: number; last: number }>()
  const result: string[] = []
  const hostMappings: string[] = []
  for (const p of sorted) {
    let key = p.Type
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        hostMappings.push(`${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`)
        continue
      }
      key = `${p.IP}/${p.Type}`
    }
    const g = groups.get(key)
    if (!g) {
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort })
      continue
    }
    if (p.PrivatePort === g.last + 1) {
      g.last = p.PrivatePort
      continue
    }
    result.push(formGroup(key, g.first, g.last))
    // Docker replaces the group in its map but keeps the key's first-seen position.
    groups.set(key, { first: p.PrivatePort, last: p.PrivatePort })
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last))
  return [...result, ...hostMappings].join(', ')
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split('/')
  const ip = parts.length > 1 ? parts[0] : ''
  const type = parts.length > 1 ? parts[1] : parts[0]
  let group = String(first)
  if (first !== last) group += `-${last}`
  if (ip) group = `${ip}:${group}->${group}`
  return `${group}/${type}`
}

/** Natural order ("80/tcp -> …" before "443/tcp -> …"), as the Docker CLI sorts `port` output. */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? []
  const cb = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!
    const y = cb[i]!
    if (x === y) continue
    const nx = /^\d/.test(x)
    const ny = /^\d/.test(y)
    if (nx && ny) return Number(x) - Number(y) || x.length - y.length
    return x < y ? -1 : 1
  }
  return ca.length - cb.length
}

/**
 * `tocker port CONTAINER [PRIVATE_PORT[/PROTO]]`: without a port, "80/tcp -> 0.0.0.0:8081" lines;
 * with one, "0.0.0.0:8081" lines, or Docker's error when it is not published.
 */
export function portCommandLines(ports: LoosePortMap | null | undefined, container: string, privatePort?: string): string[] {
  const out: string[] = []
  if (privatePort !== undefined) {
    const [port, proto = 'tcp'] = privatePort.split('/')
    if (!/^[0-9]+$/.test(port!) || Number(port) > 65535) {
      throw new TockerError(`Error: invalid port (${port}): strconv.ParseUint: parsing "${port}": invalid syntax`, { code: 'EINVALID' })
    }
    const frontends = ports?.[`${Number(port)}/${proto}`]
    if (!frontends || frontends.length === 0) {
      throw new TockerError(`Error: No public port '${privatePort}' published for ${container}`, { code: 'ENOTFOUND' })
    }
    for (const f of frontends) out.push(`${f.HostIp ?? ''}:${f.HostPort ?? ''}`)
  } else {
    for (const [from, frontends] of Object.entries(ports ?? {})) {
      for (const f of frontends ?? []) out.push(`${from} -> ${f.HostIp ?? ''}:${f.HostPort ?? ''}`)
    }
  }
  return out.sort(naturalCompare)
}
