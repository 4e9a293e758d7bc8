// rtnetlink from our own code: the messages `ip link add … type veth`, `ip addr add`, `ip route add`
// and `ip link del` send, built here and sent on a NETLINK_ROUTE socket, so a container's network
// costs no process start (an `ip`/`nsenter` fork+exec is a few ms each on a loaded machine; the
// kernel's own work for a veth pair is well under a millisecond of it).
//
// A netlink socket acts on the network namespace it was made in (like the sockets of sys/net.ts),
// so the container's side is configured through a socket made while the main thread is in the
// container's namespace (setns there and straight back, nothing yields in between). The veth pair
// itself is made from the host's side with its peer created directly in the container's namespace
// (IFLA_NET_NS_FD in the peer's attributes), named eth0 from the start.
//
// Message layout (rtnetlink(7), netlink(7)): nlmsghdr {len u32, type u16, flags u16, seq u32, pid u32},
// then a family header (ifinfomsg 16 bytes, ifaddrmsg 8, rtmsg 12), then attributes {len u16,
// type u16, payload} each padded to 4 bytes; a nested attribute's payload is more attributes.
// Every request asks for an ack (NLM_F_ACK): an NLMSG_ERROR whose error is 0 (done) or -errno.
import { closeSync, openSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import * as native from '../../native-shims/netlink.js'
import { codeOf, TockerError } from '../errors.js'
import { inNetns } from './ns.js'

/** One change, as `ip` would be told it (opLine) and as the kernel is told it (encode). */
export type LinkOp =
  /** link add NAME master MASTER up type veth peer name PEER address PEERMAC netns PEERNETNS */
  | { op: 'veth'; name: string; master: string; peer: string; peerMac: string; peerNetns: string }
  /** link set dev NAME type bridge_slave hairpin on */
  | { op: 'hairpin'; name: string }
  /** link set NAME up */
  | { op: 'up'; name: string }
  /** addr add IP/PREFIX dev DEV broadcast + */
  | { op: 'addr'; dev: string; ip: string; prefixLen: number }
  /** route add default via VIA */
  | { op: 'defaultRoute'; via: string }
  /** link del NAME */
  | { op: 'del'; name: string }

/** The `ip` command line that does the same (what --explain shows, and what a learner can type). */
export function opLine(o: LinkOp): string {
  switch (o.op) {
    case 'veth':
      return `link add ${o.name} master ${o.master} up type veth peer name ${o.peer} address ${o.peerMac} netns ${o.peerNetns}`
    case 'hairpin':
      return `link set dev ${o.name} type bridge_slave hairpin on`
    case 'up':
      return `link set ${o.name} up`
    case 'addr':
      return `addr add ${o.ip}/${o.prefixLen} dev ${o.dev} broadcast +`
    case 'defaultRoute':
      return `route add default via ${o.via}`
    case 'del':
      return `link del ${o.name}`
  }
}

/** The kernel refused a request: errno, and its extended-ack words when it gave some. */
export class NetlinkError extends TockerError {
  constructor(
    readonly line: string,
    readonly errno: number,
    readonly kernelMessage?: string,
  ) {
    const name = ERRNO_NAMES[errno] ?? `errno ${errno}`
    super(`${line}: RTNETLINK answers: ${STRERROR[name] ?? name}${kernelMessage ? ` (${kernelMessage})` : ''}`, { code: codeOf({ code: name }, 'EIO'), internal: true })
    this.name = 'NetlinkError'
  }
}

const ERRNO_NAMES: Record<number, string> = {}
for (const [name, num] of Object.entries(osConstants.errno)) ERRNO_NAMES[num as number] = name
/** The words `ip` prints for the errors these requests meet (strerror's). */
const STRERROR: Record<string, string> = {
  ENODEV: 'No such device',
  EEXIST: 'File exists',
  EPERM: 'Operation not permitted',
  EINVAL: 'Invalid argument',
  EBUSY: 'Device or resource busy',
  ENOENT: 'No such file or directory',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EOPNOTSUPP: 'Operation not supported',
}

// netlink(7) / rtnetlink(7) / if_link.h numbers.
const NLMSG_ERROR = 2
const NLM_F_REQUEST = 0x1
const NLM_F_ACK = 0x4
const NLM_F_EXCL = 0x200
const NLM_F_CREATE = 0x400
const NLM_F_CAPPED = 0x100
const NLM_F_ACK_TLVS = 0x200
const NLMSGERR_ATTR_MSG = 1
const RTM_NEWLINK = 16
const RTM_DELLINK = 17
const RTM_GETLINK = 18
const RTM_NEWADDR = 20
const RTM_NEWROUTE = 24
const AF_UNSPEC = 0
const AF_INET = 2
const IFF_UP = 0x1
const IFLA_ADDRESS = 1
const IFLA_IFNAME = 3
const IFLA_MASTER = 10
const IFLA_LINKINFO = 18
const IFLA_NET_NS_FD = 28
const IFLA_INFO_KIND = 1
const IFLA_INFO_DATA = 2
const IFLA_INFO_SLAVE_KIND = 4
const IFLA_INFO_SLAVE_DATA = 5
const VETH_INFO_PEER = 1
const IFLA_BRPORT_MODE = 4 // hairpin
const IFA_ADDRESS = 1
const IFA_LOCAL = 2
const IFA_BROADCAST = 4
const RTA_GATEWAY = 5
const RT_TABLE_MAIN = 254
const RTPROT_BOOT = 3
const RT_SCOPE_UNIVERSE = 0
const RTN_UNICAST = 1

const align = (n: number) => (n + 3) & ~3

/** One attribute: {len, type} and the payload, padded. */
function attr(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(align(4 + payload.length))
  b.writeUInt16LE(4 + payload.length, 0)
  b.writeUInt16LE(type, 2)
  payload.copy(b, 4)
  return b
}
const str = (type: number, s: string) => attr(type, Buffer.from(s + '\0'))
const u32 = (type: number, v: number) => attr(type, Buffer.from(new Uint32Array([v]).buffer))
const u8 = (type: number, v: number) => attr(type, Buffer.from([v]))
const nest = (type: number, ...children: Buffer[]) => attr(type, Buffer.concat(children))
const ipv4 = (s: string) => Buffer.from(s.split('.').map(Number))
function mac(s: string): Buffer {
  return Buffer.from(s.split(':').map((h) => parseInt(h, 16)))
}

function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt8(AF_UNSPEC, 0)
  b.writeInt32LE(index, 4)
  b.writeUInt32LE(flags, 8)
  b.writeUInt32LE(change, 12)
  return b
}

