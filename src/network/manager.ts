// The network layer's API for the engine: networks (create, remove, list), a container's endpoints
// (attach to a network while its first process waits at its gate, release at exit/rm/disconnect),
// reconcile after an engine restart, tear everything down (tests). One NetworkManager per engine;
// its state lives in <root>/network/state.json, guarded by an flock, so operations from several
// processes on one store are serialised, and inside the process a queue keeps them in order.
//
// Networks: the default bridge "bridge" (tocker0, made at its first use), the predefined "host" and
// "none", and user-defined bridge networks, each its own Linux bridge (br-<12 hex of its id>) with its
// own subnet, isolated from every other bridge by iptables (rules.ts), with name resolution between
// its containers (dns/).
//
// attach (one container, one network), in this order so that a refusal leaves nothing behind:
//   1. read the state; the default bridge chooses its subnet once (Docker's 172.17.0.0/16 unless used)
//   2. allocate the IP (the lowest free one, or --ip), a veth name, an interface name (eth0, eth1…),
//      and, on the endpoint that carries the default route, the host ports: each checked against the
//      other containers' ports and by really binding it (the socket is then kept, like Docker's)
//   3. make sure the bridge, the sysctls and tocker's base iptables chains exist
//   4. record the endpoint (so a crash from here on is cleaned up by reconcile), then
//      create the veth pair + configure the interface (2 processes) and add the port rules (1 process)
//   any failure in 4 undoes what 4 did and drops the record.
import { randomBytes } from 'node:crypto'
import { TockerError } from '../errors.js'
import { BRIDGE_NAME, bridgeOwner, deleteBridge, ensureBridge, ownerFromAlias } from './bridge.js'
import { attachError, bindError, noAddressesError, noFreePortError, portAllocatedError } from './errors.js'
import type { NetworkSettings } from '../api/types.js'
import { networkSettings } from './inspect.js'
import { allEndpoints, allocateIp, newVethName, portOwner, requestIp } from './ipam.js'
import { note } from '../trace/trace.js'
import { ip, ipv4Addresses, ipv4Routes, linksOnBridge, showLink } from './iproute2.js'
import { addPortRules, detectIptables, removeAllRules, removePortRules, restoreRules, saveRules, syncChanges, type IptablesTools } from './iptables.js'
import { cidrsOverlap, formatCidr, formatIPv4, macForIPv4, parseCidr, parseIPv4 } from './ipv4.js'
import { checkCreate, findNetwork, networkNotFound, type CreateNetworkRequest } from './network-config.js'
import { dynamicPortRange, holdPort, type HeldPort } from './port-reservation.js'
import { portRequests, type LoosePortMap, type PortRequest } from './port-spec.js'
import type { BridgeNet } from './rules.js'
import { createdNow, defaultNetwork, newNetworkId, readState, removeState, statePaths, writeState, type StatePaths } from './state.js'
import { withLock } from '../sys/lock.js'
import { chooseFreeSubnet, DEFAULT_SUBNET, usedBlocks } from './subnet.js'
import type { Endpoint, NetworkMode, NetworkRecord, NetworkState, PublishedPort } from './types.js'
import { createVeth, deleteVeth, loopbackUp } from './veth.js'
import { DnsResponder } from './dns/responder.js'

export interface NetworkOptions {
  /** The store root (--root); state goes to <root>/network/state.json. */
  root: string
  /** The default bridge's name; default "tocker0". */
  bridge?: string
  /**
   * A fixed subnet for the default bridge, like dockerd's --bip: "10.99.0.0/24" (gateway .1) or
   * "10.99.0.254/24" (that gateway). Default: 172.17.0.0/16, or the next block the host does not use.
   */
  subnet?: string
  /** The iptables command; default $TOCKER_IPTABLES or "iptables" (Debian: iptables-nft). */
  iptables?: string
  /** What failed on the way but was got past (an undo): default, the engine's log on stderr. */
  warn?: (msg: string) => void
  /** Name resolution on user-defined networks (the embedded DNS at 127.0.0.11); default on. */
  dns?: boolean
  /** The engine's debug log. */
  log?(msg: string): void
}

