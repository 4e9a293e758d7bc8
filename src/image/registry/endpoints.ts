// Which URLs serve a registry domain. Docker's rules:
//   docker.io is served by https://registry-1.docker.io (after any configured mirrors);
//   HTTPS everywhere, except plain HTTP for localhost, 127.0.0.0/8, ::1 and the registries listed
//   as insecure in daemon.json (host[:port] entries or CIDR ranges of IP addresses).
import { BlockList, isIP } from 'node:net'
import { DEFAULT_DOMAIN } from '../reference.js'
import type { RegistryConfig } from './config.js'

export const DOCKER_HUB_API_HOST = 'registry-1.docker.io'

export interface Endpoint {
  /** "https://registry-1.docker.io", "http://127.0.0.1:5000" */
  base: string
  /** The registry host credentials are looked up for ("docker.io", "127.0.0.1:5000"). */
  host: string
  /** A docker.io mirror: on failure the next endpoint is tried. */
  mirror: boolean
}

/** Split "host:port" / "[::1]:5000" into the bare host name or address. */
function hostname(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'))
  const colon = hostPort.lastIndexOf(':')
  return colon > -1 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort
}

export function isInsecureRegistry(hostPort: string, config: Pick<RegistryConfig, 'insecureRegistries'>): boolean {
  const name = hostname(hostPort).toLowerCase()
  if (name === 'localhost' || name === '::1') return true
  const family = isIP(name)
  if (family === 4 && name.startsWith('127.')) return true
  for (const entry of config.insecureRegistries) {
    const e = entry.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '')
    if (e === hostPort || e === name) return true
    const slash = e.indexOf('/')
    if (slash > 0 && family !== 0) {
      const net = e.slice(0, slash)
      const prefix = Number(e.slice(slash + 1))
      const netFamily = isIP(net)
      if (netFamily === family && Number.isInteger(prefix)) {
        const list = new BlockList()
        list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6')
        if (list.check(name, family === 4 ? 'ipv4' : 'ipv6')) return true
      }
    }
  }
  return false
}

export function endpointsFor(domain: string, config: RegistryConfig): Endpoint[] {
  if (domain === DEFAULT_DOMAIN) {
    const mirrors = config.mirrors.map((m) => {
      const url = new URL(/^[a-z]+:\/\//i.test(m) ? m : `https://${m}`)
      return { base: `${url.protocol}//${url.host}`, host: url.host, mirror: true }
    })
    return [...mirrors, { base: `https://${DOCKER_HUB_API_HOST}`, host: DEFAULT_DOMAIN, mirror: false }]
  }
  const scheme = isInsecureRegistry(domain, config) ? 'http' : 'https'
  return [{ base: `${scheme}://${domain}`, host: domain, mirror: false }]
}
