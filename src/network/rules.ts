// The iptables rules tocker owns, as text in iptables-save's own canonical form (so what we write
// is exactly what `iptables-save` prints back, and the two can be compared line by line). Nothing
// here runs a command. All rules live in tocker's chains, reached by one jump from each built-in
// chain, so `iptables -t nat -S TOCKER` lists every published port and the whole set can be
// removed as a unit:
//
//   nat    PREROUTING  -m addrtype --dst-type LOCAL -j TOCKER     packets from outside to any host address
//          OUTPUT      -m addrtype --dst-type LOCAL -j TOCKER     packets the host itself sends (incl. 127.0.0.1)
//          TOCKER      one DNAT per published port                 host:8081 -> 172.17.0.2:80
//          POSTROUTING -j TOCKER-POSTROUTING                      MASQUERADE: containers -> outside,
//                                                                  127.0.0.1 -> container, container -> published port
//   filter FORWARD     -j TOCKER-FORWARD                          isolation first, then per bridge: replies in,
//                                                                  containers out, published ports in, rest dropped
//          TOCKER-ISOLATION-STAGE-1/2                              no forwarding from one bridge to another
//          TOCKER      one ACCEPT per published port
//          INPUT       -j TOCKER-INPUT                            containers may not reach the host's 127.0.0.1 services
//
// Every network (the default bridge and each user-defined one) gets the same base rules on its own
// bridge, and Docker's two-stage isolation between them: a packet that comes in on one bridge and
// would leave on another (stage 1 sends it to stage 2) is dropped by stage 2 whichever bridge it
// would leave on. So two networks never reach each other, but each reaches the outside world. An
// --internal network has no MASQUERADE and stage 1 drops what would leave or enter its subnet.
import type { Endpoint, PublishedPort } from './types.js'

export type Table = 'nat' | 'filter'

/** The per-container chains (one rule per published port) and the base chains (fixed rules). */
export const PORTS_CHAIN = 'TOCKER'
export const ISOLATION_1 = 'TOCKER-ISOLATION-STAGE-1'
export const ISOLATION_2 = 'TOCKER-ISOLATION-STAGE-2'
export const BASE_CHAINS: Record<Table, string[]> = {
  nat: ['TOCKER-POSTROUTING'],
  filter: ['TOCKER-FORWARD', ISOLATION_1, ISOLATION_2, 'TOCKER-INPUT'],
}
export const OUR_CHAINS: Record<Table, string[]> = {
  nat: [PORTS_CHAIN, ...BASE_CHAINS.nat],
  filter: [PORTS_CHAIN, ...BASE_CHAINS.filter],
}

/** The jumps from the built-in chains, each inserted at the top so a host's own rules cannot shadow them. */
export const JUMPS: Record<Table, string[]> = {
  nat: [
    `-A PREROUTING -m addrtype --dst-type LOCAL -j ${PORTS_CHAIN}`,
    `-A OUTPUT -m addrtype --dst-type LOCAL -j ${PORTS_CHAIN}`,
    '-A POSTROUTING -j TOCKER-POSTROUTING',
  ],
  filter: ['-A FORWARD -j TOCKER-FORWARD', '-A INPUT -j TOCKER-INPUT'],
}

/** What the base rules need to know of a network. */
export interface BridgeNet {
  bridge: string
  subnet: string
  internal?: boolean
}

