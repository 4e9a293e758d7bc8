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
//   4. record the endpoint (so a crash from here on is cleaned up by reconcile) and add the port
//      rules (1 process), both left running
//   5. once the container's namespace exists: create the veth pair + configure the interface
//      (rtnetlink, no process), and wait for 4
//   any failure in 4-5 undoes what they did and drops the record. 1-4 need no namespace: the
//   engine runs them (reserve) before the runtime creates the container (endpoint-attach.ts).
import { TockerError } from '../errors.js'
import { BRIDGE_NAME, deleteBridge } from './bridge.js'
import { BridgeSet } from './bridge-set.js'
import { attachError } from './errors.js'
import { endpointsOf } from './endpoint-plan.js'
import type { NetworkSettings } from '../api/types.js'
import { HeldPorts } from './held-ports.js'
import { networkSettings } from './inspect.js'
import { detectIptables, removeAllRules, type IptablesTools } from './iptables.js'
import { findNetwork, networkNotFound, type CreateNetworkRequest } from './network-config.js'
import { newNetworkRecord } from './network-record.js'
import { reconcileLocked } from './reconcile.js'
import { isUserDefined, netnsPath, normalizeMode, type AttachRequest, type EndpointOf, type LiveContainer, type NetworkOptions, type ReconcileReport } from './requests.js'
import { defaultNetwork, statePaths, type StatePaths } from './state.js'
import { NetworkStateStore } from './state-store.js'
import type { Endpoint, NetworkRecord, NetworkState } from './types.js'
import { deleteVeth, loopbackUp } from './veth.js'
import { planEndpoint, plugEndpoint, type AttachHost, type Planned } from './endpoint-attach.js'
import { allOrFirstError, noteReleased, undoEndpoint, undoPortRules } from './endpoint-undo.js'
import { DnsResponder } from './dns/responder.js'

const reservationKey = (containerId: string, network: string | undefined) => `${containerId}/${network ?? ''}`

export { isUserDefined, normalizeMode, type AttachRequest, type EndpointOf, type LiveContainer, type NetworkOptions, type ReconcileReport } from './requests.js'

export class NetworkManager {
  readonly bridge: string
  readonly paths: StatePaths
  #opts: NetworkOptions
  #tools: Promise<IptablesTools> | undefined
  /** The bridges made or checked, the base chains last written, the default bridge's subnet. */
  #bridges: BridgeSet
  /** The sockets of the published host ports. */
  #held = new HeldPorts()
  /** The state file under its lock, the queue of operations, the state last seen (state-store.ts). */
  #store: NetworkStateStore
  /** The embedded DNS server of the containers on user-defined networks (dns/responder.ts). */
  readonly dns: DnsResponder | undefined
  /** Endpoints reserved before their container's namespace existed, by container and network (reserve). */
  #reserved = new Map<string, Planned>()

  constructor(opts: NetworkOptions) {
    this.#opts = opts
    this.bridge = opts.bridge ?? 'tocker0'
    if (!BRIDGE_NAME.test(this.bridge)) throw new TockerError(`invalid bridge name: ${this.bridge}`, { code: 'EINVALID' })
    this.paths = statePaths(opts.root)
    this.#store = new NetworkStateStore(this.paths, this.bridge)
    this.#bridges = new BridgeSet({ root: opts.root, bridge: this.bridge, subnet: opts.subnet, iptables: () => this.iptables() })
    this.dns = opts.dns === false ? undefined : new DnsResponder({ state: () => this.cached(), iptables: () => this.iptables(), log: opts.log })
  }

