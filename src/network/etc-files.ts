// The two files that tell a container who it is and where names are resolved. The runtime
// bind-mounts them from the container's own directory onto /etc/hosts and /etc/resolv.conf; this
// file only computes their content (pure functions, plus one reader of the host's resolv.conf).
import { readFileSync } from 'node:fs'
import { DNS_IP } from './dns/names.js'
import type { NetworkMode } from './types.js'

/**
 * /etc/hosts as Docker writes it: loopback names, the IPv6 multicast names, and the container's
 * own address with its hostname (the short container id unless --hostname). With --network none
 * there is no address to name. With --network host Docker copies the host's file (read here unless
 * given as hostFile).
 */
export function hostsFile(opts: { hostname: string; ip?: string; ips?: string[]; mode?: NetworkMode; hostFile?: string; extra?: [string, string][] }): string {
  if (opts.mode === 'host') {
    if (opts.hostFile !== undefined) return opts.hostFile
    try {
      return readFileSync('/etc/hosts', 'utf8')
    } catch {
      // no host file: the generated one below
    }
  }
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ]
  for (const [ip, name] of opts.extra ?? []) lines.push(`${ip}\t${name}`)
  // One line per address the container has (one per network it is on).
  for (const ip of opts.ips ?? (opts.ip ? [opts.ip] : [])) lines.push(`${ip}\t${opts.hostname}`)
  return lines.join('\n') + '\n'
}

/** Docker's fallback when the host has no usable nameserver: Google's public resolvers. */
export const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4']

/** systemd-resolved's stub listens on 127.0.0.53; its list of real upstream servers is here. */
export const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf'
const RESOLVED_STUB = '127.0.0.53'

function isLoopbackNameserver(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1' || addr === '0:0:0:0:0:0:0:1'
}

/**
 * A container's /etc/resolv.conf from the host's: a loopback nameserver (dnsmasq, the
 * systemd-resolved stub) means nothing inside the container's own namespace — its 127.0.0.1 is
 * itself — so those lines go; when nothing is left, Docker's public fallback. search/options stay.
 * With --network host the container shares the host's loopback, so the host's file is used as is.
 */
export function resolvConf(hostText: string, mode: NetworkMode = 'bridge'): string {
  if (mode === 'host') return hostText
  const out: string[] = []
  let servers = 0
  for (const line of hostText.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line)
    if (m) {
      if (isLoopbackNameserver(m[1]!)) continue
      servers++
    }
    out.push(line)
  }
  while (out.length && out[out.length - 1]!.trim() === '') out.pop()
  if (servers === 0) { for (const ns of DEFAULT_NAMESERVERS) out.push(`nameserver ${ns}`) }
  return out.join('\n') + '\n'
}

/**
 * The host file to start from: /etc/resolv.conf, or systemd-resolved's upstream list when
 * /etc/resolv.conf only points at the local stub (Ubuntu, Debian with resolved).
 */
export function hostResolvConf(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  let text: string
  try {
    text = read('/etc/resolv.conf')
  } catch {
    return ''
  }
  if (new RegExp(`^\\s*nameserver\\s+${RESOLVED_STUB.replace(/\./g, '\\.')}\\s*$`, 'm').test(text)) {
    try {
      return read(RESOLVED_UPSTREAM)
    } catch {
      // resolved's upstream file is missing: filter the stub out and fall back like Docker
    }
  }
  return text
}

/** Both in one call, for the engine: the content of the container's /etc/resolv.conf. */
export function containerResolvConf(mode: NetworkMode = 'bridge', read?: (path: string) => string): string {
  return resolvConf(hostResolvConf(read), mode)
}

/**
 * A container's resolv.conf on a user-defined network: the embedded DNS, with the host's search
 * domains, and ndots:0 (as Docker: a single-label name such as "web" is asked as it is first).
 */
export function embeddedResolvConf(hostText: string): string {
  const search = hostText.split('\n').filter((l) => /^\s*search\s/.test(l))
  const options = hostText
    .split('\n')
    .filter((l) => /^\s*options\s/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1))
    .filter((o) => !o.startsWith('ndots:'))
  return [`# tocker's embedded DNS (container names on its networks; other names go to the host's resolvers)`, `nameserver ${DNS_IP}`, ...search, `options ndots:0${options.length ? ' ' + options.join(' ') : ''}`, ''].join('\n')
}
