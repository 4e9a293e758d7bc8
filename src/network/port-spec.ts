// `-p` / `--publish` and `-P` as Docker understands them (github.com/docker/go-connections/nat):
//   -p 8081:80            host port 8081 on every address -> container port 80/tcp
//   -p 127.0.0.1:8081:80  only on that host address
//   -p 80                 a free host port chosen at start (`tocker port` tells which)
//   -p 5353:53/udp        udp (tcp is the default; sctp is accepted too)
//   -p 8000-8002:80-82    ranges, one mapping per port; -p 8000-8010:80 picks one free host port in 8000-8010
//   -P                    every ExposedPort (image EXPOSE, --expose, -p) to a free host port
// The result has Docker's wire shape (Config.ExposedPorts, HostConfig.PortBindings), so the CLI puts
// it into the create request unchanged and the engine hands it back at start. Errors use Docker's
// words ("invalid containerPort: abc"). No I/O here.
import type { PortBinding as WirePortBinding, PortSet } from '../api/types.js'
import { TockerError } from '../errors.js'
import { isIPv4 } from './ipv4.js'

export type Proto = 'tcp' | 'udp' | 'sctp'

/** A binding as this layer makes it: both fields always set (the wire type allows them absent). */
export type PortBinding = Required<WirePortBinding>
/** "80/tcp" -> bindings, as this layer makes them. */
export type PortMap = Record<string, PortBinding[] | null>
export type { PortSet }

/** A port map as the API carries it (Docker's PortBinding fields are optional on the wire). */
export type LoosePortMap = Record<string, WirePortBinding[] | null | undefined>

export interface PortMapping {
  port: string // "80/tcp"
  binding: PortBinding
}

function invalid(message: string): TockerError {
  return new TockerError(message, { code: 'EINVALIDPORT', exitCode: 125 })
}

/** "8000-8002" -> [8000, 8002]; "80" -> [80, 80]; undefined when not a port or a range. */
export function parsePortRange(text: string): [number, number] | undefined {
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(text)
  if (!m) return undefined
  const start = Number(m[1])
  const end = m[2] === undefined ? start : Number(m[2])
  if (start > 65535 || end > 65535 || end < start) return undefined
  return [start, end]
}

function splitParts(raw: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = raw.split(':')
  if (parts.length === 1) return ['', '', parts[0]!]
  if (parts.length === 2) return ['', parts[0]!, parts[1]!]
  const n = parts.length
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, parts[n - 1]!]
}

