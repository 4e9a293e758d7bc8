// Address and port bookkeeping on the network state (no I/O): the lowest free IP of the subnet for a
// new container (so the first one gets 172.17.0.2, as in every tutorial), a fresh veth name, and
// whether a host port is already published by another container.
import { randomBytes } from 'node:crypto'
import { cidrContains, formatIPv4, hostRange, parseCidr, parseIPv4 } from './ipv4.js'
import type { Proto } from './port-spec.js'
import type { Endpoint, NetworkState, PublishedPort } from './types.js'

export function allocateIp(state: NetworkState): string | undefined {
  const subnet = parseCidr(state.subnet!)!
  const taken = new Set<number>([parseIPv4(state.gateway!)!])
  for (const e of Object.values(state.endpoints)) {
    const ip = parseIPv4(e.ip)
    if (ip !== undefined && cidrContains(subnet, ip)) taken.add(ip)
  }
  const { first, last } = hostRange(subnet)
  for (let ip = first; ip <= last; ip++) if (!taken.has(ip)) return formatIPv4(ip)
  return undefined
}

/** "veth" + 7 hex digits, like Docker's host-side names (15 characters at most is the kernel's limit). */
export function newVethName(state: NetworkState): string {
  const used = new Set(Object.values(state.endpoints).map((e) => e.hostVeth))
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

/** The endpoint that already publishes this host port, if any. */
export function portOwner(
  state: NetworkState,
  want: { hostIp: string; hostPort: number; proto: Proto },
  extra: PublishedPort[] = [],
): Endpoint | 'self' | undefined {
  if (extra.some((p) => bindingsClash(p, want))) return 'self'
  for (const e of Object.values(state.endpoints)) if (e.ports.some((p) => bindingsClash(p, want))) return e
  return undefined
}
