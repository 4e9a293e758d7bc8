// What one attach decides before anything is made in the kernel, from the state alone: which
// endpoints a container already has (the one with the default route first), and the new endpoint's
// record: its address (the lowest free one, or --ip), host veth name, interface name (eth0, eth1…),
// MAC (derived from the address, as Docker's), DNS names and links. Pure over the state, no I/O.
import { allocateIp, newVethName, requestIp } from './ipam.js'
import { noAddressesError } from './errors.js'
import { macForIPv4, parseCidr, parseIPv4 } from './ipv4.js'
import { isUserDefined, type AttachRequest, type EndpointOf } from './requests.js'
import type { Endpoint, NetworkRecord, NetworkState, PublishedPort } from './types.js'

/** Every endpoint of a container, the one with the default route first. */
export function endpointsOf(state: NetworkState, containerId: string): EndpointOf[] {
  const out: EndpointOf[] = []
  for (const network of Object.values(state.networks)) {
    const endpoint = network.endpoints[containerId]
    if (endpoint) out.push({ network, endpoint })
  }
  return out.sort((a, b) => Number(b.endpoint.defaultRoute !== false) - Number(a.endpoint.defaultRoute !== false))
}

/** The address this endpoint gets on `net` (throws Docker's "no available IPv4 addresses" or --ip errors). */
export function endpointIp(net: NetworkRecord, req: AttachRequest): string {
  const ip = req.ip ? requestIp(net, req.ip) : allocateIp(net)
  if (!ip) throw noAddressesError(net.name)
  return ip
}

export interface EndpointPlan {
  net: NetworkRecord
  req: AttachRequest
  name: string
  endpointId: string
  ip: string
  netns: string
  /** The container's endpoints on its other networks (for the next free ethN). */
  others: EndpointOf[]
  /** The host ports reserved for it (only the endpoint with the default route has any). */
  ports: PublishedPort[]
  defaultRoute: boolean
}

/** The endpoint's record, as it goes into the state. */
export function endpointRecord(state: NetworkState, p: EndpointPlan): Endpoint {
  const { net, req } = p
  const usedIfnames = new Set(p.others.map((o) => o.endpoint.ifname ?? 'eth0'))
  let n = 0
  while (usedIfnames.has(`eth${n}`)) n++
  return {
    containerId: req.containerId,
    name: p.name,
    endpointId: p.endpointId,
    networkId: net.id,
    ip: p.ip,
    prefixLen: parseCidr(net.subnet!)!.prefix,
    gateway: net.gateway!,
    mac: macForIPv4(parseIPv4(p.ip)!),
    hostVeth: newVethName(state),
    ifname: `eth${n}`,
    netns: p.netns,
    ports: p.ports,
    defaultRoute: p.defaultRoute,
    ...(req.ip ? { requestedIp: req.ip } : {}),
    ...(isUserDefined(net) ? { dnsNames: req.dnsNames ?? [p.name, req.containerId.slice(0, 12)] } : {}),
    ...(req.links && Object.keys(req.links).length ? { links: req.links } : {}),
  }
}
