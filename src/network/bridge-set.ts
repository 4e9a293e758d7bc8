// The bridges one NetworkManager keeps ready and the base iptables chains it last wrote: each
// network's bridge is made (or checked) once per manager, the base chains are rewritten only when
// the set of networks changed, the default bridge's subnet is chosen at its first use (Docker's
// 172.17.0.0/16 unless the host uses it, or a fixed one like dockerd's --bip), and the default
// bridge is never shared with another engine (another --root) that still has containers on it.
import { randomBytes } from 'node:crypto'
import { TockerError } from '../errors.js'
import { bridgeOwner, deleteBridge, ensureBridge, ownerFromAlias } from './bridge.js'
import { ip, ipv4Addresses, ipv4Routes } from './iproute2.js'
import { restoreRules, saveRules, syncChanges, type IptablesTools } from './iptables.js'
import { cidrsOverlap, formatCidr, formatIPv4, parseCidr, parseIPv4 } from './ipv4.js'
import type { BridgeNet } from './rules.js'
import { defaultNetwork, readState, statePaths } from './state.js'
import { chooseFreeSubnet, DEFAULT_SUBNET, usedBlocks } from './subnet.js'
import type { Endpoint, NetworkRecord, NetworkState } from './types.js'

export interface BridgeSetOptions {
  /** The store root: written into each bridge's alias, so a bridge says which engine made it. */
  root: string
  /** The default bridge's name (tocker0). */
  bridge: string
  /** A fixed subnet for the default bridge (NetworkOptions.subnet). */
  subnet?: string
  /** Which iptables to drive (detected once by the manager). */
  iptables: () => Promise<IptablesTools>
}

export class BridgeSet {
  #opts: BridgeSetOptions
  /** The networks the base chains were last written for (a key of their bridges, subnets, internal). */
  #baseKey: string | undefined
  /** Bridges checked (made, up, addressed) by this manager. */
  #ready = new Set<string>()

  constructor(opts: BridgeSetOptions) {
    this.#opts = opts
  }

  /** Check every bridge and rewrite the base chains at their next use (someone may have changed them). */
  forgetAll(): void {
    this.#baseKey = undefined
    this.#ready.clear()
  }

  /** Check this bridge again at its next use. */
  forgetBridge(bridge: string): void {
    this.#ready.delete(bridge)
  }

  /** Rewrite the base chains at their next use. */
  forgetBase(): void {
    this.#baseKey = undefined
  }

  /** The base chains were just written (by reconcile's one transaction) for these networks. */
  baseWritten(nets: BridgeNet[]): void {
    this.#baseKey = baseKey(nets)
  }

