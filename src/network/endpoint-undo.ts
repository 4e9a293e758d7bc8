// Taking an endpoint's kernel side back (its veth, its port rules) and telling --explain that its
// address and ports are free again. Used by release, a failed attach and reconcile's manager.
import { note } from '../trace/trace.js'
import { removePortRules, type IptablesTools } from './iptables.js'
import type { Endpoint, NetworkRecord } from './types.js'
import { deleteVeth } from './veth.js'

/** Wait for every step (so an undo never races a step still running), then throw the first failure. */
export async function allOrFirstError(steps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(steps)
  for (const r of results) if (r.status === 'rejected') throw r.reason
}

/** Delete an endpoint's veth and its rules (independent: both at once). */
export async function undoEndpoint(iptables: () => Promise<IptablesTools>, net: NetworkRecord, e: Endpoint): Promise<void> {
  await allOrFirstError([deleteVeth(e.hostVeth), undoPortRules(iptables, net, e)])
}

/** Delete an endpoint's port rules (DNAT and ACCEPT), if it published any. */
export async function undoPortRules(iptables: () => Promise<IptablesTools>, net: NetworkRecord, e: Endpoint): Promise<void> {
  if (e.ports.length) await removePortRules(await iptables(), net.bridge!, e)
}

/** --explain: the endpoint's address (and host ports) are given back. */
export function noteReleased(net: NetworkRecord, e: Endpoint): void {
  if (e.ports.length) note('release', 'explain.note.release.ports', { ip: e.ip, bridge: net.bridge ?? net.id, ports: e.ports.map((p) => p.hostPort).join(', ') })
  else note('release', 'explain.note.release', { ip: e.ip, bridge: net.bridge ?? net.id })
}
