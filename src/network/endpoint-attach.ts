// attach in two halves (NetworkManager.reserve / attach). The first needs no network namespace: the
// endpoint is planned and recorded under the store's lock, its host ports bound, its record's write
// (an fsync in libuv's pool) and its port rules (an iptables-restore process) started. The second
// needs the container's namespace: the veth pair and the container's side of it, over rtnetlink
// on the main thread. The engine runs the first before the runtime creates the container, so the
// write and the rules go on while the runtime holds the main thread (its create is synchronous:
// it enters namespaces and reads the shim's channel with readSync); only the veth is left on the
// start's path. A veth made ahead cannot help there: moving its peer into the container's
// namespace costs the mover a full RCU grace period (dev_change_net_namespace's
// synchronize_net(): 17 ms a pair measured here, against 0.7-0.9 ms to create the pair with its
// peer directly in the namespace).
import { randomBytes } from 'node:crypto'
import type { NetworkSettings } from '../api/types.js'
import type { BridgeSet } from './bridge-set.js'
import { endpointIp, endpointRecord, endpointsOf } from './endpoint-plan.js'
import { allOrFirstError } from './endpoint-undo.js'
import { attachError } from './errors.js'
import type { HeldPorts } from './held-ports.js'
import { networkSettings } from './inspect.js'
import { addPortRules, type IptablesTools } from './iptables.js'
import { reservePorts } from './port-reservation.js'
import { portRequests } from './port-spec.js'
import { netnsPath, type AttachRequest } from './requests.js'
import { defaultNetwork } from './state.js'
import type { NetworkStateStore } from './state-store.js'
import type { Endpoint, NetworkRecord, NetworkState } from './types.js'
import { createVeth } from './veth.js'

/** What the two halves need of their NetworkManager. */
export interface AttachHost {
  store: NetworkStateStore
  bridges: BridgeSet
  held: HeldPorts
  iptables(): Promise<IptablesTools>
  findNetwork(ref: string, state: NetworkState): NetworkRecord
  /** Undo one endpoint (veth, rules) and drop it from the state, writing it. */
  releaseLocked(state: NetworkState, containerId: string, networkId: string): Promise<void>
  /** Delete an endpoint's veth and rules. */
  undo(net: NetworkRecord, e: Endpoint): Promise<void>
  warn(msg: string): void
}

/** The first half done: the endpoint recorded in memory, its write and its port rules under way. */
export interface Planned {
  net: NetworkRecord
  endpoint: Endpoint
  /** The state's write with the endpoint in it. */
  written: Promise<void>
  /** The published ports' rules (an iptables-restore process), when it has ports. */
  rules: Promise<void> | undefined
  exposed: AttachRequest['exposedPorts']
}

/**
 * The first half, in the manager's queue under the store's lock: the endpoint's record (address,
 * veth name, ports bound), the bridge and base chains made sure of, the record into the state and
 * its write started, the port rules started (1 process). Resolves as soon as that is done, without
 * waiting for the write or the rules (the operation itself holds the lock until the write has
 * landed, and the next operation waits for the rules). A host or none network: its kind, nothing
 * to plan. A refusal (a port taken, no address left) rejects, with nothing left behind.
 */
