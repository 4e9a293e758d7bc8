// The network layer's API for the engine: attach a starting container, release a stopped one,
// reconcile after an engine restart, tear everything down (tests). One NetworkManager per engine;
// its state lives in <root>/network/state.json, guarded by an flock, so operations from several
// processes on one store are serialised, and inside the process a queue keeps them in order.
//
// attach (bridge mode), in this order so that a refusal leaves nothing behind:
//   1. read the state; choose the subnet once (Docker's 172.17.0.0/16 unless the host uses it)
//   2. allocate the lowest free IP, a veth name, and the host ports: each checked against the
//      other containers' ports and by really binding it (the socket is then kept, like Docker's)
//   3. make sure the bridge, the sysctls and tocker's base iptables chains exist (once per engine)
//   4. record the endpoint (so a crash from here on is cleaned up by reconcile), then
//      create the veth pair + configure eth0 (2 processes) and add the port rules (1 process)
//   any failure in 4 undoes what 4 did and drops the record.
import { randomBytes } from 'node:crypto'
import { TockerError } from '../errors.js'
import { BRIDGE_NAME, bridgeOwner, deleteBridge, ensureBridge } from './bridge.js'
import { attachError, bindError, noAddressesError, noFreePortError, portAllocatedError } from './errors.js'
import type { NetworkSettings } from '../api/types.js'
import { networkSettings } from './inspect.js'
import { allocateIp, newVethName, portOwner } from './ipam.js'
import { report } from '../trace/trace.js'
import { ipv4Addresses, ipv4Routes, linksOnBridge, showLink } from './iproute2.js'
import { addPortRules, detectIptables, removeAllRules, removePortRules, restoreRules, saveRules, syncChanges, type IptablesTools } from './iptables.js'
import { cidrsOverlap, formatCidr, formatIPv4, macForIPv4, parseCidr, parseIPv4 } from './ipv4.js'
import { dynamicPortRange, holdPort, type HeldPort } from './port-reservation.js'
import { portRequests, type LoosePortMap, type PortRequest } from './port-spec.js'
import { readState, removeState, statePaths, writeState, type StatePaths } from './state.js'
import { withLock } from '../sys/lock.js'
import { chooseFreeSubnet, DEFAULT_SUBNET, usedBlocks } from './subnet.js'
import type { Endpoint, NetworkMode, NetworkState, PublishedPort } from './types.js'
import { createVeth, deleteVeth, loopbackUp } from './veth.js'

export interface NetworkOptions {
  /** The store root (--root); state goes to <root>/network/state.json. */
  root: string
  /** Default "tocker0". */
  bridge?: string
  /**
   * A fixed subnet for the bridge, like dockerd's --bip: "10.99.0.0/24" (gateway .1) or
   * "10.99.0.254/24" (that gateway). Default: 172.17.0.0/16, or the next block the host does not use.
   */
  subnet?: string
  /** The iptables command; default $TOCKER_IPTABLES or "iptables" (Debian: iptables-nft). */
  iptables?: string
  /** What failed on the way but was got past (an undo): default, the engine's log on stderr. */
  warn?: (msg: string) => void
}

export interface AttachRequest {
  containerId: string
  /** For error messages ("... on endpoint web ..."); default the short id. */
  name?: string
  /** HostConfig.NetworkMode: "bridge" (also "default" or empty), "none" or "host". */
  mode?: string
  /** The container's network namespace: a path (/proc/<pid>/ns/net) or a pid. Not used for host. */
  netns?: string | number
  /** HostConfig.PortBindings, Config.ExposedPorts, HostConfig.PublishAllPorts (-P). */
  portBindings?: LoosePortMap | null
  exposedPorts?: Record<string, unknown> | null
  publishAll?: boolean
}

export interface LiveContainer {
  containerId: string
  /** Where its network namespace is now (/proc/<pid>/ns/net): used only if its veth must be re-made. */
  netns?: string | number
}

export interface ReconcileReport {
  /** Containers whose endpoint (veth, rules, lease) was removed because they no longer run. */
  released: string[]
  /** Containers still running whose endpoints were kept (rules rebuilt, ports re-held). */
  kept: string[]
  /** veths on the bridge that no container owns, deleted. */
  orphanLinks: string[]
  /** Things that could not be fixed (a held port taken meanwhile by another program...). */
  warnings: string[]
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

export class NetworkManager {
  readonly bridge: string
  readonly paths: StatePaths
  #opts: NetworkOptions
  #queue: Promise<unknown> = Promise.resolve()
  #tools: Promise<IptablesTools> | undefined
  #baseReady: string | undefined // the subnet the bridge and base chains were verified for
  #held = new Map<string, HeldPort[]>()

