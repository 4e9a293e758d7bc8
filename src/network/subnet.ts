// Which subnet a network gets. Docker's 172.17.0.0/16 for the default bridge unless something on the
// host already uses addresses in it (a route or an address: a VPN, a cloud VPC, another bridge) — a
// bridge on an overlapping subnet would steal that traffic. Then the next candidate, in Docker's own
// order of default pools: 172.17–172.31 as /16, then 192.168.0.0/16 cut into /20s. A user-defined
// network takes the first candidate that overlaps neither the host nor any other network.
import { cidrsOverlap, parseCidr, type Cidr } from './ipv4.js'
import type { AddrInfo, RouteInfo } from './iproute2.js'

export const DEFAULT_SUBNET = '172.17.0.0/16'

export function candidateSubnets(): Cidr[] {
  const out: Cidr[] = []
  for (let b = 17; b <= 31; b++) out.push(parseCidr(`172.${b}.0.0/16`)!)
  for (let c = 0; c < 256; c += 16) out.push(parseCidr(`192.168.${c}.0/20`)!)
  return out
}

/** What the host uses now: every IPv4 route (but the default route) and every address, as blocks. */
export function usedBlocks(routes: RouteInfo[], addrs: AddrInfo[], ignoreDev?: string): Cidr[] {
  const used: Cidr[] = []
  for (const r of routes) {
    if (r.dst === 'default' || (ignoreDev && r.dev === ignoreDev)) continue
    const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`, true)
    if (c) used.push(c)
  }
  for (const a of addrs) {
    if (ignoreDev && a.ifname === ignoreDev) continue
    for (const ai of a.addr_info) {
      if (ai.family !== 'inet') continue
      const c = parseCidr(`${ai.local}/${ai.prefixlen}`, true)
      if (c) used.push(c)
    }
  }
  return used
}

/** The first candidate that overlaps nothing in use; undefined when all are taken. */
export function chooseFreeSubnet(used: Cidr[], candidates: Cidr[] = candidateSubnets()): Cidr | undefined {
  return candidates.find((c) => !used.some((u) => u.prefix > 0 && cidrsOverlap(c, u)))
}