export interface AttachRequest {
  containerId: string
  /** For error messages ("... on endpoint web ...") and DNS; default the short id. */
  name?: string
  /** HostConfig.NetworkMode when `network` is not given: "bridge" (also "default" or empty), "none" or "host". */
  mode?: string
  /** The network (name or id); default the default bridge (or `mode`). */
  network?: string
  /** The container's network namespace: a path (/proc/<pid>/ns/net) or a pid. Not used for host. */
  netns?: string | number
  /** HostConfig.PortBindings, Config.ExposedPorts, HostConfig.PublishAllPorts (-P). */
  portBindings?: LoosePortMap | null
  exposedPorts?: Record<string, unknown> | null
  publishAll?: boolean
  /** --ip */
  ip?: string
  /** The names others on the network resolve to this container (name, short id, aliases). */
  dnsNames?: string[]
  /** --link on a user-defined network: alias -> container name, for this container only. */
  links?: Record<string, string>
}

export interface LiveContainer {
  containerId: string
  /** Where its network namespace is now (/proc/<pid>/ns/net): used only if its veth must be re-made. */
  netns?: string | number
}

export interface ReconcileReport {
  /** Containers whose endpoints (veth, rules, lease) were removed because they no longer run. */
  released: string[]
  /** Containers still running whose endpoints were kept (rules rebuilt, ports re-held). */
  kept: string[]
  /** veths on our bridges that no container owns, and bridges of ours that no network owns, deleted. */
  orphanLinks: string[]
  /** Things that could not be fixed (a held port taken meanwhile by another program...). */
  warnings: string[]
}

export interface EndpointOf {
  network: NetworkRecord
  endpoint: Endpoint
}

/** Wait for every step (so an undo never races a step still running), then throw the first failure. */
async function allOrFirstError(steps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(steps)
  for (const r of results) if (r.status === 'rejected') throw r.reason
}

export function normalizeMode(mode: string | undefined): NetworkMode {
  if (mode === undefined || mode === '' || mode === 'default' || mode === 'bridge') return 'bridge'
  if (mode === 'none' || mode === 'host') return mode
  throw new TockerError(`network ${mode} not found`, { code: 'ENONETWORK', daemon: true, status: 404 })
}

function netnsPath(netns: string | number | undefined): string | undefined {
  if (netns === undefined) return undefined
  return typeof netns === 'number' ? `/proc/${netns}/ns/net` : netns
}

/** A user-defined network: one with name resolution between its containers. */
export function isUserDefined(n: NetworkRecord): boolean {
  return !n.predefined && n.driver === 'bridge'
}

export class NetworkManager {
  readonly bridge: string
  readonly paths: StatePaths
  #opts: NetworkOptions
  #queue: Promise<unknown> = Promise.resolve()
  #tools: Promise<IptablesTools> | undefined
  /** The networks the base chains were last written for (a key of their bridges, subnets, internal). */
  #baseKey: string | undefined
  /** Bridges checked (made, up, addressed) by this manager. */
  #bridgesReady = new Set<string>()
  #held = new Map<string, HeldPort[]>()
  /** The state as last read or written under the lock: what name lookups read (no file read per query). */
  #cache: NetworkState | undefined
  /** The embedded DNS server of the containers on user-defined networks (dns/responder.ts). */
  readonly dns: DnsResponder | undefined

  constructor(opts: NetworkOptions) {
    this.#opts = opts
    this.bridge = opts.bridge ?? 'tocker0'
    if (!BRIDGE_NAME.test(this.bridge)) throw new TockerError(`invalid bridge name: ${this.bridge}`, { status: 400 })
    this.paths = statePaths(opts.root)
    this.dns = opts.dns === false ? undefined : new DnsResponder({ state: () => this.cached(), iptables: () => this.iptables(), log: opts.log })
  }

  /** Which iptables this engine drives ("iptables v1.8.9 (nf_tables)"). */
  async iptables(): Promise<IptablesTools> {
    this.#tools ??= detectIptables(this.#opts.iptables)
    return this.#tools
  }

