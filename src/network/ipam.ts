// Address and port bookkeeping on the network state (no I/O): the lowest free IP of a network for
// a new endpoint (so the first container gets 172.17.0.2, as in every tutorial), or the one asked
// for with --ip; a fresh veth name; and whether a host port is already published by any container
// of any network.
import { randomBytes } from 'node:crypto'
import { TockerError } from '../errors.js'
import { cidrContains, formatIPv4, hostRange, parseCidr, parseIPv4 } from './ipv4.js'
import type { Proto } from './port-spec.js'
import type { Endpoint, NetworkRecord, NetworkState, PublishedPort } from './types.js'

function taken(net: NetworkRecord): Set<number> {
  const subnet = parseCidr(net.subnet!)!
  const out = new Set<number>([parseIPv4(net.gateway!)!])
  for (const e of Object.values(net.endpoints)) {
    const ip = parseIPv4(e.ip)
    if (ip !== undefined && cidrContains(subnet, ip)) out.add(ip)
  }
  return out
}

/** The lowest free address of the network (within its --ip-range when it has one). */
export function allocateIp(net: NetworkRecord): string | undefined {
  const used = taken(net)
  const { first, last } = hostRange(parseCidr(net.ipRange ?? net.subnet!)!)
  const subnet = hostRange(parseCidr(net.subnet!)!)
  for (let ip = Math.max(first, subnet.first); ip <= Math.min(last, subnet.last); ip++) if (!used.has(ip)) return formatIPv4(ip)
  return undefined
}

/** --ip: the address must be in the network's subnet and free; Docker's words when it is not. */
export function requestIp(net: NetworkRecord, wanted: string): string {
  const ip = parseIPv4(wanted)
  if (ip === undefined) throw new TockerError(`invalid IPv4 address: ${wanted}`, { code: 'EINVALID', daemon: true })
  const subnet = parseCidr(net.subnet!)!
  const { first, last } = hostRange(subnet)
  if (!cidrContains(subnet, ip) || ip < first || ip > last) {
    throw new TockerError(`invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${wanted}`, { daemon: true, code: 'EADDROUTOFRANGE' })
  }
  if (taken(net).has(ip)) throw new TockerError(`Address already in use`, { status: 403, daemon: true, code: 'EADDRINUSE' })
  return wanted
}

/** "veth" + 7 hex digits, like Docker's host-side names (15 characters at most is the kernel's limit). */
export function newVethName(state: NetworkState): string {
  const used = new Set(Object.values(state.networks).flatMap((n) => Object.values(n.endpoints).map((e) => e.hostVeth)))
  for (;;) {
    const name = 'veth' + randomBytes(4).toString('hex').slice(0, 7)
    if (!used.has(name)) return name
  }
}

/** Two bindings of one port clash when their addresses overlap (0.0.0.0 overlaps every address). */
export function bindingsClash(a: { hostIp: string; hostPort: number; proto: Proto }, b: { hostIp: string; hostPort: number; proto: Proto }): boolean {
  if (a.proto !== b.proto || a.hostPort !== b.hostPort) return false
  return a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0'
}

/** Every endpoint of every network. */
export function allEndpoints(state: NetworkState): Endpoint[] {
  return Object.values(state.networks).flatMap((n) => Object.values(n.endpoints))
}

/** The endpoint that already publishes this host port, if any. */
export function portOwner(
  state: NetworkState,
  want: { hostIp: string; hostPort: number; proto: Proto },
  extra: PublishedPort[] = [],
): Endpoint | 'self' | undefined {
  if (extra.some((p) => bindingsClash(p, want))) return 'self'
  for (const e of allEndpoints(state)) if (e.ports.some((p) => bindingsClash(p, want))) return e
  return undefined
}