  /** A network's bridge: made (or checked) once per manager. */
  async ensureBridge(net: NetworkRecord): Promise<void> {
    if (this.#ready.has(net.bridge!)) return
    const spec = { name: net.bridge!, gateway: net.gateway!, prefixLen: parseCidr(net.subnet!)!.prefix, mac: net.bridgeMac ??= randomMac(), owner: this.#opts.root }
    await ensureBridge(spec, net.predefined ? this.#refuseForeignOwner : () => {})
    this.#ready.add(net.bridge!)
  }

  /** Base chains for every network with a subnet: rewritten when the set of networks changed. */
  async ensureBase(state: NetworkState): Promise<void> {
    const nets = bridgeNets(state)
    const key = baseKey(nets)
    if (this.#baseKey === key) return
    const tools = await this.#opts.iptables()
    await restoreRules(tools, syncChanges(await saveRules(tools), nets))
    this.#baseKey = key
  }

  /** A free subnet for a new user-defined network (none: every candidate overlaps something). */
  async freeSubnet(state: NetworkState): Promise<string | undefined> {
    const free = chooseFreeSubnet(await this.#usedSubnets(state))
    return free && formatCidr(free)
  }

  /** The default bridge's subnet: chosen at its first use and kept (or dockerd's --bip style fixed one). */
  async chooseSubnet(state: NetworkState, net: NetworkRecord): Promise<void> {
    const bridge = this.#opts.bridge
    const wanted = this.#opts.subnet
    if (wanted !== undefined) {
      const c = parseCidr(wanted, true)
      if (!c || c.prefix > 30) throw new TockerError(`invalid subnet ${wanted}: want an IPv4 CIDR such as 172.17.0.0/16`, { code: 'EINVALID' })
      const text = formatCidr(c)
      // Like dockerd's --bip: "10.10.0.5/24" also says which address the bridge (gateway) takes.
      const given = parseIPv4(wanted.split('/')[0]!)!
      const gateway = formatIPv4(given === c.network ? c.network + 1 : given)
      if (net.subnet && (net.subnet !== text || net.gateway !== gateway)) {
        if (Object.keys(net.endpoints).length > 0) {
          throw new TockerError(`the bridge ${bridge} uses ${net.subnet}; stop its containers before changing the subnet to ${text}`, { code: 'ECONFLICT' })
        }
        await deleteBridge(bridge) // re-made with the new address
        this.#ready.delete(bridge)
        this.#baseKey = undefined
        delete net.subnet
      }
      if (!net.subnet) setSubnet(net, text, gateway)
      return
    }
    if (net.subnet && (Object.keys(net.endpoints).length > 0 || this.#ready.has(bridge))) return
    const used = await this.#usedSubnets(state, net)
    if (net.subnet) {
      // Nothing attached yet in this engine's life: the subnet chosen earlier is kept unless the
      // host (or another network) has started using it meanwhile (a VPN or a cloud route after a reboot).
      const mine = parseCidr(net.subnet)!
      if (!used.some((u) => u.prefix > 0 && cidrsOverlap(u, mine))) return
      await deleteBridge(bridge)
      this.#ready.delete(bridge)
      this.#baseKey = undefined
      delete net.subnet
    }
    const free = chooseFreeSubnet(used)
    if (!free) throw new TockerError(`no free subnet for ${bridge}: ${DEFAULT_SUBNET} and every other candidate overlap the host's routes`, { code: 'ENOADDR', daemon: true })
    setSubnet(net, formatCidr(free))
  }

  /** True when another engine's containers are on the default bridge (then reconcile keeps its hands off). */
  async isForeign(): Promise<boolean> {
    const other = await bridgeOwner(this.#opts.bridge)
    if (other === undefined || other === this.#opts.root) return false
    try {
      this.#refuseForeignOwner(other)
      return false
    } catch {
      return true
    }
  }

  /** Bridges in this namespace whose alias names this engine's store. */
  async owned(): Promise<string[]> {
    const links = JSON.parse((await ip(['-j', '-d', 'link', 'show', 'type', 'bridge'])) || '[]') as { ifname: string; ifalias?: string }[]
    return links.filter((l) => l.ifalias && ownerFromAlias(l.ifalias) === this.#opts.root).map((l) => l.ifname)
  }

  /** The host's used blocks and every other network's subnet. */
  async #usedSubnets(state: NetworkState, except?: NetworkRecord) {
    const [routes, addrs] = await Promise.all([ipv4Routes(), ipv4Addresses()])
    const used = usedBlocks(routes, addrs, except?.bridge)
    for (const n of Object.values(state.networks)) if (n !== except && n.subnet) used.push(parseCidr(n.subnet)!)
    return used
  }

  /**
   * The bridge is one per network namespace but the state is one per store: refuse to share the
   * default bridge with another engine (another --root) that still has containers on it.
   */
  #refuseForeignOwner = (other: string): void => {
    const bridge = this.#opts.bridge
    let attached = 0
    try {
      attached = Object.keys(defaultNetwork(readState(statePaths(other), bridge)).endpoints).length
    } catch {
      // that store is gone or unreadable: nobody tracks the bridge any more
    }
    if (attached > 0) {
      throw new TockerError(
        `the bridge ${bridge} is in use by the engine with --root ${other} (${attached} container${attached === 1 ? '' : 's'} attached); stop them first, or run this engine in its own network namespace`,
        { code: 'EBRIDGEBUSY', daemon: true },
      )
    }
  }
}

/** Every network with a bridge and a subnet, as the rules see them. */
export function bridgeNets(state: NetworkState): BridgeNet[] {
  return Object.values(state.networks)
    .filter((n) => n.driver === 'bridge' && n.bridge && n.subnet)
    .map((n) => ({ bridge: n.bridge!, subnet: n.subnet!, internal: !!n.internal }))
}

/** Every endpoint on a bridge, with its network. */
export function bridgeEndpoints(state: NetworkState): { bridge: string; endpoint: Endpoint; network: NetworkRecord }[] {
  return Object.values(state.networks)
    .filter((n) => n.bridge)
    .flatMap((n) => Object.values(n.endpoints).map((endpoint) => ({ bridge: n.bridge!, endpoint, network: n })))
}

function baseKey(nets: BridgeNet[]): string {
  return JSON.stringify(nets)
}

/** A locally administered MAC in Docker's 02:42 prefix (a bridge's own address). */
export function randomMac(): string {
  return '02:42:' + [...randomBytes(4)].map((b) => b.toString(16).padStart(2, '0')).join(':')
}

function setSubnet(net: NetworkRecord, subnet: string, gateway?: string): void {
  const c = parseCidr(subnet)!
  net.subnet = subnet
  net.gateway = gateway ?? formatIPv4(c.network + 1)
  net.bridgeMac ??= randomMac()
}
