// The embedded DNS server, Docker's design: every container on a user-defined network has its own
// resolver at 127.0.0.11, inside its own network namespace, served by the engine.
//
//   1. The engine's main thread setns(2)es into the container's network namespace, makes a UDP and a
//      TCP socket bound to 127.0.0.11 on ports the kernel picks, and setns(2)es back (sys/net.ts).
//      Those sockets live in the container's namespace for good; the engine's event loop serves
//      them like its own. 127.0.0.11 is on the container's loopback (all of 127/8 is), so no
//      interface, route or bridge is involved, and the container's own traffic never leaves it.
//   2. In the container's namespace, two iptables NAT chains send port 53 of 127.0.0.11 to those
//      ports (and the answers back from port 53): a program in the container may still run its own
//      DNS server on port 53 (of 0.0.0.0 even) without clashing with ours.
//   3. Each query is answered from the network state for *that* container (its networks, its
//      links: names.ts/resolver.ts, packets by dns-packet), or forwarded to the host's resolvers.
//
// Why not one server per network on its bridge's gateway address? A container's resolv.conf would
// then name a different server per network (and a container on two networks would see half the
// names), and a query would no longer say which container asked: Docker's scoping (links, aliases
// per network) needs the asker. Why not a helper process per container? Memory per container, and
// a process to clean up after an engine kill -9; sockets close with the engine.
//
// Nothing outlives the engine: the sockets are its fds (a kill -9 closes them), the NAT chains live
// in the container's namespace (gone with it). A restarted engine makes new sockets and points the
// chains at them (reconcile).
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, type Server, type Socket } from 'node:net'
import dnsPacket from 'dns-packet'
import { oneLine, runCommand } from '../command.js'
import { socketsInNetns } from '../../sys/net.js'
import type { NetworkState } from '../types.js'
import { forward, hostNameservers } from './forward.js'
import { DNS_IP, mayForward } from './names.js'
import { decide, RCODE, reply } from './resolver.js'

const OUT_CHAIN = 'TOCKER_DNS_OUTPUT'
const POST_CHAIN = 'TOCKER_DNS_POSTROUTING'
/** A TCP client gets this long to send its query. */
const TCP_IDLE_MS = 10_000
/** Largest answer sent over UDP without EDNS (RFC 1035); bigger ones are truncated (TC) for a TCP retry. */
const UDP_MAX = 512

interface Endpoint {
  udp: UdpSocket
  tcp: Server
  ports: { udp: number; tcp: number }
}

export interface ResponderOptions {
  /** The network state as last seen (no file read per query). */
  state(): NetworkState
  /** The host's nameservers (default: from its resolv.conf, read once per query batch). */
  upstream?(): string[]
  iptables?(): Promise<{ restore: string; save: string }>
  /** Where a query that could not be answered is reported (debug). */
  log?(msg: string): void
}

/** The NAT rules that bring 127.0.0.11:53 to the responder's ports, in iptables-restore form. */
export function dnsNatRules(ports: { udp: number; tcp: number }, withJumps: boolean): string {
  return [
    '*nat',
    `:${OUT_CHAIN} - [0:0]`,
    `:${POST_CHAIN} - [0:0]`,
    ...(withJumps ? [`-A OUTPUT -d ${DNS_IP}/32 -j ${OUT_CHAIN}`, `-A POSTROUTING -d ${DNS_IP}/32 -j ${POST_CHAIN}`] : []),
    `-A ${OUT_CHAIN} -d ${DNS_IP}/32 -p udp -m udp --dport 53 -j DNAT --to-destination ${DNS_IP}:${ports.udp}`,
    `-A ${OUT_CHAIN} -d ${DNS_IP}/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination ${DNS_IP}:${ports.tcp}`,
    `-A ${POST_CHAIN} -s ${DNS_IP}/32 -p udp -m udp --sport ${ports.udp} -j SNAT --to-source :53`,
    `-A ${POST_CHAIN} -s ${DNS_IP}/32 -p tcp -m tcp --sport ${ports.tcp} -j SNAT --to-source :53`,
    'COMMIT',
    '',
  ].join('\n')
}

export class DnsResponder {
  readonly #endpoints = new Map<string, Endpoint>()
  /** Containers whose namespace got the chains' jumps from this engine (a re-attach only refills them). */
  readonly #jumped = new Set<string>()
  readonly #starting = new Map<string, Promise<void>>()

  constructor(readonly opts: ResponderOptions) {}

  has(containerId: string): boolean {
    return this.#endpoints.has(containerId)
  }

