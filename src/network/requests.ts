// What the engine asks of the network layer and what it gets back: the manager's options, an
// attach request, the containers reconcile keeps, its report; and the small rules shared by the
// manager and reconcile (which mode a HostConfig.NetworkMode names, which networks are user-defined).
import { TockerError } from '../errors.js'
import type { LoosePortMap } from './port-spec.js'
import type { Endpoint, NetworkMode, NetworkRecord } from './types.js'

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
  /**
   * Given: attach returns without waiting for the published ports' rules (an iptables-restore
   * process, 8-18 ms), and hands their promise here; the caller awaits it before it answers (its
   * failure is the attach's: the caller undoes it with release). The next network operation
   * waits for them all the same.
   */
  portRulesLater?: (added: Promise<void>) => void
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

export function normalizeMode(mode: string | undefined): NetworkMode {
  if (mode === undefined || mode === '' || mode === 'default' || mode === 'bridge') return 'bridge'
  if (mode === 'none' || mode === 'host') return mode
  throw new TockerError(`network ${mode} not found`, { code: 'ENONETWORK', daemon: true })
}

export function netnsPath(netns: string | number | undefined): string | undefined {
  if (netns === undefined) return undefined
  return typeof netns === 'number' ? `/proc/${netns}/ns/net` : netns
}

/** A user-defined network: one with name resolution between its containers. */
export function isUserDefined(n: NetworkRecord): boolean {
  return !n.predefined && n.driver === 'bridge'
}
