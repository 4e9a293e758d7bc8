// A veth pair is a virtual cable: what goes in one end comes out of the other. One end stays in
// the host's namespace, plugged into the bridge; the other lives in the container's network
// namespace as its eth0 (eth1, eth2… for each further network it joins). No process is started:
// the requests go over rtnetlink from the engine (sys/netlink.ts), shown by --explain as the `ip`
// lines that do the same:
//   1. (host)      link add vethXXXXXXX master tocker0 up type veth peer name eth0 address MAC netns NS
//      (+ hairpin on) creates both ends at once and creates the peer directly inside the container's namespace,
//      already named eth0 (same result as "create, move with `ip link set … netns`, rename", in one
//      netlink request, and the name eth0 never collides with the host's own eth0);
//   2. (container) through a netlink socket made inside NS: loopback up, the address, eth0 up, the default route.
import { networkHost, runLinkOps, type LinkOp } from './command.js'
import { ip, isNoSuchDevice } from './iproute2.js'
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
  runLinkOps(undefined, [
    { op: 'veth', name: spec.hostVeth, master: spec.bridge, peer: spec.ifname ?? CONTAINER_IFNAME, peerMac: spec.mac, peerNetns: spec.netns },
    // Hairpin: let the bridge send a frame back out of the port it came in on. Needed when a
    // container talks to its own published port (172.17.0.1:8081 -> DNAT -> itself): with
    // br_netfilter the DNATed frame is bridged, and a bridge never reflects a frame by default.
    { op: 'hairpin', name: spec.hostVeth },
  ])
  await configureContainerSide(spec)
}

export async function configureContainerSide(spec: Pick<VethSpec, 'netns' | 'ip' | 'prefixLen' | 'gateway' | 'ifname' | 'defaultRoute'>): Promise<void> {
  const dev = spec.ifname ?? CONTAINER_IFNAME
  const ops: LinkOp[] = [
    { op: 'up', name: 'lo' },
    // `broadcast +`: the subnet's last address, as Docker sets it (`ip addr` shows "brd 172.17.255.255").
    { op: 'addr', dev, ip: spec.ip, prefixLen: spec.prefixLen },
    { op: 'up', name: dev },
  ]
  if (spec.defaultRoute !== false) ops.push({ op: 'defaultRoute', via: spec.gateway })
  runLinkOps(spec.netns, ops)
}

/**
 * Deleting either end deletes the pair. When the container's namespace has died (its last process
 * exited) the kernel destroys the pair with it (a veth whose peer's namespace goes is deleted, both
 * ends), so "no such device" counts as done, and the usual case after an exit is asked first with
 * one ioctl (SIOCGIFFLAGS on the host end: ENODEV = gone), not by starting `ip`: a process start
 * is ~8 ms of the engine's main thread (posix_spawn waits for the exec) plus the process's CPU, on
 * the path of `run --rm`'s answer. When the link is still there (a live container: `rm -f`, a
 * network disconnect) it goes with `ip link del`, a process, unlike the set-up: the kernel makes
 * the deleting caller wait for every CPU to pass a quiescent state (synchronize_net(), 15-25 ms
 * measured here), and over our own netlink socket that wait would block the engine's event loop;
 * `ip` waits in a process of its own.
 */
export async function deleteVeth(hostVeth: string): Promise<void> {
  const there = traced('net', 'link', () => `${hostVeth} still there? (ioctl SIOCGIFFLAGS; ip link del only if so)`, () => networkHost().linkExists(hostVeth), (x) => (x ? 'yes' : 'gone'))
  if (!there) return
  try {
    await ip(['link', 'del', hostVeth])
  } catch (err) {
    if (!isNoSuchDevice(err)) throw err
  }
}

/**
 * --network none: a fresh namespace has only `lo`, and it starts down. Brought up over a netlink
 * socket made inside the namespace (the same request as configureContainerSide's first), without
 * starting `nsenter ip` (a process start: most of a `run --network none`'s network cost).
 */
export async function loopbackUp(netns: string): Promise<void> {
  runLinkOps(netns, [{ op: 'up', name: 'lo' }])
}