/** One `-p` value -> one mapping per container port (ranges expand). */
export function parsePortSpec(raw: string): PortMapping[] {
  const [ip0, hostPort, containerPart] = splitParts(raw)
  let ip = ip0
  const slash = containerPart.indexOf('/')
  const containerPort = slash < 0 ? containerPart : containerPart.slice(0, slash)
  let proto = slash < 0 ? '' : containerPart.slice(slash + 1)
  if (containerPort === '') throw invalid(`no port specified: ${raw}<empty>`)
  proto = (proto || 'tcp').toLowerCase()
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw invalid(`invalid proto: ${proto}`)
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1)
  if (ip !== '' && !isIPv4(ip)) {
    if (/^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':')) {
      throw invalid(`invalid IP address: ${ip} (tocker publishes on IPv4 addresses only)`)
    }
    throw invalid(`invalid IP address: ${ip}`)
  }
  const cRange = parsePortRange(containerPort)
  if (!cRange || cRange[0] === 0) throw invalid(`invalid containerPort: ${containerPort}`)
  let hRange: [number, number] | undefined
  if (hostPort !== '') {
    hRange = parsePortRange(hostPort)
    if (!hRange) throw invalid(`invalid hostPort: ${hostPort}`)
    if (cRange[1] - cRange[0] !== hRange[1] - hRange[0] && cRange[0] !== cRange[1]) {
      throw invalid(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`)
    }
  }
  const count = cRange[1] - cRange[0] + 1
  const out: PortMapping[] = []
  for (let i = 0; i < count; i++) {
    let hPort = ''
    if (hRange) {
      hPort = String(hRange[0] + i)
      // One container port with a host range: the range is where a free host port is picked.
      if (count === 1 && hRange[0] !== hRange[1]) hPort += `-${hRange[1]}`
    }
    out.push({ port: `${cRange[0] + i}/${proto}`, binding: { HostIp: ip, HostPort: hPort } })
  }
  return out
}

/** Every `-p` of a command line -> Config.ExposedPorts and HostConfig.PortBindings. */
export function parsePortSpecs(specs: string[]): { exposedPorts: PortSet; portBindings: PortMap } {
  const exposedPorts: PortSet = {}
  const portBindings: PortMap = {}
  for (const spec of specs) {
    for (const m of parsePortSpec(spec)) {
      exposedPorts[m.port] = {}
      ;(portBindings[m.port] ??= []).push(m.binding)
    }
  }
  return { exposedPorts, portBindings }
}

/** `--expose 80`, `--expose 8000-8002/udp` -> ExposedPorts entries. */
export function parseExposeSpec(raw: string): string[] {
  const slash = raw.indexOf('/')
  const port = slash < 0 ? raw : raw.slice(0, slash)
  const proto = (slash < 0 ? 'tcp' : raw.slice(slash + 1)).toLowerCase()
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw invalid(`invalid proto: ${proto}`)
  const r = parsePortRange(port)
  if (!r) throw invalid(`invalid range format for --expose: ${raw}, error: invalid syntax`)
  const out: string[] = []
  for (let p = r[0]; p <= r[1]; p++) out.push(`${p}/${proto}`)
  return out
}

/** "80/tcp" -> { port: 80, proto: "tcp" }; a bare "80" is tcp (as in ExposedPorts written by hand). */
export function splitPortKey(key: string): { port: number; proto: Proto } {
  const [p, proto = 'tcp'] = key.split('/')
  const port = Number(p)
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !['tcp', 'udp', 'sctp'].includes(proto)) {
    throw invalid(`invalid port: ${key}`)
  }
  return { port, proto: proto as Proto }
}

/** What attach must set up: one host port (or a range to pick from) -> one container port. */
export interface PortRequest {
  hostIp: string // "0.0.0.0" for every address
  /** 0 = any free port in the dynamic range; otherwise the first of [hostPortFirst, hostPortLast]. */
  hostPortFirst: number
  hostPortLast: number
  containerPort: number
  proto: Proto
}

/**
 * The requests for a container's start: its PortBindings, plus (with -P / PublishAllPorts) every
 * exposed port that has no binding yet, on a free host port. Sorted by container port, then proto.
 */
export function portRequests(portBindings: LoosePortMap | null | undefined, publishAll = false, exposed?: Record<string, unknown> | null): PortRequest[] {
  const map: Record<string, { HostIp?: string; HostPort?: string }[]> = {}
  for (const [key, list] of Object.entries(portBindings ?? {})) if (list && list.length) map[key] = list
  if (publishAll) { for (const key of Object.keys(exposed ?? {})) if (!map[key]) map[key] = [{ HostIp: '', HostPort: '' }] }
  const out: PortRequest[] = []
  for (const [key, list] of Object.entries(map)) {
    const { port, proto } = splitPortKey(key)
    for (const b of list) {
      let first = 0
      let last = 0
      if (b.HostPort) {
        const r = parsePortRange(b.HostPort)
        if (!r) throw invalid(`invalid hostPort: ${b.HostPort}`)
        ;[first, last] = r
      }
      const hostIp = b.HostIp || '0.0.0.0'
      if (!isIPv4(hostIp)) throw invalid(`invalid IP address: ${hostIp} (tocker publishes on IPv4 addresses only)`)
      out.push({ hostIp, hostPortFirst: first, hostPortLast: last, containerPort: port, proto })
    }
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.proto.localeCompare(b.proto))
}