  /** Run `fn` after every earlier operation of this manager, under the store's network lock. */
  #serial<T>(fn: (state: NetworkState) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() =>
      withLock(this.paths.lock, () => {
        const state = readState(this.paths, this.bridge)
        this.#cache = state
        return fn(state)
      })
    )
    this.#queue = run.catch(() => {})
    return run
  }

  #write(state: NetworkState): void {
    writeState(this.paths, state)
    this.#cache = state
  }

  /** Every network, as on disk. */
  snapshot(): NetworkState {
    const s = readState(this.paths, this.bridge)
    this.#cache = s
    return s
  }

  /** The state last seen (for the DNS responder's lookups: no file read per query). */
  cached(): NetworkState {
    return this.#cache ?? this.snapshot()
  }

  /** The default bridge network (subnet, gateway, endpoints), as on disk. */
  state(): NetworkRecord {
    return defaultNetwork(this.snapshot())
  }

  networks(): NetworkRecord[] {
    return Object.values(this.snapshot().networks)
  }

  /** A network by full ID, name or unique ID prefix (Docker's order); 404 "network X not found". */
  findNetwork(ref: string, state = this.snapshot()): NetworkRecord {
    const n = findNetwork(Object.values(state.networks), ref)
    if (!n) throw networkNotFound(ref)
    return n
  }

  /** The container's endpoint on a network (default: on the default bridge, else its first one). */
  endpoint(containerId: string, networkRef?: string): Endpoint | undefined {
    const state = this.snapshot()
    if (networkRef) return this.findNetwork(networkRef, state).endpoints[containerId]
    return defaultNetwork(state).endpoints[containerId] ?? this.endpointsOf(containerId, state)[0]?.endpoint
  }

  /** Every endpoint of a container, the one with the default route first. */
  endpointsOf(containerId: string, state = this.snapshot()): EndpointOf[] {
    const out: EndpointOf[] = []
    for (const network of Object.values(state.networks)) {
      const endpoint = network.endpoints[containerId]
      if (endpoint) out.push({ network, endpoint })
    }
    return out.sort((a, b) => Number(b.endpoint.defaultRoute !== false) - Number(a.endpoint.defaultRoute !== false))
  }

  // ---- networks ----

  /** docker network create: the record, its subnet, its bridge (up, addressed) and the isolation rules. */
  async createNetwork(req: CreateNetworkRequest): Promise<NetworkRecord> {
    return this.#serial(async (state) => {
      const existing = Object.values(state.networks)
      const checked = checkCreate(req, existing)
      const id = newNetworkId()
      const net: NetworkRecord = {
        id,
        name: req.name,
        driver: 'bridge',
        created: createdNow(),
        internal: !!req.internal,
        attachable: !!req.attachable,
        labels: { ...(req.labels ?? {}) },
        options: { ...(req.options ?? {}) },
        bridge: checked.bridge ?? `br-${id.slice(0, 12)}`,
        configured: !!checked.subnet,
        endpoints: {},
      }
      if (checked.subnet) {
        net.subnet = checked.subnet
        net.gateway = checked.gateway
        if (checked.ipRange) net.ipRange = checked.ipRange
      } else {
        // The default bridge keeps the first block (172.17.0.0/16) even before its first use, as
        // Docker's does: user-defined networks start after it.
        const def = defaultNetwork(state)
        if (!def.subnet) await this.#chooseSubnet(state, def)
        const subnet = await this.#freeSubnet(state)
        if (!subnet) {
          throw new TockerError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', { status: 403, daemon: true, code: 'ENOPOOL' })
        }
        net.subnet = subnet
        net.gateway = formatIPv4(parseCidr(subnet)!.network + 1)
      }
      net.bridgeMac = randomMac()
      // The bridge (and the base chains with the new network's isolation) before the record: if this
      // fails nothing is recorded, and what was made is taken back.
      state.networks[id] = net
      try {
        await this.#ensureBridge(net)
        await this.#ensureBase(state)
      } catch (err) {
        delete state.networks[id]
        this.#baseKey = undefined
        this.#bridgesReady.delete(net.bridge!)
        await deleteBridge(net.bridge!).catch(() => {})
        await this.#ensureBase(state).catch(() => {})
        throw err
      }
      this.#write(state)
      return net
    })
  }

  /** docker network rm: refused for the predefined networks and while a container runs on it. */
  async removeNetwork(ref: string): Promise<NetworkRecord> {
    return this.#serial(async (state) => {
      const net = this.findNetwork(ref, state)
      if (net.predefined) throw new TockerError(`${net.name} is a pre-defined network and cannot be removed`, { status: 403, daemon: true })
      const ids = Object.keys(net.endpoints)
      if (ids.length) {
        throw new TockerError(`error while removing network: network ${net.name} id ${net.id} has active endpoints`, { status: 403, daemon: true, code: 'ENETWORKINUSE' })
      }
      // The record goes first: a crash after it leaves a bridge that reconcile knows is nobody's.
      delete state.networks[net.id]
      this.#write(state)
      this.#bridgesReady.delete(net.bridge!)
      await deleteBridge(net.bridge!)
      await this.#ensureBase(state)
      return net
    })
  }

  // ---- endpoints ----

  /**
   * Give a container its place on one network; call it once the container's network namespace
   * exists (and, for its first network, before its program runs). Returns inspect's NetworkSettings
   * of this endpoint. Throws TockerError (Docker's wording) with nothing left behind when a port is
   * taken, an address is not free or the set-up fails.
   */
  async attach(req: AttachRequest): Promise<Required<NetworkSettings>> {
    const netns = netnsPath(req.netns)
    if (req.network === undefined) {
      const mode = normalizeMode(req.mode)
      if (mode === 'host') return networkSettings({ mode, running: true })
      if (!netns) throw new TockerError(`attach ${req.containerId}: the container's network namespace is needed`, { status: 500 })
      if (mode === 'none') {
        await loopbackUp(netns)
        return networkSettings({ mode, running: true, sandboxKey: netns })
      }
    }
    if (!netns) throw new TockerError(`attach ${req.containerId}: the container's network namespace is needed`, { status: 500 })
    // Parse before any work: a bad binding is the user's error and costs nothing.
    const requests = portRequests(req.portBindings, req.publishAll, req.exposedPorts)
    const settings = await this.#serial(async (state) => {
      const net = req.network === undefined ? defaultNetwork(state) : this.findNetwork(req.network, state)
      if (net.driver === 'host') return networkSettings({ mode: 'host', running: true })
      if (net.driver === 'null') {
        await loopbackUp(netns)
        return networkSettings({ mode: 'none', running: true, sandboxKey: netns })
      }
      if (net.endpoints[req.containerId]) await this.#releaseLocked(state, req.containerId, net.id) // a leftover of an earlier start
      if (net.predefined) await this.#chooseSubnet(state, net)
      const name = req.name ?? req.containerId.slice(0, 12)
      const endpointId = randomBytes(32).toString('hex')
      const ip = req.ip ? requestIp(net, req.ip) : allocateIp(net)
      if (!ip) throw noAddressesError(net.name)
      const others = this.endpointsOf(req.containerId, state)
      // The container's first network that leads outside carries its default route and its ports.
      const defaultRoute = !net.internal && !others.some((o) => o.endpoint.defaultRoute !== false)
      const held = defaultRoute ? await this.#reservePorts(state, requests, name, endpointId) : []
      const usedIfnames = new Set(others.map((o) => o.endpoint.ifname ?? 'eth0'))
      let n = 0
      while (usedIfnames.has(`eth${n}`)) n++
      const e: Endpoint = {
        containerId: req.containerId,
        name,
        endpointId,
        networkId: net.id,
        ip,
        prefixLen: parseCidr(net.subnet!)!.prefix,
        gateway: net.gateway!,
        mac: macForIPv4(parseIPv4(ip)!),
        hostVeth: newVethName(state),
        ifname: `eth${n}`,
        netns,
        ports: held.map((h) => h.port),
        defaultRoute,
        ...(req.ip ? { requestedIp: req.ip } : {}),
        ...(isUserDefined(net) ? { dnsNames: req.dnsNames ?? [name, req.containerId.slice(0, 12)] } : {}),
        ...(req.links && Object.keys(req.links).length ? { links: req.links } : {}),
      }
      try {
        await this.#ensureBridge(net)
        await this.#ensureBase(state)
        net.endpoints[e.containerId] = e
        this.#write(state)
        // The veth (2 processes, one after the other) and the port rules (1 process) do not depend
        // on each other: a DNAT rule towards an address that does not exist yet is harmless.
        const tools = await this.iptables()
        await allOrFirstError([
          createVeth({ bridge: net.bridge!, hostVeth: e.hostVeth, netns, mac: e.mac, ip: e.ip, prefixLen: e.prefixLen, gateway: e.gateway, ifname: e.ifname, defaultRoute }),
          e.ports.length ? addPortRules(tools, net.bridge!, e) : Promise.resolve(),
        ])
      } catch (err) {
        this.#baseKey = undefined // maybe someone deleted the bridge or flushed the chains: check again next time
        this.#bridgesReady.delete(net.bridge!)
        for (const h of held) h.held.close()
        if (net.endpoints[e.containerId]) {
          // A failed undo leaves a veth or rules the state no longer lists: say so (the next
          // engine start's reconcile removes them).
          await this.#undo(net, e).catch((u) => this.#warn(`undoing the network of ${name} after a failed attach: ${(u as Error).message}`))
          delete net.endpoints[e.containerId]
          this.#write(state)
        }
        throw attachError(name, err)
      }
      if (held.length) this.#held.set(e.containerId, [...(this.#held.get(e.containerId) ?? []), ...held.map((h) => h.held)])
      return networkSettings({ mode: 'bridge', networkName: net.name, networkId: net.id, endpoint: e, exposed: req.exposedPorts })
    })
    if (this.dns && this.endpointsOf(req.containerId, this.cached()).some((o) => isUserDefined(o.network))) {
      try {
        await this.dns.ensure(req.containerId, netns)
      } catch (err) {
        await this.release(req.containerId, req.network === undefined ? undefined : this.findNetwork(req.network, this.cached()).id).catch(() => {})
        throw attachError(req.name ?? req.containerId.slice(0, 12), err)
      }
    }
    return settings
  }

  /** Undo a container's attach (to one network, or to all): veths, iptables rules, leases, held ports. Idempotent. */
  async release(containerId: string, networkId?: string): Promise<void> {
    await this.#serial(async (state) => {
      if (networkId) await this.#releaseLocked(state, containerId, networkId)
      else for (const n of Object.values(state.networks)) if (n.endpoints[containerId]) await this.#releaseLocked(state, containerId, n.id)
    })
    const left = this.endpointsOf(containerId, this.cached())
    if (!left.some((o) => isUserDefined(o.network))) this.dns?.close(containerId)
    if (!left.length) this.dns?.forget(containerId)
  }

  /** Rename: the container's DNS names on every network it is on (its old name goes). */
  async renamed(containerId: string, oldName: string, newName: string): Promise<void> {
    await this.#serial(async (state) => {
      let changed = false
      for (const n of Object.values(state.networks)) {
        const e = n.endpoints[containerId]
        if (!e) continue
        e.name = newName
        if (e.dnsNames) e.dnsNames = [newName, ...e.dnsNames.filter((x) => x !== oldName && x !== newName)]
        changed = true
      }
      if (changed) this.#write(state)
    })
  }

  /**
   * At engine start, with the containers that still run: endpoints of any other container are
   * released (the engine died before it could), every bridge and the base chains are checked, every
   * per-container rule is rebuilt from the state in one transaction (so a rule is never doubled and
   * no rule outlives its container), veths and bridges nobody owns are deleted, held ports re-taken.
   */
  async reconcile(live: LiveContainer[]): Promise<ReconcileReport> {
    const report: ReconcileReport = { released: [], kept: [], orphanLinks: [], warnings: [] }
    const liveById = new Map(live.map((l) => [l.containerId, l]))
    await this.#serial(async (state) => {
      for (const n of Object.values(state.networks)) {
        for (const id of Object.keys(n.endpoints)) {
          if (liveById.has(id)) continue
          await this.#releaseLocked(state, id, n.id, false)
          if (!report.released.includes(id)) report.released.push(id)
        }
      }
      const defaultForeign = await this.#bridgeIsForeign()
      if (defaultForeign) {
        // Another engine (another --root) has containers on this bridge: the chains and veths are
        // its, not ours to rebuild or delete.
        const n = allEndpoints(state).length
        if (n) report.warnings.push(`the bridge ${this.bridge} is owned by another engine; ${n} endpoint(s) of this one left as they are`)
        this.#write(state)
        return
      }
      this.#baseKey = undefined
      this.#bridgesReady.clear()
      for (const n of Object.values(state.networks)) {
        if (n.driver !== 'bridge' || !n.subnet) continue
        if (n.predefined && !Object.keys(n.endpoints).length) continue
        await this.#ensureBridge(n)
      }
      const tools = await this.iptables()
      const saved = await saveRules(tools)
      const haveChains = saved.nat?.chains.has('TOCKER') || saved.filter?.chains.has('TOCKER')
      const endpoints = this.#bridgeEndpoints(state)
      const nets = this.#bridgeNets(state)
      // Chains are needed once a container runs or a user-defined network exists; left alone otherwise.
      const needed = endpoints.length > 0 || Object.values(state.networks).some(isUserDefined)
      if (needed || haveChains) await restoreRules(tools, syncChanges(saved, nets, endpoints))
      this.#baseKey = baseKey(nets)
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
      for (const e of allEndpoints(state)) {
        if (this.#held.has(e.containerId) || !e.ports.length) continue
        const held: HeldPort[] = []
        for (const p of e.ports) {
          try {
            held.push(await holdPort(p.hostIp, p.hostPort, p.proto))
          } catch (err) {
            report.warnings.push(`${e.containerId.slice(0, 12)}: ${p.hostIp}:${p.hostPort}/${p.proto} is now bound by another program (${(err as NodeJS.ErrnoException).code})`)
          }
        }
        this.#held.set(e.containerId, held)
      }
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
      for (const b of await this.#ownedBridges()) {
        if (ours.has(b)) continue
        await deleteBridge(b)
        report.orphanLinks.push(b)
      }
      for (const [id, held] of this.#held) {
        if (allEndpoints(state).some((e) => e.containerId === id)) continue
        for (const h of held) h.close()
        this.#held.delete(id)
      }
      this.#write(state)
    })
    // Name resolution for the containers on user-defined networks: their responders died with the engine.
    for (const l of live) {
      const eps = this.endpointsOf(l.containerId, this.cached())
      if (!eps.some((o) => isUserDefined(o.network))) continue
      const netns = netnsPath(l.netns) ?? eps[0]!.endpoint.netns
      await this.dns?.ensure(l.containerId, netns).catch((err) => report.warnings.push(`${l.containerId.slice(0, 12)}: name resolution: ${(err as Error).message}`))
    }
    return report
  }

  /** Remove everything tocker made: endpoints, rules and chains, every bridge, the state (tests, uninstall). */
  async teardown(): Promise<void> {
    const containers = new Set<string>()
    await this.#serial(async (state) => {
      for (const n of Object.values(state.networks)) {
        for (const id of Object.keys(n.endpoints)) {
          containers.add(id)
          await this.#releaseLocked(state, id, n.id, false)
        }
      }
      for (const held of this.#held.values()) for (const h of held) h.close()
      this.#held.clear()
      removeState(this.paths)
      this.#cache = undefined
      this.#baseKey = undefined
      this.#bridgesReady.clear()
      for (const n of Object.values(state.networks)) if (n.bridge && !n.predefined) await deleteBridge(n.bridge)
      if (await this.#bridgeIsForeign()) return // the bridge and chains serve another engine's containers
      await removeAllRules(await this.iptables())
      await deleteBridge(this.bridge)
    })
    for (const id of containers) this.dns?.forget(id)
  }

  /** Close the held port sockets (the engine is shutting down; rules and veths stay for the next start). */
  close(): void {
    for (const held of this.#held.values()) for (const h of held) h.close()
    this.#held.clear()
    this.dns?.closeAll()
  }

  async #releaseLocked(state: NetworkState, containerId: string, networkId: string, save = true): Promise<void> {
    const net = state.networks[networkId]
    const e = net?.endpoints[containerId]
    if (!net || !e) return
    await this.#undo(net, e)
    delete net.endpoints[containerId]
    if (save) this.#write(state)
    if (e.ports.length) note('release', 'explain.note.release.ports', { ip: e.ip, bridge: net.bridge ?? networkId, ports: e.ports.map((p) => p.hostPort).join(', ') })
    else note('release', 'explain.note.release', { ip: e.ip, bridge: net.bridge ?? networkId })
    if (e.ports.length) {
      // The held sockets of these ports (a container publishes on one endpoint only).
      const held = this.#held.get(containerId) ?? []
      const keep = held.filter((h) => !e.ports.some((p) => p.hostIp === h.hostIp && p.hostPort === h.hostPort && p.proto === h.proto))
      for (const h of held) if (!keep.includes(h)) h.close()
      if (keep.length) this.#held.set(containerId, keep)
      else this.#held.delete(containerId)
    }
  }

  /** Delete an endpoint's veth and its rules (independent: both at once). */
  async #undo(net: NetworkRecord, e: Endpoint): Promise<void> {
    const tools = e.ports.length ? await this.iptables() : undefined
    await allOrFirstError([deleteVeth(e.hostVeth), tools ? removePortRules(tools, net.bridge!, e) : Promise.resolve()])
  }

  /** Every network with a bridge and a subnet, as the rules see them. */
  #bridgeNets(state: NetworkState): BridgeNet[] {
    return Object.values(state.networks)
      .filter((n) => n.driver === 'bridge' && n.bridge && n.subnet)
      .map((n) => ({ bridge: n.bridge!, subnet: n.subnet!, internal: !!n.internal }))
  }

  #bridgeEndpoints(state: NetworkState): { bridge: string; endpoint: Endpoint; network: NetworkRecord }[] {
    return Object.values(state.networks)
      .filter((n) => n.bridge)
      .flatMap((n) => Object.values(n.endpoints).map((endpoint) => ({ bridge: n.bridge!, endpoint, network: n })))
  }

  /** The host's used blocks and every other network's subnet. */
  async #usedSubnets(state: NetworkState, except?: NetworkRecord) {
    const [routes, addrs] = await Promise.all([ipv4Routes(), ipv4Addresses()])
    const used = usedBlocks(routes, addrs, except?.bridge)
    for (const n of Object.values(state.networks)) if (n !== except && n.subnet) used.push(parseCidr(n.subnet)!)
    return used
  }

  async #freeSubnet(state: NetworkState): Promise<string | undefined> {
    const free = chooseFreeSubnet(await this.#usedSubnets(state))
    return free && formatCidr(free)
  }

  /** The default bridge's subnet: chosen at its first use and kept (or dockerd's --bip style fixed one). */
  async #chooseSubnet(state: NetworkState, net: NetworkRecord): Promise<void> {
    const wanted = this.#opts.subnet
    if (wanted !== undefined) {
      const c = parseCidr(wanted, true)
      if (!c || c.prefix > 30) throw new TockerError(`invalid subnet ${wanted}: want an IPv4 CIDR such as 172.17.0.0/16`, { status: 400 })
      const text = formatCidr(c)
      // Like dockerd's --bip: "10.10.0.5/24" also says which address the bridge (gateway) takes.
      const given = parseIPv4(wanted.split('/')[0]!)!
      const gateway = formatIPv4(given === c.network ? c.network + 1 : given)
      if (net.subnet && (net.subnet !== text || net.gateway !== gateway)) {
        if (Object.keys(net.endpoints).length > 0) {
          throw new TockerError(`the bridge ${this.bridge} uses ${net.subnet}; stop its containers before changing the subnet to ${text}`, { status: 409 })
        }
        await deleteBridge(this.bridge) // re-made with the new address
        this.#bridgesReady.delete(this.bridge)
        this.#baseKey = undefined
        delete net.subnet
      }
      if (!net.subnet) setSubnet(net, text, gateway)
      return
    }
    if (net.subnet && (Object.keys(net.endpoints).length > 0 || this.#bridgesReady.has(this.bridge))) return
    const used = await this.#usedSubnets(state, net)
    if (net.subnet) {
      // Nothing attached yet in this engine's life: the subnet chosen earlier is kept unless the
      // host (or another network) has started using it meanwhile (a VPN or a cloud route after a reboot).
      const mine = parseCidr(net.subnet)!
      if (!used.some((u) => u.prefix > 0 && cidrsOverlap(u, mine))) return
      await deleteBridge(this.bridge)
      this.#bridgesReady.delete(this.bridge)
      this.#baseKey = undefined
      delete net.subnet
    }
    const free = chooseFreeSubnet(used)
    if (!free) throw new TockerError(`no free subnet for ${this.bridge}: ${DEFAULT_SUBNET} and every other candidate overlap the host's routes`, { daemon: true })
    setSubnet(net, formatCidr(free))
  }

  /**
   * The bridge is one per network namespace but the state is one per store: refuse to share the
   * default bridge with another engine (another --root) that still has containers on it.
   */
  #refuseForeignOwner = (other: string): void => {
    let attached = 0
    try {
      attached = Object.keys(defaultNetwork(readState(statePaths(other), this.bridge)).endpoints).length
    } catch {
      // that store is gone or unreadable: nobody tracks the bridge any more
    }
    if (attached > 0) {
      throw new TockerError(
        `the bridge ${this.bridge} is in use by the engine with --root ${other} (${attached} container${attached === 1 ? '' : 's'} attached); stop them first, or run this engine in its own network namespace`,
        { code: 'EBRIDGEBUSY', daemon: true, status: 409 },
      )
    }
  }

  #warn(msg: string): void {
    if (this.#opts.warn) this.#opts.warn(msg)
    else process.stderr.write(`tockerd: warning: ${msg}\n`)
  }

  /** True when another engine's containers are on the default bridge (then reconcile keeps its hands off). */
  async #bridgeIsForeign(): Promise<boolean> {
    const other = await bridgeOwner(this.bridge)
    if (other === undefined || other === this.#opts.root) return false
    try {
      this.#refuseForeignOwner(other)
      return false
    } catch {
      return true
    }
  }

  /** Bridges in this namespace whose alias names this engine's store. */
  async #ownedBridges(): Promise<string[]> {
    const links = JSON.parse((await ip(['-j', '-d', 'link', 'show', 'type', 'bridge'])) || '[]') as { ifname: string; ifalias?: string }[]
    return links.filter((l) => l.ifalias && ownerFromAlias(l.ifalias) === this.#opts.root).map((l) => l.ifname)
  }

  /** A network's bridge: made (or checked) once per manager. */
  async #ensureBridge(net: NetworkRecord): Promise<void> {
    if (this.#bridgesReady.has(net.bridge!)) return
    const spec = { name: net.bridge!, gateway: net.gateway!, prefixLen: parseCidr(net.subnet!)!.prefix, mac: net.bridgeMac ??= randomMac(), owner: this.#opts.root }
    await ensureBridge(spec, net.predefined ? this.#refuseForeignOwner : () => {})
    this.#bridgesReady.add(net.bridge!)
  }

  /** Base chains for every network with a subnet: rewritten when the set of networks changed. */
  async #ensureBase(state: NetworkState): Promise<void> {
    const nets = this.#bridgeNets(state)
    const key = baseKey(nets)
    if (this.#baseKey === key) return
    const tools = await this.iptables()
    await restoreRules(tools, syncChanges(await saveRules(tools), nets))
    this.#baseKey = key
  }

  /** Pick and bind every requested host port; on any refusal, close what was bound and throw. */
  async #reservePorts(state: NetworkState, requests: PortRequest[], name: string, endpointId: string): Promise<{ port: PublishedPort; held: HeldPort }[]> {
    const out: { port: PublishedPort; held: HeldPort }[] = []
    const chosen = () => out.map((o) => o.port)
    try {
      for (const r of requests) {
        if (r.hostPortFirst !== 0 && r.hostPortFirst === r.hostPortLast) {
          const want = { hostIp: r.hostIp, hostPort: r.hostPortFirst, proto: r.proto }
          if (portOwner(state, want, chosen())) throw portAllocatedError(name, endpointId, r.hostIp, r.hostPortFirst)
          try {
            out.push({ port: { ...want, containerPort: r.containerPort }, held: await holdPort(r.hostIp, r.hostPortFirst, r.proto) })
          } catch (err) {
            const e = err as NodeJS.ErrnoException
            if (e.code === 'EADDRINUSE') throw portAllocatedError(name, endpointId, r.hostIp, r.hostPortFirst)
            throw bindError(name, endpointId, r.hostIp, r.hostPortFirst, r.proto, e)
          }
          continue
        }
        // A free port: from -p 8000-8010:80's range, or the kernel's ephemeral range for -p 80 / -P.
        const [first, last] = r.hostPortFirst === 0 ? dynamicPortRange() : [r.hostPortFirst, r.hostPortLast]
        let got = false
        for (let port = first; port <= last && !got; port++) {
          const want = { hostIp: r.hostIp, hostPort: port, proto: r.proto }
          if (portOwner(state, want, chosen())) continue
          try {
            out.push({ port: { ...want, containerPort: r.containerPort }, held: await holdPort(r.hostIp, port, r.proto) })
            got = true
          } catch (err) {
            const e = err as NodeJS.ErrnoException
            if (e.code !== 'EADDRINUSE') throw bindError(name, endpointId, r.hostIp, port, r.proto, e)
          }
        }
        if (!got) throw noFreePortError(name, endpointId)
      }
      return out
    } catch (err) {
      for (const o of out) o.held.close()
      throw err
    }
  }
}

function baseKey(nets: BridgeNet[]): string {
  return JSON.stringify(nets)
}

function randomMac(): string {
  return '02:42:' + [...randomBytes(4)].map((b) => b.toString(16).padStart(2, '0')).join(':')
}

function setSubnet(net: NetworkRecord, subnet: string, gateway?: string): void {
  const c = parseCidr(subnet)!
  net.subnet = subnet
  net.gateway = gateway ?? formatIPv4(c.network + 1)
  net.bridgeMac ??= randomMac()
}