  /** Make sure the container has its resolver (idempotent; one start at a time per container). */
  ensure(containerId: string, netns: string): Promise<void> {
    if (this.#endpoints.has(containerId)) return Promise.resolve()
    let p = this.#starting.get(containerId)
    if (!p) {
      p = this.#start(containerId, netns).finally(() => this.#starting.delete(containerId))
      this.#starting.set(containerId, p)
    }
    return p
  }

  async #start(containerId: string, netns: string): Promise<void> {
    const fds = socketsInNetns(netns, DNS_IP)
    const udp = createSocket('udp4')
    const tcp = createServer()
    const ep: Endpoint = { udp, tcp, ports: { udp: fds.udp.port, tcp: fds.tcp.port } }
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject)
        udp.bind({ fd: fds.udp.fd }, () => {
          udp.off('error', reject)
          resolve()
        })
      })
      udp.on('error', () => {}) // an ICMP error from a client that went away: nothing to do
      udp.on('message', (msg, rinfo) => void this.#onUdp(containerId, udp, msg, rinfo.address, rinfo.port))
      udp.unref()
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen({ fd: fds.tcp.fd }, () => {
          tcp.off('error', reject)
          resolve()
        })
      })
      tcp.on('error', () => {})
      tcp.on('connection', (c) => this.#onTcp(containerId, c))
      tcp.unref()
      await this.#installRules(containerId, netns, ep.ports)
    } catch (err) {
      udp.close()
      tcp.close()
      throw err
    }
    this.#endpoints.set(containerId, ep)
  }

  /** Point the container's 127.0.0.11:53 at our ports (the chains are refilled; jumps added once). */
  async #installRules(containerId: string, netns: string, ports: { udp: number; tcp: number }): Promise<void> {
    const tools = (await this.opts.iptables?.()) ?? { restore: 'iptables-restore', save: 'iptables-save' }
    let withJumps = !this.#jumped.has(containerId)
    if (withJumps) {
      // An engine restarted while the container ran: the jumps are there already.
      const saved = await runCommand('nsenter', [`--net=${netns}`, tools.save, '-t', 'nat'])
      if (saved.includes(`-j ${OUT_CHAIN}`)) withJumps = false
    }
    const script = dnsNatRules(ports, withJumps)
    await runCommand('nsenter', [`--net=${netns}`, tools.restore, '--noflush'], {
      input: script,
      describe: () => `--net=${netns} ${tools.restore} --noflush <<< ${oneLine(script.split('\n'))} (the container's 127.0.0.11:53 -> tocker's DNS responder)`,
    })
    this.#jumped.add(containerId)
  }

  /** The container left every user-defined network (or ended): its sockets close. */
  close(containerId: string): void {
    const ep = this.#endpoints.get(containerId)
    this.#endpoints.delete(containerId)
    if (!ep) return
    ep.udp.close()
    ep.tcp.close()
  }

  /** The container is gone: forget it entirely (its namespace and chains went with it). */
  forget(containerId: string): void {
    this.close(containerId)
    this.#jumped.delete(containerId)
  }

  closeAll(): void {
    for (const id of [...this.#endpoints.keys()]) this.close(id)
  }

  /** The answer to one query from `containerId`, as bytes (undefined: say nothing). */
  async answer(containerId: string, msg: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    let query: dnsPacket.DecodedPacket
    try {
      query = dnsPacket.decode(msg)
    } catch {
      // Not DNS: a FORMERR needs at least an id to go back to.
      if (msg.length < 12) return undefined
      const r = Buffer.alloc(12)
      msg.copy(r, 0, 0, 2)
      r.writeUInt16BE(0x8000 | RCODE.FORMERR, 2)
      return r
    }
    const state = this.opts.state()
    const d = decide(state, containerId, query)
    if ('answer' in d) return dnsPacket.encode(d.answer)
    if (!mayForward(state, containerId)) return dnsPacket.encode(reply(query, RCODE.NXDOMAIN, [], false))
    const r = await forward(this.opts.upstream?.() ?? hostNameservers(), msg, tcp)
    if ('response' in r) return r.response
    return dnsPacket.encode(reply(query, 'unreachable' in r ? RCODE.NXDOMAIN : RCODE.SERVFAIL, [], false))
  }

  async #onUdp(containerId: string, sock: UdpSocket, msg: Buffer, address: string, port: number): Promise<void> {
    try {
      let out = await this.answer(containerId, msg, false)
      if (!out) return
      if (out.length > UDP_MAX && !hasEdns(msg)) {
        // Too big for plain UDP: the header alone, with TC set, and the client asks again over TCP.
        out = Buffer.from(out.subarray(0, 12))
        out.writeUInt16BE(out.readUInt16BE(2) | 0x0200, 2)
        out.writeUInt16BE(0, 6)
        out.writeUInt16BE(0, 8)
        out.writeUInt16BE(0, 10)
      }
      if (this.#endpoints.get(containerId)?.udp === sock) sock.send(out, port, address)
    } catch (err) {
      this.opts.log?.(`dns: ${containerId.slice(0, 12)}: ${(err as Error).message}`)
    }
  }

  #onTcp(containerId: string, c: Socket): void {
    let buf = Buffer.alloc(0)
    c.setTimeout(TCP_IDLE_MS, () => c.destroy())
    c.on('error', () => c.destroy())
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (buf.length > 2 + 65535) return c.destroy()
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0))
        buf = buf.subarray(2 + msg.length)
        void this.answer(containerId, msg, true).then(
          (out) => {
            if (!out || c.destroyed) return
            const len = Buffer.alloc(2)
            len.writeUInt16BE(out.length)
            c.write(Buffer.concat([len, out]))
          },
          () => c.destroy(),
        )
      }
    })
  }
}

/** Does the query carry an EDNS OPT record (then the client takes more than 512 bytes over UDP)? */
function hasEdns(msg: Buffer): boolean {
  return msg.length >= 12 && msg.readUInt16BE(10) > 0
}
