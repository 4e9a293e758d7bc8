// Reconcile after an engine restart, under the network lock (NetworkManager.reconcile holds it):
// endpoints of containers that no longer run are released (the engine died before it could), every
// bridge and the base chains are checked, every per-container rule is rebuilt from the state in one
// iptables-restore transaction (so a rule is never doubled and no rule outlives its container),
// lost veths of running containers re-made, held ports re-taken, and veths and bridges that nobody
// owns deleted. The default bridge of another engine (another --root) is left alone.
import { deleteBridge } from './bridge.js'
import { bridgeEndpoints, bridgeNets, type BridgeSet } from './bridge-set.js'
import type { HeldPorts } from './held-ports.js'
import { allEndpoints } from './ipam.js'
import { linksOnBridge, showLink } from './iproute2.js'
import { restoreRules, saveRules, syncChanges, type IptablesTools } from './iptables.js'
import { isUserDefined, netnsPath, type LiveContainer, type ReconcileReport } from './requests.js'
import type { NetworkState } from './types.js'
import { createVeth, deleteVeth } from './veth.js'

/** What reconcile needs of its NetworkManager. */
export interface ReconcileHost {
  /** The default bridge's name. */
  bridge: string
  bridges: BridgeSet
  held: HeldPorts
  iptables(): Promise<IptablesTools>
  /** Undo one endpoint (veth, rules, held ports) and drop it from the state, without writing it. */
  releaseLocked(state: NetworkState, containerId: string, networkId: string): Promise<void>
  /** Write the state (and keep it as the manager's cache). */
  write(state: NetworkState): void
}

export async function reconcileLocked(host: ReconcileHost, state: NetworkState, liveById: Map<string, LiveContainer>, report: ReconcileReport): Promise<void> {
  for (const n of Object.values(state.networks)) {
    for (const id of Object.keys(n.endpoints)) {
      if (liveById.has(id)) continue
      await host.releaseLocked(state, id, n.id)
      if (!report.released.includes(id)) report.released.push(id)
    }
  }
  if (await host.bridges.isForeign()) {
    // Another engine (another --root) has containers on this bridge: the chains and veths are
    // its, not ours to rebuild or delete.
    const n = allEndpoints(state).length
    if (n) report.warnings.push(`the bridge ${host.bridge} is owned by another engine; ${n} endpoint(s) of this one left as they are`)
    host.write(state)
    return
  }
  host.bridges.forgetAll()
  for (const n of Object.values(state.networks)) {
    if (n.driver !== 'bridge' || !n.subnet) continue
    if (n.predefined && !Object.keys(n.endpoints).length) continue
    await host.bridges.ensureBridge(n)
  }
  const tools = await host.iptables()
  const saved = await saveRules(tools)
  const haveChains = saved.nat?.chains.has('TOCKER') || saved.filter?.chains.has('TOCKER')
  const endpoints = bridgeEndpoints(state)
  const nets = bridgeNets(state)
  // Chains are needed once a container runs or a user-defined network exists; left alone otherwise.
  const needed = endpoints.length > 0 || Object.values(state.networks).some(isUserDefined)
  if (needed || haveChains) await restoreRules(tools, syncChanges(saved, nets, endpoints))
  host.bridges.baseWritten(nets)
  for (const { network, endpoint: e } of endpoints) {
    if (!report.kept.includes(e.containerId)) report.kept.push(e.containerId)
    if (!(await showLink(e.hostVeth))) {
      const netns = netnsPath(liveById.get(e.containerId)?.netns) ?? e.netns
      try {
        await createVeth({ bridge: network.bridge!, hostVeth: e.hostVeth, netns, mac: e.mac, ip: e.ip, prefixLen: e.prefixLen, gateway: e.gateway, ifname: e.ifname, defaultRoute: e.defaultRoute !== false })
        e.netns = netns
      } catch (err) {
        report.warnings.push(`${e.containerId.slice(0, 12)}: could not re-create ${e.hostVeth}: ${(err as Error).message}`)
      }
    }
  }
  await host.held.retake(allEndpoints(state), report.warnings)
  // veths on our bridges that no endpoint owns; bridges of ours that no network owns.
  const owned = new Set(allEndpoints(state).map((e) => e.hostVeth))
  for (const n of Object.values(state.networks)) {
    if (!n.bridge) continue
    for (const link of await linksOnBridge(n.bridge)) {
      if (owned.has(link.ifname)) continue
      await deleteVeth(link.ifname)
      report.orphanLinks.push(link.ifname)
    }
  }
  const ours = new Set(Object.values(state.networks).map((n) => n.bridge).filter(Boolean))
  for (const b of await host.bridges.owned()) {
    if (ours.has(b)) continue
    await deleteBridge(b)
    report.orphanLinks.push(b)
  }
  host.held.keepOnly(allEndpoints(state))
  host.write(state)
}
