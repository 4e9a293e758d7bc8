// The actual bind test behind "port is already allocated": the allocator only knows tocker's own
// ports, so before publishing a host port we also try to bind it, which fails when any process on
// the host listens there. Docker then keeps that socket open for the container's lifetime (its
// "dummy proxy" when the userland proxy is off): iptables DNAT grabs the packets before any socket
// sees them, so the socket never receives anything, but it stops another program from binding the
// port later and silently never getting its traffic. We do the same; the sockets live in the
// engine and are re-taken by reconcile after an engine restart.
import { readFileSync } from 'node:fs'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, type Server } from 'node:net'
import { TockerError } from '../errors.js'
import { tracedAsync } from '../trace/trace.js'
import { bindError, noFreePortError, portAllocatedError } from './errors.js'
import { portOwner } from './ipam.js'
import type { PortRequest, Proto } from './port-spec.js'
import type { NetworkState, PublishedPort } from './types.js'

export interface HeldPort {
  hostIp: string
  hostPort: number
  proto: Proto
  close(): void
}

/** Bind (and keep bound) hostIp:hostPort; rejects with the OS error (EADDRINUSE, EADDRNOTAVAIL). */
export function holdPort(hostIp: string, hostPort: number, proto: Proto): Promise<HeldPort> {
  return tracedAsync('net', 'bind', () => `${proto} ${hostIp}:${hostPort} (kept open while the port is published)`, () => bindPort(hostIp, hostPort, proto))
}

function bindPort(hostIp: string, hostPort: number, proto: Proto): Promise<HeldPort> {
  if (proto === 'tcp') {
    return new Promise((resolve, reject) => {
      const server: Server = createServer()
      server.once('error', reject)
      // exclusive: never share the handle with cluster workers; backlog 1: nobody will be accepted.
      server.listen({ host: hostIp, port: hostPort, exclusive: true, backlog: 1 }, () => {
        server.off('error', reject)
        server.on('error', () => {})
        server.unref() // a held port must not keep the engine alive
        resolve({ hostIp, hostPort, proto, close: () => server.close() })
      })
    })
  }
  if (proto === 'udp') {
    return new Promise((resolve, reject) => {
      const sock: UdpSocket = createSocket({ type: 'udp4' })
      sock.once('error', (err) => {
        sock.close()
        reject(err)
      })
      sock.bind({ address: hostIp, port: hostPort, exclusive: true }, () => {
        sock.removeAllListeners('error')
        sock.on('error', () => {})
        sock.unref()
        resolve({ hostIp, hostPort, proto, close: () => sock.close() })
      })
    })
  }
  // Node has no SCTP sockets: only the allocator guards sctp ports.
  return Promise.resolve({ hostIp, hostPort, proto, close: () => {} })
}

/**
 * The kernel's range for ephemeral ports, where Docker also picks "-p 80" host ports. No such file
 * (a kernel without IPv4's sysctls): Docker's own default. Any other failure to read it, or a range
 * that does not parse, is an error, never quietly the default.
 */
export function dynamicPortRange(path = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [49153, 65535]
    throw new TockerError(`reading the ephemeral port range (${path}): ${(err as Error).message}`, { code: 'ESTATE', status: 500, cause: err })
  }
  const [a, b] = text.trim().split(/\s+/).map(Number)
  if (!(Number.isInteger(a) && Number.isInteger(b) && a > 0 && a <= b && b <= 65535)) throw new TockerError(`${path}: not a port range: ${JSON.stringify(text.trim())}`, { code: 'ESTATE', status: 500 })
  return [a, b]
}

/** Pick and bind every requested host port; on any refusal, close what was bound and throw. */
export async function reservePorts(state: NetworkState, requests: PortRequest[], name: string, endpointId: string): Promise<{ port: PublishedPort; held: HeldPort }[]> {
  const out: { port: PublishedPort; held: HeldPort }[] = []
  const chosen = () => out.map((o) => o.port)
  try {
    for (const r of requests) {
      if (r.hostPortFirst !== 0 && r.hostPortFirst === r.hostPortLast) {
        const want = { hostIp: r.hostIp, hostPort: r.hostPortFirst, proto: r.proto }
        if (portOwner(state, want, chosen())) throw portAllocatedError(name, endpointId, r.hostIp, r.hostPortFirst)
        try {
          out.push({ port: { ...want, containerPort: r.containerPort }, held: await holdPort(r.hostIp, r.hostPortFirst, r.proto) })
        } catch (err) {
          const e = err as NodeJS.ErrnoException
          if (e.code === 'EADDRINUSE') throw portAllocatedError(name, endpointId, r.hostIp, r.hostPortFirst)
          throw bindError(name, endpointId, r.hostIp, r.hostPortFirst, r.proto, e)
        }
        continue
      }
      // A free port: from -p 8000-8010:80's range, or the kernel's ephemeral range for -p 80 / -P.
      const [first, last] = r.hostPortFirst === 0 ? dynamicPortRange() : [r.hostPortFirst, r.hostPortLast]
      let got = false
      for (let port = first; port <= last && !got; port++) {
        const want = { hostIp: r.hostIp, hostPort: port, proto: r.proto }
        if (portOwner(state, want, chosen())) continue
        try {
          out.push({ port: { ...want, containerPort: r.containerPort }, held: await holdPort(r.hostIp, port, r.proto) })
          got = true
        } catch (err) {
          const e = err as NodeJS.ErrnoException
          if (e.code !== 'EADDRINUSE') throw bindError(name, endpointId, r.hostIp, port, r.proto, e)
        }
      }
      if (!got) throw noFreePortError(name, endpointId)
    }
    return out
  } catch (err) {
    for (const o of out) o.held.close()
    throw err
  }
}
