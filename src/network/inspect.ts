// `inspect`'s NetworkSettings, shaped like Docker's: the top-level fields of the default bridge
// (IPAddress, Gateway, MacAddress, Ports …, empty when the container is only on user-defined
// networks, as Docker shows them) and one entry per network under Networks.<name>; and a network's
// own view (GET /networks/{id}). The types are the API's wire types (api/types.ts).
import { portMap } from './port-format.js'
import type { EndpointSettings, NetworkResource, NetworkSettings } from '../api/types.js'
import type { Endpoint, NetworkMode, NetworkRecord } from './types.js'

/** What the container asked of a network (create's EndpointsConfig, connect): shown even when stopped. */
export interface EndpointConfig {
  aliases?: string[] | null
  ipv4Address?: string
  links?: string[] | null
  dnsNames?: string[] | null
}

export function endpointSettings(networkId: string, e?: Endpoint, config?: EndpointConfig): EndpointSettings {
  return {
    IPAMConfig: config?.ipv4Address ? { IPv4Address: config.ipv4Address } : null,
    Links: config?.links?.length ? config.links : null,
    Aliases: config?.aliases?.length ? config.aliases : null,
    MacAddress: e?.mac ?? '',
    NetworkID: networkId,
    EndpointID: e?.endpointId ?? '',
    Gateway: e?.gateway ?? '',
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e?.prefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: e?.dnsNames?.length ? e.dnsNames : config?.dnsNames?.length ? config.dnsNames : null,
  }
}

/**
 * The settings of a container on one network: running on a bridge (with its endpoint), or not
 * running / none / host (no endpoint: empty addresses, as Docker shows for a stopped container).
 * `exposed` adds exposed-but-unpublished ports as null entries, only while the container runs
 * (Docker shows an empty Ports map for a stopped one).
 */
export function networkSettings(opts: {
  mode: NetworkMode
  /** The network's name under Networks (default: "bridge" / "none" / "host" by mode). */
  networkName?: string
  networkId?: string
  endpoint?: Endpoint
  exposed?: Record<string, unknown> | null
  running?: boolean
  sandboxKey?: string
}): Required<NetworkSettings> {
  const e = opts.mode === 'bridge' ? opts.endpoint : undefined
  const running = opts.running ?? e !== undefined
  const networkName = opts.networkName ?? (opts.mode === 'bridge' ? 'bridge' : opts.mode)
  // Docker's top-level addresses are the default bridge's only.
  const top = networkName === 'bridge' ? e : undefined
  return settingsView(
    running ? (opts.sandboxKey ?? e?.netns ?? '') : '',
    running ? portMap(e?.ports ?? [], opts.mode === 'bridge' ? opts.exposed : undefined) : {},
    top,
    { [networkName]: endpointSettings(opts.mode === 'bridge' ? (opts.networkId ?? '') : '', e) },
  )
}

/** Docker's NetworkSettings; the top-level addresses are those of `top`, the default bridge's endpoint. */
function settingsView(sandboxKey: string, ports: ReturnType<typeof portMap>, top: Endpoint | undefined, networks: Record<string, EndpointSettings>): Required<NetworkSettings> {
  return {
    Bridge: '',
    SandboxKey: sandboxKey,
    Ports: ports,
    HairpinMode: false,
    EndpointID: top?.endpointId ?? '',
    Gateway: top?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: top?.ip ?? '',
    IPPrefixLen: top?.prefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: top?.mac ?? '',
    Networks: networks,
  }
}

/**
 * A container's settings over all its networks: `attached` are its live endpoints (the one with the
 * default route first: it carries the published ports), `configured` every network it is configured
 * for (shown with empty addresses when not attached, e.g. stopped).
 */
export function containerNetworkSettings(opts: {
  configured: { name: string; id: string; config?: EndpointConfig }[]
  attached: { network: NetworkRecord; endpoint: Endpoint }[]
  exposed?: Record<string, unknown> | null
  running: boolean
  sandboxKey?: string
}): Required<NetworkSettings> {
  const byName = new Map(opts.attached.map((a) => [a.network.name, a.endpoint]))
  const withPorts = opts.attached.find((a) => a.endpoint.ports.length || a.endpoint.defaultRoute !== false)?.endpoint
  const bridge = byName.get('bridge')
  const networks: Record<string, EndpointSettings> = {}
  for (const c of opts.configured) networks[c.name] = endpointSettings(c.id, byName.get(c.name), c.config)
  return settingsView(opts.running ? (opts.sandboxKey ?? opts.attached[0]?.endpoint.netns ?? '') : '', opts.running ? portMap(withPorts?.ports ?? [], opts.exposed) : {}, bridge, networks)
}

/** GET /networks/{id} (and, with `containers` false, an element of GET /networks). */
export function networkResource(n: NetworkRecord, containers: boolean): NetworkResource {
  const options: Record<string, string> = { ...(n.options ?? {}) }
  if (n.predefined && n.name === 'bridge') {
    Object.assign(options, {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': n.bridge ?? 'tocker0',
      'com.docker.network.driver.mtu': '1500',
    })
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: n.predefined ? null : {}, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : n.predefined ? null : [] },
    Internal: !!n.internal,
    Attachable: !!n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers
      ? Object.fromEntries(
        Object.values(n.endpoints).map((e) => [e.containerId, { Name: e.name ?? e.containerId.slice(0, 12), EndpointID: e.endpointId, MacAddress: e.mac, IPv4Address: `${e.ip}/${e.prefixLen}`, IPv6Address: '' }]),
      )
      : {},
    Options: options,
    Labels: { ...(n.labels ?? {}) },
  }
}
