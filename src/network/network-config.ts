// A user-defined network's settings from a create request, checked as Docker's daemon checks them
// (names, driver, IPAM config, bridge options), with Docker's words. Pure: the manager makes the bridge.
import { TockerError } from '../errors.js'
import { BRIDGE_NAME } from './bridge.js'
import { cidrContains, cidrsOverlap, formatCidr, formatIPv4, parseCidr, parseIPv4, type Cidr } from './ipv4.js'
import type { NetworkRecord } from './types.js'

export interface CreateNetworkRequest {
  name: string
  driver?: string
  internal?: boolean
  attachable?: boolean
  labels?: Record<string, string> | null
  options?: Record<string, string> | null
  enableIPv6?: boolean
  /** IPAM.Config: at most one IPv4 entry is used. */
  ipam?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> | null }[] | null
  ipamDriver?: string
}

/** The bridge name option Docker reads (com.docker.network.bridge.name). */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name'

function invalid(message: string, status = 400): TockerError {
  return new TockerError(message, { status, daemon: true, code: 'EBADNETWORK' })
}

/** Docker's lookup order for a network reference: full ID, exact name, unique ID prefix. */
export function findNetwork(networks: NetworkRecord[], ref: string): NetworkRecord | undefined {
  const byId = networks.find((n) => n.id === ref)
  if (byId) return byId
  const byName = networks.find((n) => n.name === ref)
  if (byName) return byName
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = networks.filter((n) => n.id.startsWith(ref))
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) throw new TockerError(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`, { code: 'EINVALID', daemon: true })
  }
  return undefined
}

export function networkNotFound(ref: string): TockerError {
  return new TockerError(`network ${ref} not found`, { daemon: true, code: 'ENONETWORK' })
}

function parseSubnet(text: string): Cidr {
  const loose = parseCidr(text, true)
  if (!loose) throw invalid(`invalid subnet ${text}: it must be an IPv4 CIDR such as 172.30.0.0/16`)
  const strict = formatCidr(loose)
  if (strict !== text) throw invalid(`invalid subnet ${text}: it should be ${strict}`)
  if (loose.prefix > 30) throw invalid(`invalid subnet ${text}: it leaves no address for a container (at most /30)`)
  return loose
}

export interface CheckedNetworkConfig {
  subnet?: string
  gateway?: string
  ipRange?: string
  bridge?: string
}

/**
 * Check a create request against the existing networks. Returns the user's subnet, gateway,
 * range and bridge name when given (the manager picks a free subnet otherwise).
 */
export function checkCreate(req: CreateNetworkRequest, existing: NetworkRecord[]): CheckedNetworkConfig {
  const name = req.name ?? ''
  if (!name) throw invalid('network name must not be empty')
  if (['bridge', 'host', 'none', 'default'].includes(name) && existing.some((n) => n.predefined && n.name === name)) {
    throw invalid(`operation is not permitted on predefined ${name} network `, 403)
  }
  if (name === 'default') throw invalid('operation is not permitted on predefined default network ', 403)
  if (existing.some((n) => n.name === name)) throw new TockerError(`network with name ${name} already exists`, { daemon: true, code: 'ENETWORKEXISTS' })
  const driver = req.driver || 'bridge'
  if (driver === 'host' || driver === 'null') throw invalid(`only one instance of "${driver}" network is allowed`, 403)
  if (driver !== 'bridge') throw new TockerError(`plugin "${driver}" not found`, { code: 'ENOTFOUND', daemon: true })
  if (req.ipamDriver && req.ipamDriver !== 'default') throw new TockerError(`plugin "${req.ipamDriver}" not found`, { code: 'ENOTFOUND', daemon: true })
  if (req.enableIPv6) throw invalid('IPv6 networks are not supported by tocker (leave out --ipv6)')
  const out: CheckedNetworkConfig = {}
  const bridge = req.options?.[BRIDGE_NAME_OPTION]
  if (bridge !== undefined && bridge !== '') {
    if (!BRIDGE_NAME.test(bridge)) throw invalid(`invalid bridge name ${JSON.stringify(bridge)}: 1 to 15 letters, digits, '_' or '-'`)
    if (existing.some((n) => n.bridge === bridge)) throw invalid(`bridge name ${bridge} is already used by another network`, 409)
    out.bridge = bridge
  }
  const configs = (req.ipam ?? []).filter((c) => c && (c.Subnet || c.Gateway || c.IPRange))
  if (configs.length > 1) throw invalid('tocker networks take one IPv4 subnet (one --subnet)')
  const c = configs[0]
  if (!c) return out
  if (!c.Subnet) throw invalid('invalid network config: a gateway or ip-range needs its --subnet')
  const subnet = parseSubnet(c.Subnet)
  for (const n of existing) {
    if (!n.subnet) continue
    if (cidrsOverlap(parseCidr(n.subnet)!, subnet)) throw invalid('invalid pool request: Pool overlaps with other one on this address space', 403)
  }
  out.subnet = formatCidr(subnet)
  if (c.Gateway) {
    const gw = parseIPv4(c.Gateway)
    if (gw === undefined) throw invalid(`invalid gateway ${c.Gateway}: not an IPv4 address`)
    if (!cidrContains(subnet, gw)) throw invalid(`invalid gateway ${c.Gateway}: it must be in subnet ${out.subnet}`)
    out.gateway = c.Gateway
  } else {
    out.gateway = formatIPv4(subnet.network + 1)
  }
  if (c.IPRange) {
    const range = parseCidr(c.IPRange)
    if (!range) throw invalid(`invalid ip-range ${c.IPRange}: it must be an IPv4 CIDR`)
    if (range.prefix < subnet.prefix || !cidrContains(subnet, range.network)) throw invalid(`invalid ip-range ${c.IPRange}: it must be within subnet ${out.subnet}`)
    out.ipRange = c.IPRange
  }
  return out
}