  /** What attach's two halves (endpoint-attach.ts) need of this manager. */
  get #attachHost(): AttachHost {
    return {
      store: this.#store,
      bridges: this.#bridges,
      held: this.#held,
      iptables: () => this.iptables(),
      findNetwork: (ref, state) => this.findNetwork(ref, state),
      releaseLocked: (state, id, networkId) => this.#releaseLocked(state, id, networkId),
      undo: (net, e) => this.#undo(net, e),
      warn: (msg) => this.#warn(msg),
    }
  }

  /** Which iptables this engine drives ("iptables v1.8.9 (nf_tables)"). */
  async iptables(): Promise<IptablesTools> {
    this.#tools ??= detectIptables(this.#opts.iptables)
    return this.#tools
  }

  /** Every network, as on disk (or as it will be, while a write of ours is under way: state-store.ts). */
  snapshot(): NetworkState {
    return this.#store.snapshot()
  }

  /** The state last seen (for the DNS responder's lookups: no file read per query). */
  cached(): NetworkState {
    return this.#store.cached()
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
    return endpointsOf(state, containerId)
  }

  // ---- networks ----

  /** docker network create: the record, its subnet, its bridge (up, addressed) and the isolation rules. */
  async createNetwork(req: CreateNetworkRequest): Promise<NetworkRecord> {
    return this.#store.serial(async (state) => {
      const net = await newNetworkRecord(req, state, this.#bridges)
      const id = net.id
      // The bridge (and the base chains with the new network's isolation) before the record: if this
      // fails nothing is recorded, and what was made is taken back.
      state.networks[id] = net
      try {
        await this.#bridges.ensureBridge(net)
        await this.#bridges.ensureBase(state)
      } catch (err) {
        delete state.networks[id]
        this.#bridges.forgetBase()
        this.#bridges.forgetBridge(net.bridge!)
        await deleteBridge(net.bridge!).catch(() => {})
        await this.#bridges.ensureBase(state).catch(() => {})
        throw err
      }
      await this.#store.write(state)
      return net
    })
  }

  /** docker network rm: refused for the predefined networks and while a container runs on it. */
  async removeNetwork(ref: string): Promise<NetworkRecord> {
    return this.#store.serial(async (state) => {
      const net = this.findNetwork(ref, state)
      if (net.predefined) throw new TockerError(`${net.name} is a pre-defined network and cannot be removed`, { code: 'EFORBIDDEN', daemon: true })
      const ids = Object.keys(net.endpoints)
      if (ids.length) {
        throw new TockerError(`error while removing network: network ${net.name} id ${net.id} has active endpoints`, { daemon: true, code: 'ENETWORKINUSE' })
      }
      // The record goes first: a crash after it leaves a bridge that reconcile knows is nobody's.
      delete state.networks[net.id]
      await this.#store.write(state)
      this.#bridges.forgetBridge(net.bridge!)
      await deleteBridge(net.bridge!)
      await this.#bridges.ensureBase(state)
      return net
    })
  }

  // ---- endpoints ----

  /**
   * The first half of attach, for a container whose network namespace does not exist yet (the
   * engine calls it before the runtime creates the container): the endpoint is planned and
   * recorded, its host ports bound and their rules started, so that the record's write (its fsync,
   * in the thread pool) and the rules' process run while the runtime creates the container on the
   * main thread. attach() then only plugs the veth in. Resolves once the endpoint is planned (its
   * write under way); a refusal (a port taken, no address left) throws here, with nothing left
   * behind. What it reserved goes with release() (e.g. when the runtime's create fails).
   */
  async reserve(req: Omit<AttachRequest, 'netns' | 'portRulesLater'>): Promise<void> {
    const planned = await planEndpoint(this.#attachHost, req)
    if (typeof planned === 'object') this.#reserved.set(reservationKey(req.containerId, req.network), planned)
  }

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
      if (!netns) throw new TockerError(`attach ${req.containerId}: the container's network namespace is needed`, { code: 'EINTERNAL' })
      if (mode === 'none') {
        await loopbackUp(netns)
        return networkSettings({ mode, running: true, sandboxKey: netns })
      }
    }
    if (!netns) throw new TockerError(`attach ${req.containerId}: the container's network namespace is needed`, { code: 'EINTERNAL' })
    const key = reservationKey(req.containerId, req.network)
    const planned = this.#reserved.get(key) ?? (await planEndpoint(this.#attachHost, req))
    this.#reserved.delete(key)
    let settings: Required<NetworkSettings>
    if (planned === 'host') return networkSettings({ mode: 'host', running: true })
    if (planned === 'none') {
      await loopbackUp(netns)
      settings = networkSettings({ mode: 'none', running: true, sandboxKey: netns })
    } else {
      settings = await plugEndpoint(this.#attachHost, planned, netns, req.portRulesLater)
    }
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

  /**
   * Undo a container's attach (to one network, or to all): veths, iptables rules, leases, held ports. Idempotent.
   *
   * `afterwards` (a container that has ended: its exit, its removal): resolve as soon as the
   * endpoints have left the state (in memory: its write to disk, an fsync of 4 ms median and tens
   * under load, goes on after, still under the store's lock, and snapshot() answers from memory
   * until it has landed), the held ports are closed and the port rules are gone (one
   * iptables-restore, only for a container that published ports: as with Docker, once `rm -f`
   * has answered, `iptables -t nat -S` no longer shows its DNAT rule). That costs the answer
   * ~13 ms per table, nat and filter (measured, iptables 1.8.9 nf_tables, kernel 6.x; an add is
   * ~3.5 ms): after a rule's deletion, iptables-restore's close() of its netlink socket blocks
   * 5-15 ms (strace -T; ~5 us after an add), the kernel finishing the deleted rule's release
   * before the socket goes. The veths go after the write (usually already gone with the
   * container's namespace), still in this manager's queue, so every later network operation (the
   * next attach that could reuse the address or the veth's name) waits for them. Their failure, and the rules', goes to `afterwards`. An engine killed
   * before they are gone leaves a veth or rules no endpoint owns: reconcile, at its next start,
   * deletes the veths nobody owns and rebuilds the rules from the state.
   */
  async release(containerId: string, networkId?: string, opts: { afterwards?: (err: Error) => void } = {}): Promise<void> {
    const nets = (state: NetworkState) => (networkId ? [networkId] : Object.values(state.networks).filter((n) => n.endpoints[containerId]).map((n) => n.id))
    const { afterwards } = opts
    for (const [key, p] of this.#reserved) if (p.endpoint.containerId === containerId && (!networkId || p.net.id === networkId)) this.#reserved.delete(key)
    if (!this.endpointsOf(containerId).some((o) => !networkId || o.network.id === networkId)) {
      // Nothing of it is attached (released at its exit already): no need to queue behind the
      // veths and rules of other releases still being deleted.
    } else if (!afterwards) {
      await this.#store.serial(async (state) => {
        for (const id of nets(state)) await this.#releaseLocked(state, containerId, id)
      })
    } else {
      let forgotten!: () => void
      const left = new Promise<void>((resolve) => (forgotten = resolve))
      const run = this.#store.serial(async (state) => {
        const forgot: { net: NetworkRecord; e: Endpoint }[] = []
        for (const id of nets(state)) {
          const f = this.#forgetLocked(state, containerId, id)
          if (f) forgot.push(f)
        }
        const written = forgot.length ? this.#store.write(state) : undefined
        written?.catch(() => {}) // awaited below; its failure is reported there
        const rules = await allOrFirstError(forgot.map((f) => undoPortRules(() => this.iptables(), f.net, f.e))).then(() => undefined, (err: Error) => err)
        forgotten()
        try {
          await written
          await allOrFirstError(forgot.map((f) => deleteVeth(f.e.hostVeth)))
          if (rules) throw rules
        } catch (err) {
          afterwards(err as Error)
        }
      })
      await Promise.race([left, run])
    }
    const left = this.endpointsOf(containerId, this.cached())
    if (!left.some((o) => isUserDefined(o.network))) this.dns?.close(containerId)
    if (!left.length) this.dns?.forget(containerId)
  }

  /** Rename: the container's DNS names on every network it is on (its old name goes). */
  async renamed(containerId: string, oldName: string, newName: string): Promise<void> {
    await this.#store.serial(async (state) => {
      let changed = false
      for (const n of Object.values(state.networks)) {
        const e = n.endpoints[containerId]
        if (!e) continue
        e.name = newName
        if (e.dnsNames) e.dnsNames = [newName, ...e.dnsNames.filter((x) => x !== oldName && x !== newName)]
        changed = true
      }
      if (changed) await this.#store.write(state)
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
    const host = {
      bridge: this.bridge,
      bridges: this.#bridges,
      held: this.#held,
      iptables: () => this.iptables(),
      releaseLocked: (s: NetworkState, id: string, networkId: string) => this.#releaseLocked(s, id, networkId, false),
      // (sync: reconcile runs once, at engine start, with nothing else under way)
      write: (s: NetworkState) => this.#store.writeSync(s),
    }
    await this.#store.serial((state) => reconcileLocked(host, state, liveById, report))
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
    await this.#store.serial(async (state) => {
      for (const n of Object.values(state.networks)) {
        for (const id of Object.keys(n.endpoints)) {
          containers.add(id)
          await this.#releaseLocked(state, id, n.id, false)
        }
      }
      this.#held.closeAll()
      this.#store.remove()
      this.#bridges.forgetAll()
      for (const n of Object.values(state.networks)) if (n.bridge && !n.predefined) await deleteBridge(n.bridge)
      if (await this.#bridges.isForeign()) return // the bridge and chains serve another engine's containers
      await removeAllRules(await this.iptables())
      await deleteBridge(this.bridge)
    })
    for (const id of containers) this.dns?.forget(id)
  }

  /** Close the held port sockets (the engine is shutting down; rules and veths stay for the next start). */
  close(): void {
    this.#held.closeAll()
    this.dns?.closeAll()
  }

  async #releaseLocked(state: NetworkState, containerId: string, networkId: string, save = true): Promise<void> {
    const net = state.networks[networkId]
    const e = net?.endpoints[containerId]
    if (!net || !e) return
    await this.#undo(net, e)
    delete net.endpoints[containerId]
    if (save) await this.#store.write(state)
    this.#released(net, e)
  }

  /**
   * The endpoint leaves the state (the caller writes it) and its held ports close now; returns it
   * and its network, for release (`afterwards`) to delete its rules and veth, or undefined if it
   * had none.
   */
  #forgetLocked(state: NetworkState, containerId: string, networkId: string): { net: NetworkRecord; e: Endpoint } | undefined {
    const net = state.networks[networkId]
    const e = net?.endpoints[containerId]
    if (!net || !e) return undefined
    delete net.endpoints[containerId]
    this.#released(net, e)
    return { net, e }
  }

  /** Told (--explain), and the held sockets of its ports closed. */
  #released(net: NetworkRecord, e: Endpoint): void {
    noteReleased(net, e)
    this.#held.release(e.containerId, e.ports)
  }

  #undo(net: NetworkRecord, e: Endpoint): Promise<void> {
    return undoEndpoint(() => this.iptables(), net, e)
  }

  #warn(msg: string): void {
    if (this.#opts.warn) this.#opts.warn(msg)
    else process.stderr.write(`tockerd: warning: ${msg}\n`)
  }
}
