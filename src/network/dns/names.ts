// Who is who on user-defined networks, for the embedded DNS: the answers Docker's resolver gives a
// container, computed from the network state (no I/O). A container resolves, on each user-defined
// network it is on:
//   - every container on that network by its name, its short id and its --network-alias names
//     (DNSNames; compose's service name is one of those aliases), several containers with one
//     alias giving several addresses (round robin, as Docker);
//   - NAME.NETWORK, the same restricted to that network;
//   - its own --link aliases on that network (for it alone);
//   - an address on that network back to "name.network" (PTR).
// Containers on the default bridge or on another network are never found: they are not reachable.
import type { Endpoint, NetworkRecord, NetworkState } from '../types.js'

/** The embedded DNS server's address inside every container on a user-defined network (Docker's). */
export const DNS_IP = '127.0.0.11'

function isUserNet(n: NetworkRecord): boolean {
  return !n.predefined && n.driver === 'bridge'
}

/** "Web." -> "web": DNS names compare without case and without the root's dot. */
export function normalizeName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase()
}

/** The user-defined networks `containerId` is on, with its endpoint there. */
export function userNetworksOf(state: NetworkState, containerId: string): { net: NetworkRecord; me: Endpoint }[] {
  const out: { net: NetworkRecord; me: Endpoint }[] = []
  for (const net of Object.values(state.networks)) {
    const me = net.endpoints[containerId]
    if (me && isUserNet(net)) out.push({ net, me })
  }
  return out
}

function matches(e: Endpoint, name: string): boolean {
  return (e.dnsNames ?? []).some((n) => n.toLowerCase() === name)
}

/**
 * The IPv4 addresses `qname` has for the asking container, or undefined when no container of its
 * networks has that name (the name is then someone else's: forwarded or NXDOMAIN).
 */
export function lookupA(state: NetworkState, asker: string, qname: string): string[] | undefined {
  const name = normalizeName(qname)
  const out: string[] = []
  for (const { net, me } of userNetworksOf(state, asker)) {
    const eps = Object.values(net.endpoints)
    const link = Object.entries(me.links ?? {}).find(([alias]) => alias.toLowerCase() === name)
    if (link) {
      const target = eps.find((e) => matches(e, link[1].toLowerCase()))
      if (target) out.push(target.ip)
      continue
    }
    const suffix = `.${net.name.toLowerCase()}`
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined
    for (const e of eps) if (matches(e, name) || (base && matches(e, base))) out.push(e.ip)
  }
  return out.length ? [...new Set(out)] : undefined
}

/** "4.0.18.172.in-addr.arpa" -> "container.network" for an address on one of the asker's networks. */
export function lookupPtr(state: NetworkState, asker: string, qname: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(normalizeName(qname))
  if (!m) return undefined
  const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`
  for (const { net } of userNetworksOf(state, asker)) {
    for (const e of Object.values(net.endpoints)) if (e.ip === ip) return `${e.name ?? e.containerId.slice(0, 12)}.${net.name}`
  }
  return undefined
}

/** May the asker's names that are not ours be forwarded outside? Not from internal networks only. */
export function mayForward(state: NetworkState, asker: string): boolean {
  const nets = Object.values(state.networks).filter((n) => n.endpoints[asker])
  return nets.some((n) => !n.internal)
}
