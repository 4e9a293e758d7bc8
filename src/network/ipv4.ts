// IPv4 addresses and CIDR blocks as plain numbers: parsing, printing and the arithmetic the
// allocator needs (contains, overlaps, the usable host range). No I/O.

/** An address as an unsigned 32-bit number (so 172.17.0.2 = 0xac110002). */
export type IPv4 = number

export interface Cidr {
  /** The network address (host bits zero). */
  network: IPv4
  prefix: number
}

export function parseIPv4(text: string): IPv4 | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    value = value * 256 + n
  }
  return value
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined
}

export function formatIPv4(ip: IPv4): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.')
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** "172.17.0.0/16" (host bits must be zero unless `loose`: "172.17.0.1/16" is then the same block). */
export function parseCidr(text: string, loose = false): Cidr | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text)
  if (!m) return undefined
  const ip = parseIPv4(m[1]!)
  const prefix = Number(m[2])
  if (ip === undefined || prefix > 32) return undefined
  const network = (ip & maskOf(prefix)) >>> 0
  if (network !== ip && !loose) return undefined
  return { network, prefix }
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.network)}/${c.prefix}`
}

export function broadcastOf(c: Cidr): IPv4 {
  return (c.network | (~maskOf(c.prefix) >>> 0)) >>> 0
}

export function cidrContains(c: Cidr, ip: IPv4): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.network
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix)
  const m = maskOf(prefix)
  return ((a.network & m) >>> 0) === ((b.network & m) >>> 0)
}

/** The first and last address a host may use: network + 1 .. broadcast - 1. */
export function hostRange(c: Cidr): { first: IPv4; last: IPv4 } {
  if (c.prefix >= 31) return { first: c.network, last: broadcastOf(c) }
  return { first: c.network + 1, last: broadcastOf(c) - 1 }
}

/**
 * Docker's classic MAC for a container: 02:42 (locally administered, unicast) followed by the four
 * bytes of its IPv4 address, so 172.17.0.2 gets 02:42:ac:11:00:02 and one never has to look it up.
 */
export function macForIPv4(ip: IPv4): string {
  const bytes = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}