  constructor(opts: NetworkOptions) {
    this.#opts = opts
    this.bridge = opts.bridge ?? 'tocker0'
    if (!BRIDGE_NAME.test(this.bridge)) throw new TockerError(`invalid bridge name: ${this.bridge}`, { status: 400 })
    this.paths = statePaths(opts.root)
  }

  /** Which iptables this engine drives ("iptables v1.8.9 (nf_tables)"). */
  async iptables(): Promise<IptablesTools> {
    this.#tools ??= detectIptables(this.#opts.iptables)
    return this.#tools
  }

  /** Run `fn` after every earlier operation of this manager, under the store's network lock. */
  #serial<T>(fn: (state: NetworkState) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => withLock(this.paths.lock, () => fn(readState(this.paths, this.bridge))))
    this.#queue = run.catch(() => {})
    return run
  }

  /** The endpoint recorded for a container (undefined when it has none). */
  endpoint(containerId: string): Endpoint | undefined {
    return readState(this.paths, this.bridge).endpoints[containerId]
  }

  /** The network's persistent state (subnet, gateway, endpoints), as on disk. */
  state(): NetworkState {
    return readState(this.paths, this.bridge)
  }

  /**
   * Give a container its network; call it once the container's network namespace exists and
   * before its program runs. Returns inspect's NetworkSettings (every field). Throws TockerError (Docker's
   * wording) with nothing left behind when a port is taken or the set-up fails.
   */
  async attach(req: AttachRequest): Promise<Required<NetworkSettings>> {
    const mode = normalizeMode(req.mode)
    const netns = netnsPath(req.netns)
    if (mode === 'host') return networkSettings({ mode, running: true })
    if (!netns) throw new TockerError(`attach ${req.containerId}: the container's network namespace is needed`, { status: 500 })
    if (mode === 'none') {
      await loopbackUp(netns)
      return networkSettings({ mode, running: true, sandboxKey: netns })
    }
    // Parse before any work: a bad binding is the user's error and costs nothing.
    const requests = portRequests(req.portBindings, req.publishAll, req.exposedPorts)
    return this.#serial(async (state) => {
      if (state.endpoints[req.containerId]) await this.#releaseLocked(state, req.containerId) // a leftover of an earlier start
      await this.#chooseSubnet(state)
      const name = req.name ?? req.containerId.slice(0, 12)
      const endpointId = randomBytes(32).toString('hex')
      const ip = allocateIp(state)
      if (!ip) throw noAddressesError()
      const held = await this.#reservePorts(state, requests, name, endpointId)
      const e: Endpoint = {
        containerId: req.containerId,
        name,
        endpointId,
        ip,
        prefixLen: parseCidr(state.subnet!)!.prefix,
        gateway: state.gateway!,
        mac: macForIPv4(parseIPv4(ip)!),
        hostVeth: newVethName(state),
        netns,
        ports: held.map((h) => h.port),
      }
      try {
        await this.#ensureBase(state)
        state.endpoints[e.containerId] = e
        writeState(this.paths, state)
        // The veth (2 processes, one after the other) and the port rules (1 process) do not depend
        // on each other: a DNAT rule towards an address that does not exist yet is harmless.
        const tools = await this.iptables()
        await allOrFirstError([
          createVeth({ bridge: this.bridge, hostVeth: e.hostVeth, netns, mac: e.mac, ip: e.ip, prefixLen: e.prefixLen, gateway: e.gateway }),
          e.ports.length ? addPortRules(tools, this.bridge, e) : Promise.resolve(),
        ])
      } catch (err) {
        this.#baseReady = undefined // maybe someone deleted the bridge or flushed the chains: check again next time
        for (const h of held) h.held.close()
        if (state.endpoints[e.containerId]) {
          // A failed undo leaves a veth or rules the state no longer lists: say so (the next
          // engine start's reconcile removes them).
          await this.#undo(e).catch((u) => this.#warn(`undoing the network of ${name} after a failed attach: ${(u as Error).message}`))
          delete state.endpoints[e.containerId]
          writeState(this.paths, state)
        }
        throw attachError(name, err)
      }
      this.#held.set(e.containerId, held.map((h) => h.held))
      return networkSettings({ mode, networkId: state.networkId, endpoint: e, exposed: req.exposedPorts })
    })
  }

  /** Undo a container's attach: its veth, its iptables rules, its lease, its held ports. Idempotent. */
  async release(containerId: string): Promise<void> {
    await this.#serial((state) => this.#releaseLocked(state, containerId))
  }

  /**
   * At engine start, with the containers that still run: endpoints of any other container are
   * released (the engine died before it could), the bridge and base chains are checked, every
   * per-container rule is rebuilt from the state in one transaction (so a rule is never doubled
   * and no rule outlives its container), veths nobody owns are deleted, held ports re-taken.
   */
  async reconcile(live: LiveContainer[]): Promise<ReconcileReport> {
    return this.#serial(async (state) => {
      const report: ReconcileReport = { released: [], kept: [], orphanLinks: [], warnings: [] }
      const liveById = new Map(live.map((l) => [l.containerId, l]))
      for (const id of Object.keys(state.endpoints)) {
        if (liveById.has(id)) continue
        await this.#releaseLocked(state, id, false)
        report.released.push(id)
      }
      const endpoints = Object.values(state.endpoints)
      if (await this.#bridgeIsForeign()) {
        // Another engine (another --root) has containers on this bridge: its rules and veths are
        // not ours to rebuild or delete.
        if (endpoints.length) report.warnings.push(`the bridge ${this.bridge} is owned by another engine; ${endpoints.length} endpoint(s) of this one left as they are`)
        writeState(this.paths, state)
        return report
      }
      const tools = await this.iptables()
      const saved = await saveRules(tools)
      const haveChains = saved.nat?.chains.has('TOCKER') || saved.filter?.chains.has('TOCKER')
      if (endpoints.length > 0 && state.subnet) {
        this.#baseReady = undefined
        await ensureBridge(this.#bridgeSpec(state), this.#refuseForeignOwner)
        await restoreRules(tools, syncChanges(saved, this.bridge, state.subnet, endpoints))
        this.#baseReady = state.subnet
      } else if (haveChains && state.subnet) {
        // No container left: keep the base, drop every per-container rule.
        await restoreRules(tools, syncChanges(saved, this.bridge, state.subnet, []))
      }
      for (const e of endpoints) {
        report.kept.push(e.containerId)
        if (!(await showLink(e.hostVeth))) {
          const netns = netnsPath(liveById.get(e.containerId)?.netns) ?? e.netns
          try {
            await createVeth({ bridge: this.bridge, hostVeth: e.hostVeth, netns, mac: e.mac, ip: e.ip, prefixLen: e.prefixLen, gateway: e.gateway })
            e.netns = netns
          } catch (err) {
            report.warnings.push(`${e.containerId.slice(0, 12)}: could not re-create ${e.hostVeth}: ${(err as Error).message}`)
          }
        }
        if (!this.#held.has(e.containerId)) {
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
      }
      const owned = new Set(endpoints.map((e) => e.hostVeth))
      for (const link of await linksOnBridge(this.bridge)) {
        if (owned.has(link.ifname)) continue
        await deleteVeth(link.ifname)
        report.orphanLinks.push(link.ifname)
      }
      for (const [id, held] of this.#held) {
        if (state.endpoints[id]) continue
        for (const h of held) h.close()
        this.#held.delete(id)
      }
      writeState(this.paths, state)
      return report
    })
  }

  /** Remove everything tocker made: endpoints, rules and chains, the bridge, the state (tests, uninstall). */
  async teardown(): Promise<void> {
    await this.#serial(async (state) => {
      for (const id of Object.keys(state.endpoints)) await this.#releaseLocked(state, id, false)
      for (const held of this.#held.values()) for (const h of held) h.close()
      this.#held.clear()
      removeState(this.paths)
      this.#baseReady = undefined
      if (await this.#bridgeIsForeign()) return // the bridge and chains serve another engine's containers
      await removeAllRules(await this.iptables())
      await deleteBridge(this.bridge)
    })
  }

  /** Close the held port sockets (the engine is shutting down; rules and veths stay for the next start). */
  close(): void {
    for (const held of this.#held.values()) for (const h of held) h.close()
    this.#held.clear()
  }

  async #releaseLocked(state: NetworkState, containerId: string, save = true): Promise<void> {
    const held = this.#held.get(containerId)
    const e = state.endpoints[containerId]
    if (e) {
      await this.#undo(e)
      delete state.endpoints[containerId]
      if (save) writeState(this.paths, state)
      report({ kind: 'note', op: 'release', detail: `address ${e.ip} returned to ${this.bridge}'s pool${held?.length ? `; host port${held.length > 1 ? 's' : ''} ${e.ports.map((p) => p.hostPort).join(', ')} freed` : ''}` })
    }
    for (const h of held ?? []) h.close()
    this.#held.delete(containerId)
  }

  /** Delete a container's veth and its rules (independent: both at once). */
  async #undo(e: Endpoint): Promise<void> {
    const tools = e.ports.length ? await this.iptables() : undefined
    await allOrFirstError([deleteVeth(e.hostVeth), tools ? removePortRules(tools, this.bridge, e) : Promise.resolve()])
  }

  async #chooseSubnet(state: NetworkState): Promise<void> {
    const wanted = this.#opts.subnet
    if (wanted !== undefined) {
      const c = parseCidr(wanted, true)
      if (!c || c.prefix > 30) throw new TockerError(`invalid subnet ${wanted}: want an IPv4 CIDR such as 172.17.0.0/16`, { status: 400 })
      const text = formatCidr(c)
      // Like dockerd's --bip: "10.10.0.5/24" also says which address the bridge (gateway) takes.
      const given = parseIPv4(wanted.split('/')[0]!)!
      const gateway = formatIPv4(given === c.network ? c.network + 1 : given)
      if (state.subnet && (state.subnet !== text || state.gateway !== gateway)) {
        if (Object.keys(state.endpoints).length > 0) {
          throw new TockerError(`the bridge ${this.bridge} uses ${state.subnet}; stop its containers before changing the subnet to ${text}`, { status: 409 })
        }
        await deleteBridge(this.bridge) // re-made with the new address
        this.#baseReady = undefined
        delete state.subnet
      }
      if (!state.subnet) this.#setSubnet(state, text, gateway)
      return
    }
    if (state.subnet && (Object.keys(state.endpoints).length > 0 || this.#baseReady === state.subnet)) return
    const [routes, addrs] = await Promise.all([ipv4Routes(), ipv4Addresses()])
    const used = usedBlocks(routes, addrs, this.bridge)
    if (state.subnet) {
      // Nothing attached yet in this engine's life: the subnet chosen earlier is kept unless the
      // host has started using it meanwhile (a VPN or a cloud route after a reboot).
      const mine = parseCidr(state.subnet)!
      if (!used.some((u) => u.prefix > 0 && cidrsOverlap(u, mine))) return
      await deleteBridge(this.bridge)
      delete state.subnet
    }
    const free = chooseFreeSubnet(used)
    if (!free) throw new TockerError(`no free subnet for ${this.bridge}: ${DEFAULT_SUBNET} and every other candidate overlap the host's routes`, { daemon: true })
    this.#setSubnet(state, formatCidr(free))
  }

  #setSubnet(state: NetworkState, subnet: string, gateway?: string): void {
    const c = parseCidr(subnet)!
    state.subnet = subnet
    state.gateway = gateway ?? formatIPv4(c.network + 1)
    state.bridgeMac ??= '02:42:' + [...randomBytes(4)].map((b) => b.toString(16).padStart(2, '0')).join(':')
  }

  #bridgeSpec(state: NetworkState) {
    return { name: this.bridge, gateway: state.gateway!, prefixLen: parseCidr(state.subnet!)!.prefix, mac: state.bridgeMac!, owner: this.#opts.root }
  }

  /**
   * The bridge is one per network namespace but the state is one per store: refuse to share it
   * with another engine (another --root) that still has containers on it.
   */
  #refuseForeignOwner = (other: string): void => {
    let attached = 0
    try {
      attached = Object.keys(readState(statePaths(other), this.bridge).endpoints).length
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

  /** True when another engine's containers are on the bridge (then reconcile keeps its hands off). */
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

  /** Bridge, sysctls and base chains: checked once per manager (and again by reconcile). */
  async #ensureBase(state: NetworkState): Promise<void> {
    if (this.#baseReady === state.subnet) return
    await ensureBridge(this.#bridgeSpec(state), this.#refuseForeignOwner)
    const tools = await this.iptables()
    await restoreRules(tools, syncChanges(await saveRules(tools), this.bridge, state.subnet!))
    this.#baseReady = state.subnet
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
