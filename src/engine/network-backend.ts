// The engine's networks, through the network layer's NetworkManager (src/network/): which networks a
// container is configured for (create's NetworkMode and NetworkingConfig, connect, disconnect), its
// endpoints attached while its first process waits at its gate and released at exit/rm, its
// /etc/hosts and /etc/resolv.conf, legacy links, the /networks API, and reconcile at engine start.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContainerCreateBody, EndpointConfigBody, NetworkCreateBody, NetworkCreateResponse, NetworkResource, NetworkSettings } from '../api/types.js'
import { type ErrorCode, TockerError } from '../errors.js'
import { type AttachRequest, containerNetworkSettings, containerResolvConf, embeddedResolvConf, hostResolvConf, hostsFile, isUserDefined, NetworkManager, networkResource, type NetworkRecord } from '../network/index.js'
import { isTracing } from '../trace/trace.js'
import type { NetworkBackend } from './backend.js'
import { networkKernelView, type NetworkKernelView } from '../network/kernel-view.js'
import type { EventBus } from './events.js'
import { listNetworks, pruneNetworks } from './network-list.js'
import { shortId } from './ids.js'
import { linkEnv, linkHostsEntry, parseLink } from './links.js'
import type { ContainerRecord, NetworkAttachment } from './state.js'

export interface ContainerLookup {
  find(ref: string): ContainerRecord
  all(): ContainerRecord[]
}

function invalid(message: string, code: ErrorCode = 'EINVALID'): TockerError {
  return new TockerError(message, { code, daemon: true })
}

/** HostConfig.NetworkMode -> the network's name ("default" is the default bridge). */
export function primaryNetwork(rec: Pick<ContainerRecord, 'HostConfig'>): string {
  const m = rec.HostConfig.NetworkMode
  return !m || m === 'default' ? 'bridge' : m
}

export class EngineNetwork implements NetworkBackend {
  readonly manager: NetworkManager
  #containers: ContainerLookup | undefined
  #events: EventBus | undefined

  constructor(
    readonly root: string,
    opts: { log?: (msg: string) => void } = {},
  ) {
    this.manager = new NetworkManager({ root, log: opts.log })
  }

  /** The engine's containers and events (the engine is made after its backends). */
  bind(containers: ContainerLookup, events: EventBus): void {
    this.#containers = containers
    this.#events = events
  }

  #lookup(): ContainerLookup {
    if (!this.#containers) throw new TockerError('the network backend is not bound to an engine', { code: 'EINTERNAL' })
    return this.#containers
  }

  // ---- create ----

  /**
   * At create: the container's networks from NetworkMode and NetworkingConfig, checked as Docker
   * checks them (the network exists, aliases and --ip only on user-defined networks, links well
   * formed), with the short id among a user-defined network's aliases (API < 1.45, as Docker).
   */
  configure(rec: ContainerRecord, body: ContainerCreateBody): void {
    const mode = primaryNetwork(rec)
    if (mode.startsWith('container:')) throw invalid(`--network ${mode}: sharing another container's network namespace is not supported by tocker`)
    const state = this.manager.snapshot()
    const primary = this.manager.findNetwork(mode, state)
    // The docker CLI names the primary network as it was given, "default" included (the default bridge).
    const requested = { ...(body.NetworkingConfig?.EndpointsConfig ?? {}) }
    const given = rec.HostConfig.NetworkMode || 'default'
    const isPrimary = (ref: string) => ref === mode || ref === given || ref === primary.name || ref === primary.id || (ref === 'default' && mode === 'bridge')
    const primaryRef = Object.keys(requested).find(isPrimary)
    const nets: [NetworkRecord, EndpointConfigBody][] = [[primary, (primaryRef && requested[primaryRef]) || {}]]
    for (const [ref, cfg] of Object.entries(requested)) {
      if (isPrimary(ref)) continue
      const n = this.manager.findNetwork(ref, state)
      if (!nets.some(([x]) => x.id === n.id)) nets.push([n, cfg ?? {}])
    }
    if (nets.length > 1 && nets.some(([n]) => n.driver !== 'bridge')) {
      throw invalid(`conflicting options: ${primary.driver === 'bridge' ? nets.find(([n]) => n.driver !== 'bridge')![0].name : primary.name} networking can't be used with other networks`)
    }
    const links = (rec.HostConfig.Links ?? []).map(parseLink)
    if (links.length && primary.driver !== 'bridge') throw invalid(`conflicting options: ${primary.name} type networking can't be used with links. This would result in undefined behavior`)
    rec.Networks = {}
    for (const [n, cfg] of nets) rec.Networks[n.name] = this.#attachment(rec, n, cfg, n === primary ? links : [])
    if (links.length) rec.HostConfig.Links = links.map((l) => `/${l.name}:/${rec.Name}/${l.alias}`)
    rec.NetworkSettings = this.settingsOf(rec)
  }