let seq = 0
function message(type: number, flags: number, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body)
  const h = Buffer.alloc(16)
  h.writeUInt32LE(16 + payload.length, 0)
  h.writeUInt16LE(type, 4)
  h.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK | flags, 6)
  h.writeUInt32LE(++seq, 8)
  return Buffer.concat([h, payload])
}

/** An open route socket in one namespace, and the requests made on it. */
class RouteSocket {
  constructor(readonly fd: number) {}

  /** Send one request; return the messages that came back before its ack (a GET's answer). */
  request(line: string, msg: Buffer): Buffer[] {
    const want = msg.readUInt32LE(8)
    native.send(this.fd, msg)
    const answers: Buffer[] = []
    for (let rounds = 0; rounds < 64; rounds++) {
      const data = native.recv(this.fd)
      for (let off = 0; off + 16 <= data.length;) {
        const len = data.readUInt32LE(off)
        if (len < 16 || off + len > data.length) break
        const m = data.subarray(off, off + len)
        off += align(len)
        if (m.readUInt32LE(8) !== want) continue // an answer to an earlier request nobody read: skip
        if (m.readUInt16LE(4) !== NLMSG_ERROR) {
          answers.push(m)
          continue
        }
        const error = -m.readInt32LE(16)
        if (error === 0) return answers
        throw new NetlinkError(line, error, extAckMessage(m))
      }
    }
    throw new TockerError(`${line}: no netlink answer`, { code: 'EIO', internal: true })
  }

  /** The interface index of a link by name (RTM_GETLINK); ENODEV when there is none. */
  index(name: string): number {
    const [m] = this.request(`link show ${name}`, message(RTM_GETLINK, 0, ifinfomsg(), str(IFLA_IFNAME, name)))
    if (!m) throw new NetlinkError(`link show ${name}`, osConstants.errno.ENODEV)
    return m.readInt32LE(16 + 4)
  }

