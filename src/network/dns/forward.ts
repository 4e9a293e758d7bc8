// Names that are not a container's go to the host's own resolvers, asked from the engine's network
// namespace (the host's): so a host whose /etc/resolv.conf points at a local stub (127.0.0.53,
// dnsmasq) works too, which a container could never reach from its own namespace. The query's
// bytes go out as they came in and the answer comes back as it is (id and all).
//
// Offline (no nameserver, or none the host can route to: the kernel refuses at once with
// ENETUNREACH) the answer is NXDOMAIN, so a lookup fails at once instead of waiting; a nameserver that
// the host can reach but that does not answer in time gives SERVFAIL, as Docker's resolver does.
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { isIP } from 'node:net'
import { readFileSync } from 'node:fs'
import { hostResolvConf } from '../etc-files.js'

export const FORWARD_TIMEOUT_MS = 2000

/** The nameservers of the host's resolv.conf (systemd-resolved's upstream list when it is the stub). */
export function hostNameservers(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const out: string[] = []
  for (const line of hostResolvConf(read).split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line)
    if (m && isIP(m[1]!)) out.push(m[1]!)
  }
  return out
}

export type ForwardResult = { response: Buffer } | { unreachable: true } | { timeout: true }

const UNREACHABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ECONNREFUSED', 'EAFNOSUPPORT'])

/** One UDP query to one server. */
function askUdp(server: string, query: Buffer, timeoutMs: number): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const sock = createSocket(isIP(server) === 6 ? 'udp6' : 'udp4')
    const done = (r: ForwardResult) => {
      clearTimeout(timer)
      sock.close()
      resolve(r)
    }
    const timer = setTimeout(() => done({ timeout: true }), timeoutMs)
    sock.on('error', (err: NodeJS.ErrnoException) => done(UNREACHABLE.has(err.code ?? '') ? { unreachable: true } : { timeout: true }))
    sock.on('message', (msg) => {
      // Only the answer to this query (same id) ends the wait.
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done({ response: msg })
    })
    sock.send(query, 53, server, (err) => {
      if (err) done(UNREACHABLE.has((err as NodeJS.ErrnoException).code ?? '') ? { unreachable: true } : { timeout: true })
    })
  })
}

/** One TCP query (2-byte length prefix) to one server. */
function askTcp(server: string, query: Buffer, timeoutMs: number): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const sock = connect({ host: server, port: 53 })
    let buf = Buffer.alloc(0)
    const done = (r: ForwardResult) => {
      clearTimeout(timer)
      sock.destroy()
      resolve(r)
    }
    const timer = setTimeout(() => done({ timeout: true }), timeoutMs)
    sock.on('error', (err: NodeJS.ErrnoException) => done(UNREACHABLE.has(err.code ?? '') ? { unreachable: true } : { timeout: true }))
    sock.on('connect', () => {
      const len = Buffer.alloc(2)
      len.writeUInt16BE(query.length)
      sock.write(Buffer.concat([len, query]))
    })
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done({ response: buf.subarray(2, 2 + buf.readUInt16BE(0)) })
    })
  })
}

/**
 * Ask the servers one after the other until one answers. `unreachable` only when every server was
 * refused by the kernel (offline); `timeout` when one could be sent to but none answered.
 */
export async function forward(servers: string[], query: Buffer, tcp: boolean, timeoutMs = FORWARD_TIMEOUT_MS): Promise<ForwardResult> {
  let reached = false
  for (const s of servers) {
    const r = await (tcp ? askTcp(s, query, timeoutMs) : askUdp(s, query, timeoutMs))
    if ('response' in r) return r
    if ('timeout' in r) reached = true
  }
  return reached ? { timeout: true } : { unreachable: true }
}