  #attachment(rec: ContainerRecord, n: NetworkRecord, cfg: EndpointConfigBody, links: { name: string; alias: string }[]): NetworkAttachment {
    const user = isUserDefined(n)
    const aliases = [...(cfg.Aliases ?? [])].filter(Boolean)
    if (aliases.length && !user) throw invalid('network-scoped alias is supported only for containers in user defined networks')
    const ip = cfg.IPAMConfig?.IPv4Address || undefined
    if (ip && (!user || !n.configured)) throw invalid('user specified IP address is supported only when connecting to networks with user configured subnets')
    const linkList = [...(cfg.Links ?? []), ...(user ? links.map((l) => `${l.name}:${l.alias}`) : [])]
    if (user && !aliases.includes(shortId(rec.Id))) aliases.push(shortId(rec.Id))
    return { NetworkID: n.id, Aliases: aliases.length ? aliases : null, IPv4Address: ip, Links: linkList.length ? linkList : null }
  }

  // ---- start / stop ----

  /**
   * Before the container's first process is made: its legacy links (the linked containers must
   * run, on the default bridge), whose variables go into its environment; and its endpoints
   * reserved (NetworkManager.reserve: address, ports, the record's write and the port rules under
   * way while the runtime creates the container; attach then plugs the veths in). Traced, all of
   * it stays in attach, in the order the learner reads the steps. A refusal (a port taken) throws
   * here with nothing reserved; what was reserved goes with release().
   */
  async prepareStart(rec: ContainerRecord): Promise<void> {
    rec.LinkEnv = undefined
    const mode = primaryNetwork(rec)
    if (mode === 'bridge' && rec.HostConfig.Links?.length) {
      const env: string[] = []
      for (const l of this.#legacyLinks(rec)) env.push(...linkEnv({ alias: l.alias, linkName: `/${rec.Name}/${l.alias}`, ip: l.ip, exposed: l.target.Config.ExposedPorts, env: l.target.Config.Env }))
      rec.LinkEnv = env
    }
    if (mode === 'host' || mode === 'none' || isTracing()) return
    try {
      for (const { attachment } of this.#configured(rec)) await this.manager.reserve(this.#request(rec, attachment))
    } catch (err) {
      await this.manager.release(rec.Id).catch(() => {})
      throw err
    }
  }

  /** The default bridge's links of a container, each with its running target and its address there. */
  #legacyLinks(rec: ContainerRecord): { alias: string; target: ContainerRecord; ip: string }[] {
    const out = []
    for (const raw of rec.HostConfig.Links ?? []) {
      const { name, alias } = parseLink(raw)
      let target: ContainerRecord
      try {
        target = this.#lookup().find(name)
      } catch {
        throw invalid(`could not get container for ${name}`, 'ENOTFOUND')
      }
      if (!target.State.Running) throw invalid(`Cannot link to a non running container: /${target.Name} AS /${rec.Name}/${alias}`)
      const ep = this.manager.endpoint(target.Id, 'bridge')
      if (!ep) throw invalid(`Cannot link to /${target.Name}, as it does not belong to the default network`)
      out.push({ alias, target, ip: ep.ip })
    }
    return out
  }

  /** Give a started container every network it is configured for (its primary network first). */
  async attach(rec: ContainerRecord, opts: { portRulesLater?: (added: Promise<void>) => void } = {}): Promise<NetworkSettings | undefined> {
    if (!rec.Init) return undefined
    const mode = primaryNetwork(rec)
    if (mode === 'host' || mode === 'none') {
      const s = await this.manager.attach({ containerId: rec.Id, name: rec.Name, mode, netns: rec.Init.pid })
      this.#writeEtc(rec)
      return s
    }
    const configured = this.#configured(rec)
    try {
      for (const { attachment } of configured) await this.#attachOne(rec, attachment, opts.portRulesLater)
    } catch (err) {
      await this.manager.release(rec.Id).catch(() => {})
      throw err
    }
    this.#writeEtc(rec)
    return this.settingsOf(rec)
  }

  async #attachOne(rec: ContainerRecord, a: NetworkAttachment, portRulesLater?: (added: Promise<void>) => void): Promise<void> {
    await this.manager.attach({ ...this.#request(rec, a), netns: rec.Init!.pid, portRulesLater })
  }

  /** What the network layer is asked for one of the container's networks (attach, reserve). */
  #request(rec: ContainerRecord, a: NetworkAttachment): AttachRequest {
    const net = this.manager.findNetwork(a.NetworkID, this.manager.snapshot())
    const links: Record<string, string> = {}
    for (const l of a.Links ?? []) {
      const { name: target, alias } = parseLink(l)
      links[alias] = target
    }
    return {
      containerId: rec.Id,
      name: rec.Name,
      network: net.id,
      portBindings: rec.HostConfig.PortBindings,
      exposedPorts: rec.Config.ExposedPorts,
      publishAll: rec.HostConfig.PublishAllPorts,
      ip: a.IPv4Address,
      dnsNames: isUserDefined(net) ? [...new Set([rec.Name, shortId(rec.Id), ...(a.Aliases ?? [])])] : undefined,
      links,
    }
  }

  /** The networks a record is configured for, its primary one first (records from before: the primary alone). */
  #configured(rec: ContainerRecord): { name: string; attachment: NetworkAttachment }[] {
    const mode = primaryNetwork(rec)
    if (!rec.Networks) {
      const n = this.manager.findNetwork(mode)
      return [{ name: n.name, attachment: { NetworkID: n.id, Aliases: null, Links: null } }]
    }
    const entries = Object.entries(rec.Networks).map(([name, attachment]) => ({ name, attachment }))
    return entries.sort((a, b) => Number(b.name === mode) - Number(a.name === mode))
  }

  /**
   * /etc/hosts and /etc/resolv.conf, bind-mounted from the container's dir: rewritten in place
   * (same inode, so the container sees them). hosts: its own addresses, and its legacy links;
   * resolv.conf: the embedded DNS when it is on a user-defined network.
   */
  #writeEtc(rec: ContainerRecord): void {
    const mode = primaryNetwork(rec)
    const eps = this.manager.endpointsOf(rec.Id)
    const extra: [string, string][] = []
    if (mode === 'bridge' && rec.HostConfig.Links?.length) {
      for (const l of this.#legacyLinksBestEffort(rec)) extra.push(linkHostsEntry(l.ip, l.alias, l.target.Config.Hostname ?? shortId(l.target.Id), l.target.Name))
    }
    const dir = join(this.root, 'containers', rec.Id)
    const netMode = mode === 'host' || mode === 'none' ? mode : 'bridge'
    const ips = eps.map((e) => e.endpoint.ip)
    writeFileSync(join(dir, 'hosts'), hostsFile({ hostname: rec.Config.Hostname!, ips, mode: netMode, extra }))
    if (eps.some((e) => isUserDefined(e.network))) writeFileSync(join(dir, 'resolv.conf'), embeddedResolvConf(hostResolvConf()))
    else writeFileSync(join(dir, 'resolv.conf'), containerResolvConf(netMode))
  }

  #legacyLinksBestEffort(rec: ContainerRecord) {
    try {
      return this.#legacyLinks(rec)
    } catch {
      return []
    }
  }

  async release(rec: ContainerRecord, opts: { afterwards?: (err: Error) => void } = {}): Promise<void> {
    await this.manager.release(rec.Id, undefined, opts)
    rec.NetworkSettings = this.settingsOf(rec)
  }

  /** inspect's settings: every configured network, with its endpoint's addresses while attached. */
  settingsOf(rec: ContainerRecord): NetworkSettings {
    const mode = primaryNetwork(rec)
    const state = this.manager.snapshot()
    const attached = this.manager.endpointsOf(rec.Id, state)
    const configured = (rec.Networks ? Object.entries(rec.Networks) : [[mode, undefined] as const]).map(([name, a]) => {
      const n = state.networks[a?.NetworkID ?? ''] ?? Object.values(state.networks).find((x) => x.name === name)
      return {
        name,
        id: n?.id ?? a?.NetworkID ?? '',
        config: { aliases: a?.Aliases, ipv4Address: a?.IPv4Address, links: a?.Links, dnsNames: n && isUserDefined(n) ? [...new Set([rec.Name, shortId(rec.Id), ...(a?.Aliases ?? [])])] : null },
      }
    })
    const running = !!rec.Init && (attached.length > 0 || mode === 'host' || mode === 'none')
    return containerNetworkSettings({ configured, attached, exposed: rec.Config.ExposedPorts, running, sandboxKey: rec.Init && mode !== 'host' ? `/proc/${rec.Init.pid}/ns/net` : undefined })
  }

  async reconcile(running: ContainerRecord[]): Promise<{ warnings: string[] }> {
    return this.manager.reconcile(running.map((r) => ({ containerId: r.Id, netns: r.Init?.pid })))
  }

  bridge(): { name: string; subnet?: string; gateway?: string } {
    const st = this.manager.state()
    return { name: this.manager.bridge, subnet: st.subnet, gateway: st.gateway }
  }

  /** `tocker kernel`: the container's interfaces, its first veth and the rules, as the kernel has them. */
  async kernel(containerId: string, pid: number | undefined): Promise<NetworkKernelView | undefined> {
    const first = this.manager.endpointsOf(containerId)[0]
    if (!pid && !first) {
      // Stopped and released: only its rules could be left (none should be).
      return networkKernelView({ containerId, pid: undefined, iptables: () => this.manager.iptables() })
    }
    return networkKernelView({ containerId, pid, hostVeth: first?.endpoint.hostVeth, bridge: first?.network.bridge, iptables: () => this.manager.iptables() })
  }

  /** rename: the container's name on its networks' DNS (its old name stops resolving). */
  async renamed(rec: ContainerRecord, oldName: string): Promise<void> {
    await this.manager.renamed(rec.Id, oldName, rec.Name)
    rec.NetworkSettings = this.settingsOf(rec)
  }

  // ---- connect / disconnect (the caller holds the container's mutex and saves its record) ----

  async connect(rec: ContainerRecord, ref: string, cfg: EndpointConfigBody): Promise<void> {
    const net = this.manager.findNetwork(ref)
    const mode = primaryNetwork(rec)
    if (mode === 'host' || mode === 'none' || net.driver !== 'bridge') {
      throw invalid(`container cannot be disconnected from host network or connected to host network`)
    }
    rec.Networks ??= Object.fromEntries(this.#configured(rec).map((c) => [c.name, c.attachment]))
    if (rec.Networks[net.name]) throw invalid(`endpoint with name ${rec.Name} already exists in network ${net.name}`, 'EFORBIDDEN')
    const attachment = this.#attachment(rec, net, cfg ?? {}, [])
    rec.Networks[net.name] = attachment
    if (rec.State.Running && rec.Init) {
      try {
        await this.#attachOne(rec, attachment)
      } catch (err) {
        delete rec.Networks[net.name]
        throw err
      }
      this.#writeEtc(rec)
    }
    rec.NetworkSettings = this.settingsOf(rec)
    this.#events?.emit('network', 'connect', net.id, { container: rec.Id, name: net.name, type: net.driver })
  }

  async disconnect(rec: ContainerRecord, ref: string, force: boolean): Promise<void> {
    let net: NetworkRecord | undefined
    try {
      net = this.manager.findNetwork(ref)
    } catch (err) {
      if (!force) throw err
    }
    rec.Networks ??= Object.fromEntries(this.#configured(rec).map((c) => [c.name, c.attachment]))
    const name = net?.name ?? ref
    if (!rec.Networks[name]) {
      if (force) return
      throw invalid(`container ${rec.Id} is not connected to network ${name}`, 'EFORBIDDEN')
    }
    if (net && (net.driver === 'host' || net.driver === 'null')) throw invalid(`container cannot be disconnected from host network or connected to host network`)
    if (net && rec.State.Running) {
      await this.manager.release(rec.Id, net.id)
      this.#writeEtc(rec)
    }
    delete rec.Networks[name]
    rec.NetworkSettings = this.settingsOf(rec)
    if (net) this.#events?.emit('network', 'disconnect', net.id, { container: rec.Id, name: net.name, type: net.driver })
  }

  // ---- the /networks API ----

  list(filtersRaw: string | null | undefined): NetworkResource[] {
    return listNetworks(this.manager.networks(), this.#usedNetworks(), filtersRaw)
  }

  inspect(ref: string): NetworkResource {
    const n = this.manager.findNetwork(ref)
    return networkResource(n, true)
  }

  async create(body: NetworkCreateBody): Promise<NetworkCreateResponse> {
    if (!body || typeof body.Name !== 'string') throw invalid('network name must not be empty')
    const n = await this.manager.createNetwork({
      name: body.Name,
      driver: body.Driver,
      internal: body.Internal,
      attachable: body.Attachable,
      labels: body.Labels,
      options: body.Options,
      enableIPv6: body.EnableIPv6,
      ipam: body.IPAM?.Config,
      ipamDriver: body.IPAM?.Driver,
    })
    this.#events?.emit('network', 'create', n.id, { name: n.name, type: n.driver })
    return { Id: n.id, Warning: '' }
  }

  async remove(ref: string): Promise<void> {
    const n = await this.manager.removeNetwork(ref)
    this.#events?.emit('network', 'destroy', n.id, { name: n.name, type: n.driver })
  }

  /** POST /networks/prune: user-defined networks no container is on (running or configured). */
  async prune(filtersRaw: string | null | undefined): Promise<{ NetworksDeleted: string[] | null }> {
    const deleted = await pruneNetworks(this.manager.networks(), this.#usedNetworks(), filtersRaw, (id) => this.remove(id))
    this.#events?.emit('network', 'prune', '', {})
    return { NetworksDeleted: deleted.length ? deleted : null }
  }

  /** Networks a container (running or not) is configured for. */
  #usedNetworks(): Set<string> {
    const out = new Set<string>()
    for (const rec of this.#containers?.all() ?? []) for (const a of Object.values(rec.Networks ?? {})) out.add(a.NetworkID)
    return out
  }
}

export async function createNetworkBackend(root: string, opts: { log?: (msg: string) => void } = {}): Promise<NetworkBackend> {
  return new EngineNetwork(root, opts)
}