  apply(o: LinkOp): void {
    const line = opLine(o)
    switch (o.op) {
      case 'veth': {
        const nsFd = openSync(o.peerNetns, 'r')
        try {
          const peer = Buffer.concat([ifinfomsg(), str(IFLA_IFNAME, o.peer), attr(IFLA_ADDRESS, mac(o.peerMac)), u32(IFLA_NET_NS_FD, nsFd)])
          const linkinfo = nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'veth'), nest(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer)))
          const master = u32(IFLA_MASTER, this.index(o.master))
          this.request(line, message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0, IFF_UP, IFF_UP), str(IFLA_IFNAME, o.name), master, linkinfo))
        } finally {
          closeSync(nsFd)
        }
        return
      }
      case 'hairpin': {
        // `type bridge_slave`: ip sends the kind without "_slave" as IFLA_INFO_SLAVE_KIND.
        const linkinfo = nest(IFLA_LINKINFO, str(IFLA_INFO_SLAVE_KIND, 'bridge'), nest(IFLA_INFO_SLAVE_DATA, u8(IFLA_BRPORT_MODE, 1)))
        this.request(line, message(RTM_NEWLINK, 0, ifinfomsg(), str(IFLA_IFNAME, o.name), linkinfo))
        return
      }
      case 'up':
        this.request(line, message(RTM_NEWLINK, 0, ifinfomsg(0, IFF_UP, IFF_UP), str(IFLA_IFNAME, o.name)))
        return
      case 'addr': {
        const index = this.index(o.dev)
        const h = Buffer.alloc(8)
        h.writeUInt8(AF_INET, 0)
        h.writeUInt8(o.prefixLen, 1)
        h.writeUInt8(RT_SCOPE_UNIVERSE, 3)
        h.writeUInt32LE(index, 4)
        const a = ipv4(o.ip)
        // `broadcast +`: every host bit set (172.17.0.2/16 -> 172.17.255.255).
        const hostBits = o.prefixLen >= 32 ? 0 : 2 ** (32 - o.prefixLen) - 1
        const bcast = Buffer.alloc(4)
        bcast.writeUInt32BE((a.readUInt32BE(0) | hostBits) >>> 0, 0)
        this.request(line, message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, h, attr(IFA_LOCAL, a), attr(IFA_ADDRESS, a), attr(IFA_BROADCAST, bcast)))
        return
      }
      case 'defaultRoute': {
        const h = Buffer.alloc(12)
        h.writeUInt8(AF_INET, 0) // dst_len 0: the default route
        h.writeUInt8(RT_TABLE_MAIN, 4)
        h.writeUInt8(RTPROT_BOOT, 5)
        h.writeUInt8(RT_SCOPE_UNIVERSE, 6)
        h.writeUInt8(RTN_UNICAST, 7)
        this.request(line, message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, h, attr(RTA_GATEWAY, ipv4(o.via))))
        return
      }
      case 'del':
        this.request(line, message(RTM_DELLINK, 0, ifinfomsg(), str(IFLA_IFNAME, o.name)))
        return
    }
  }
}

/** The kernel's own words in an error ack (NLMSGERR_ATTR_MSG), when it sent some. */
function extAckMessage(m: Buffer): string | undefined {
  const flags = m.readUInt16LE(6)
  if (!(flags & NLM_F_ACK_TLVS)) return undefined
  // After the error code: the request's header only (capped) or the whole request, then the TLVs.
  let off = 16 + 4 + (flags & NLM_F_CAPPED ? 16 : align(m.readUInt32LE(20)))
  while (off + 4 <= m.length) {
    const len = m.readUInt16LE(off)
    if (len < 4) break
    if (m.readUInt16LE(off + 2) === NLMSGERR_ATTR_MSG) return m.subarray(off + 4, off + len).toString().replace(/\0.*$/s, '')
    off += align(len)
  }
  return undefined
}

/**
 * Apply `ops` in order in the engine's own network namespace (netns undefined) or in the one at
 * `netns`; stop at the first refusal (as `ip -batch` does: the earlier ones stay done) and throw
 * its NetlinkError.
 */
export function applyLinkOps(netns: string | undefined, ops: LinkOp[]): void {
  const fd = netns === undefined ? native.openRoute() : inNetns(netns, () => native.openRoute(), 'the netlink socket')
  try {
    const s = new RouteSocket(fd)
    for (const o of ops) s.apply(o)
  } finally {
    native.closeFd(fd)
  }
}
