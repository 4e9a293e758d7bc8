// The default bridge, tocker0: a virtual switch in the host's namespace. Every container's veth
// plugs into it, and it carries the gateway address (172.17.0.1/16) so the host routes the
// containers' subnet to it and the containers route everything else through it.
import { TockerError } from '../errors.js'
import { ipBatch, isNoSuchDevice, ip, showLink } from './iproute2.js'
import { ensureSysctl } from './sysctl.js'

export interface BridgeSpec {
  name: string
  gateway: string // "172.17.0.1"
  prefixLen: number // 16
  mac: string
  /**
   * The engine's store root, written as the bridge's alias (`ip link show tocker0` prints it): the
   * network state lives in the store, so a second engine with another --root in the same network
   * namespace must not take over a bridge whose containers the first one tracks.
   */
  owner: string
}

/** A root path as an interface alias (ip -batch splits words on blanks). */
export function aliasFor(owner: string): string {
  return owner.replace(/%/g, '%25').replace(/\s/g, (c) => encodeURIComponent(c))
}

export function ownerFromAlias(alias: string): string {
  return decodeURIComponent(alias)
}

/** The owner recorded on an existing bridge, if any. */
export async function bridgeOwner(name: string): Promise<string | undefined> {
  const link = await showLink(name)
  return link?.ifalias ? ownerFromAlias(link.ifalias) : undefined
}

export const BRIDGE_NAME = /^[a-zA-Z0-9_-]{1,15}$/

/**
 * Make the bridge exist, up, with the gateway address. Creating it is one `ip -batch` (three
 * commands in one process). An existing bridge (engine restart) is left as it is when it already
 * has the address; an address is added if missing. Returns true when it created the bridge.
 */
export async function ensureBridge(spec: BridgeSpec, checkOwner: (other: string) => void = () => {}): Promise<boolean> {
  const link = await showLink(spec.name)
  const cidr = `${spec.gateway}/${spec.prefixLen}`
  if (!link) {
    await ipBatch([
      // A fixed MAC: a bridge otherwise takes the lowest MAC of its ports, and changes it (and
      // confuses its neighbours' ARP caches) whenever a container comes or goes.
      `link add ${spec.name} address ${spec.mac} type bridge`,
      `link set ${spec.name} alias ${aliasFor(spec.owner)}`,
      `addr add ${cidr} dev ${spec.name} broadcast +`,
      `link set ${spec.name} up`,
    ])
  } else {
    if (link.linkinfo?.info_kind !== 'bridge') throw new TockerError(`${spec.name} exists and is not a bridge`, { code: 'ENOTBRIDGE', internal: true })
    const other = link.ifalias ? ownerFromAlias(link.ifalias) : undefined
    if (other !== undefined && other !== spec.owner) checkOwner(other)
    const addrs = JSON.parse(await ip(['-j', '-4', 'addr', 'show', 'dev', spec.name])) as { addr_info: { local: string; prefixlen: number }[] }[]
    const has = (addrs[0]?.addr_info ?? []).some((a) => a.local === spec.gateway && a.prefixlen === spec.prefixLen)
    const lines: string[] = []
    if (other !== spec.owner) lines.push(`link set ${spec.name} alias ${aliasFor(spec.owner)}`)
    if (!has) lines.push(`addr add ${cidr} dev ${spec.name} broadcast +`)
    if (!(link.flags ?? []).includes('UP')) lines.push(`link set ${spec.name} up`)
    if (lines.length) await ipBatch(lines)
  }
  // Routing between the bridge and the host's other interfaces (and NAT to them) needs forwarding on.
  ensureSysctl('net.ipv4.ip_forward', '1')
  // Let packets addressed to 127.0.0.1 be routed out of this interface once DNAT has rewritten their
  // destination to a container: that is what makes `curl 127.0.0.1:8081` from the host reach a
  // published port without a userland proxy. (Only on tocker0; the host's other interfaces keep the
  // default, which treats 127/8 on the wire as martian.)
  ensureSysctl(`net.ipv4.conf.${spec.name}.route_localnet`, '1')
  return !link
}

export async function deleteBridge(name: string): Promise<void> {
  try {
    await ip(['link', 'del', name])
  } catch (err) {
    if (!isNoSuchDevice(err)) throw err
  }
}