export function planEndpoint(host: AttachHost, req: Omit<AttachRequest, 'portRulesLater'>): Promise<Planned | 'host' | 'none'> {
  // Parse before any work: a bad binding is the user's error and costs nothing.
  const requests = portRequests(req.portBindings, req.publishAll, req.exposedPorts)
  let planned!: (p: Planned | 'host' | 'none') => void
  const out = new Promise<Planned | 'host' | 'none'>((resolve) => (planned = resolve))
  const run = host.store.serial(async (state, hold) => {
    const net = req.network === undefined ? defaultNetwork(state) : host.findNetwork(req.network, state)
    if (net.driver === 'host') return planned('host')
    if (net.driver === 'null') return planned('none')
    if (net.endpoints[req.containerId]) await host.releaseLocked(state, req.containerId, net.id) // a leftover of an earlier start
    if (net.predefined) await host.bridges.chooseSubnet(state, net)
    const name = req.name ?? req.containerId.slice(0, 12)
    const endpointId = randomBytes(32).toString('hex')
    const ip = endpointIp(net, req)
    const others = endpointsOf(state, req.containerId)
    // The container's first network that leads outside carries its default route and its ports.
    const defaultRoute = !net.internal && !others.some((o) => o.endpoint.defaultRoute !== false)
    const held = defaultRoute ? await reservePorts(state, requests, name, endpointId) : []
    // (reserved before its namespace exists, the record has none: the second half fills it in
    // memory; reconcile and inspect take it from the running container itself)
    const e = endpointRecord(state, { net, req, name, endpointId, ip, netns: netnsPath(req.netns) ?? '', others, ports: held.map((h) => h.port), defaultRoute })
    try {
      await host.bridges.ensureBridge(net)
      await host.bridges.ensureBase(state)
    } catch (err) {
      host.bridges.forgetBase() // maybe someone deleted the bridge or flushed the chains: check again next time
      host.bridges.forgetBridge(net.bridge!)
      for (const h of held) h.held.close()
      throw attachError(name, err)
    }
    net.endpoints[e.containerId] = e
    host.held.add(e.containerId, held.map((h) => h.held))
    // The record's write, the port rules and the veth (the second half) do not depend on each
    // other: a DNAT rule towards an address that does not exist yet is harmless, and an engine
    // killed before the record lands leaves a veth on our bridge that no endpoint owns and rules
    // no endpoint names, which reconcile deletes at the next start (it rebuilds the port rules
    // from the state). A record that lands without its veth (killed before the second half) is
    // reconcile's too: a container that no longer runs has its endpoint released, one that runs
    // (its gate was released) gets its veth made.
    const written = host.store.write(state)
    written.catch(() => {}) // (its failure is heard by the second half)
    const tools = e.ports.length ? await host.iptables() : undefined
    const rules = tools ? addPortRules(tools, net.bridge!, e) : undefined
    rules?.catch(() => {}) // (its failure is heard by the second half, or by whoever portRulesLater gives it to)
    if (rules) hold(rules)
    planned({ net, endpoint: e, written, rules, exposed: req.exposedPorts })
    await written.catch(() => {})
  })
  // (Past the plan the operation does not fail: a failed write is the second half's to hear.)
  return Promise.race([out, run.then(() => out)])
}

/**
 * The second half, once the container's namespace exists: the veth pair and the container's side
 * of it (rtnetlink, on this thread), then the record's write and the rules awaited (usually landed
 * meanwhile; the rules handed to portRulesLater when given). Any failure takes back everything
 * the endpoint has.
 */
export async function plugEndpoint(host: AttachHost, p: Planned, netns: string, portRulesLater?: (added: Promise<void>) => void): Promise<Required<NetworkSettings>> {
  const { net, endpoint: e } = p
  e.netns = netns
  try {
    await createVeth({ bridge: net.bridge!, hostVeth: e.hostVeth, netns, mac: e.mac, ip: e.ip, prefixLen: e.prefixLen, gateway: e.gateway, ifname: e.ifname, defaultRoute: e.defaultRoute !== false })
    await allOrFirstError([p.written, (portRulesLater ? undefined : p.rules) ?? Promise.resolve()])
  } catch (err) {
    await p.rules?.catch(() => {}) // (the undo below removes them: not before they are in)
    await host.store.serial(async (state) => {
      host.bridges.forgetBase() // maybe someone deleted the bridge or flushed the chains: check again next time
      host.bridges.forgetBridge(net.bridge!)
      // A failed undo leaves a veth or rules the state no longer lists: say so (the next
      // engine start's reconcile removes them).
      await host.undo(net, e).catch((u) => host.warn(`undoing the network of ${e.name} after a failed attach: ${(u as Error).message}`))
      host.held.release(e.containerId, e.ports)
      const now = state.networks[net.id]
      if (now?.endpoints[e.containerId]?.endpointId === e.endpointId) {
        delete now.endpoints[e.containerId]
        await host.store.write(state)
      }
    })
    throw attachError(e.name ?? e.containerId.slice(0, 12), err)
  }
  if (p.rules && portRulesLater) portRulesLater(p.rules)
  return networkSettings({ mode: 'bridge', networkName: net.name, networkId: net.id, endpoint: e, exposed: p.exposed })
}