/** The base rules of one network on its own bridge (no isolation: see isolationRules). */
export function networkRules(n: BridgeNet): Record<Table, string[]> {
  const { bridge, subnet } = n
  const nat = n.internal
    ? []
    : [
      // Containers talking to the outside world leave with the host's address.
      `-A TOCKER-POSTROUTING -s ${subnet} ! -o ${bridge} -j MASQUERADE`,
      // The host's own 127.0.0.1 -> published port: after DNAT the packet goes out on the bridge with
      // source 127.0.0.1, which the container could never answer; give it the gateway's address.
      `-A TOCKER-POSTROUTING -s 127.0.0.0/8 -o ${bridge} -m addrtype --src-type LOCAL -j MASQUERADE`,
      // Hairpin: a container reaching a published port (its own or another's) through a host address
      // is DNATed back onto the bridge; without this the answer would go straight back over the
      // bridge from an address the client never talked to.
      `-A TOCKER-POSTROUTING -s ${subnet} -d ${subnet} -o ${bridge} -m conntrack --ctstate DNAT -j MASQUERADE`,
    ]
  const filter = [
    `-A TOCKER-FORWARD -o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A TOCKER-FORWARD -o ${bridge} -j ${PORTS_CHAIN}`,
    `-A TOCKER-FORWARD -i ${bridge} -j ACCEPT`,
    // Nothing else from outside reaches a container: that is why a port must be published.
    `-A TOCKER-FORWARD -o ${bridge} -j DROP`,
    // route_localnet lets 127/8 cross the bridge; do not let a container use that to reach
    // services the host binds to 127.0.0.1 (replies to our own DNATed connections still pass).
    `-A TOCKER-INPUT -d 127.0.0.0/8 -i ${bridge} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  ]
  return { nat, filter }
}

/** Docker's isolation between bridges (DOCKER-ISOLATION-STAGE-1/2), and --internal's walls. */
export function isolationRules(nets: BridgeNet[]): string[] {
  const stage1: string[] = []
  const stage2: string[] = []
  for (const n of nets) {
    if (n.internal) {
      stage1.push(`-A ${ISOLATION_1} ! -s ${n.subnet} -o ${n.bridge} -j DROP`, `-A ${ISOLATION_1} ! -d ${n.subnet} -i ${n.bridge} -j DROP`)
    } else {
      stage1.push(`-A ${ISOLATION_1} -i ${n.bridge} ! -o ${n.bridge} -j ${ISOLATION_2}`)
    }
    stage2.push(`-A ${ISOLATION_2} -o ${n.bridge} -j DROP`)
  }
  return [`-A TOCKER-FORWARD -j ${ISOLATION_1}`, ...stage1, ...stage2]
}

/** Every network's base rules and the isolation between them, in the order iptables needs them. */
export function baseRules(nets: BridgeNet[]): Record<Table, string[]> {
  const out: Record<Table, string[]> = { nat: [], filter: [] }
  out.filter.push(...isolationRules(nets))
  for (const n of nets) {
    const r = networkRules(n)
    out.nat.push(...r.nat)
    out.filter.push(...r.filter)
  }
  return out
}

/** Every per-container rule carries this comment: how release and reconcile find a container's rules. */
export function ruleComment(containerId: string): string {
  return `tocker:${containerId.slice(0, 12)}`
}

export function portRules(bridge: string, e: Endpoint): Record<Table, string[]> {
  const nat: string[] = []
  const filter: string[] = []
  const comment = `-m comment --comment "${ruleComment(e.containerId)}"`
  for (const p of e.ports) {
    nat.push(`-A ${PORTS_CHAIN}${dnatMatch(p)} ${comment} -j DNAT --to-destination ${e.ip}:${p.containerPort}`)
    filter.push(
      `-A ${PORTS_CHAIN} -d ${e.ip}/32 ! -i ${bridge} -o ${bridge} -p ${p.proto} -m ${p.proto} --dport ${p.containerPort} ${comment} -j ACCEPT`,
    )
  }
  return { nat, filter }
}

function dnatMatch(p: PublishedPort): string {
  const dst = p.hostIp === '0.0.0.0' ? '' : ` -d ${p.hostIp}/32`
  return `${dst} -p ${p.proto} -m ${p.proto} --dport ${p.hostPort}`
}

/** The chain a saved rule line ("-A CHAIN ...") belongs to. */
export function chainOf(rule: string): string {
  return rule.split(' ')[1]!
}

/** The target of a rule line ("-j TOCKER" -> "TOCKER"). */
export function targetOf(rule: string): string | undefined {
  return / -j (\S+)/.exec(rule)?.[1]
}

export function hasComment(rule: string, comment: string): boolean {
  return rule.includes(`--comment "${comment}"`) || rule.includes(`--comment ${comment} `) || rule.endsWith(`--comment ${comment}`)
}
