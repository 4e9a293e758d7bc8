// A veth pair is a virtual cable: what goes in one end comes out of the other. One end stays in
// the host's namespace, plugged into the bridge; the other lives in the container's network
// namespace as its eth0 (eth1, eth2… for each further network it joins). Two process starts per
// container and network:
//   1. (host)      ip -batch: link add vethXXXXXXX master tocker0 up type veth peer name eth0 address MAC netns NS
//      (+ hairpin on) creates both ends at once and creates the peer directly inside the container's namespace,
//      already named eth0 (same result as "create, move with `ip link set … netns`, rename", in one
//      netlink request, and the name eth0 never collides with the host's own eth0);
//   2. (container) nsenter --net=NS ip -batch -: loopback up, the address, eth0 up, the default route.
import { ip, ipBatch, ipBatchIn, isNoSuchDevice } from './iproute2.js'
import { networkHost } from './command.js'
import { traced } from '../trace/trace.js'

export interface VethSpec {
  bridge: string
  hostVeth: string
  /** The container's network namespace: /proc/<pid>/ns/net or a bind-mounted namespace file. */
  netns: string
  mac: string
  ip: string
  prefixLen: number
  gateway: string
  /** The container's end: eth0 unless said. */
  ifname?: string
  /** Add the default route via `gateway` (the container's first non-internal network only). */
  defaultRoute?: boolean
}

export const CONTAINER_IFNAME = 'eth0'

export async function createVeth(spec: VethSpec): Promise<void> {
  await ipBatch([
    `link add ${spec.hostVeth} master ${spec.bridge} up type veth peer name ${spec.ifname ?? CONTAINER_IFNAME} address ${spec.mac} netns ${spec.netns}`,
    // Hairpin: let the bridge send a frame back out of the port it came in on. Needed when a
    // container talks to its own published port (172.17.0.1:8081 -> DNAT -> itself): with
    // br_netfilter the DNATed frame is bridged, and a bridge never reflects a frame by default.
    `link set dev ${spec.hostVeth} type bridge_slave hairpin on`,
  ])
  await configureContainerSide(spec)
}

export async function configureContainerSide(spec: Pick<VethSpec, 'netns' | 'ip' | 'prefixLen' | 'gateway' | 'ifname' | 'defaultRoute'>): Promise<void> {
  const dev = spec.ifname ?? CONTAINER_IFNAME
  await ipBatchIn(spec.netns, [
    'link set lo up',
    // `broadcast +`: the subnet's last address, as Docker sets it (`ip addr` shows "brd 172.17.255.255").
    `addr add ${spec.ip}/${spec.prefixLen} dev ${dev} broadcast +`,
    `link set ${dev} up`,
    ...(spec.defaultRoute === false ? [] : [`route add default via ${spec.gateway}`]),
  ])
}

/**
 * Deleting either end deletes the pair. When the container's namespace has died (its last process
 * exited) the kernel already destroyed the pair with it, so "no such device" counts as done.
 */
export async function deleteVeth(hostVeth: string): Promise<void> {
  try {
    await ip(['link', 'del', hostVeth])
  } catch (err) {
    if (!isNoSuchDevice(err)) throw err
  }
}

/**
 * --network none: a fresh namespace has only `lo`, and it starts down. Brought up with two ioctls
 * (SIOCGIFFLAGS/SIOCSIFFLAGS) from a socket made inside the namespace, as `ip link set lo up` would
 * over netlink, without starting `nsenter ip` (a process start: most of a `run --network none`'s
 * network cost).
 */
export async function loopbackUp(netns: string): Promise<void> {
  traced('net', 'link', () => `set lo up in ${netns}`, () => networkHost().linkUpIn(netns, 'lo'))
}
