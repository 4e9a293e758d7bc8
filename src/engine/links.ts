// Docker's legacy links (--link NAME[:ALIAS]) on the default bridge: the linked container's
// address under the alias in /etc/hosts, and environment variables describing it (moby's
// daemon/links: ALIAS_PORT, ALIAS_PORT_<port>_<PROTO>_{ADDR,PORT,PROTO}, ranges of consecutive
// ports with _START/_END, ALIAS_NAME, ALIAS_ENV_<var> for the linked container's own variables).
// On a user-defined network a link is only a name the linking container alone resolves (DNS).
// Pure: the network backend finds the containers and their addresses.
import { TockerError } from '../errors.js'

/** "web" / "web:db" / "/web:/client/db" -> the container and the alias. */
export function parseLink(link: string): { name: string; alias: string } {
  const [rawName, rawAlias] = link.split(':')
  const name = (rawName ?? '').replace(/^\//, '')
  const alias = rawAlias ? rawAlias.split('/').pop()! : name
  if (!name || !alias || link.split(':').length > 2) throw new TockerError(`invalid link format: ${link}: expected NAME[:ALIAS]`, { code: 'EINVALID', daemon: true })
  return { name, alias }
}

interface LinkedPort {
  port: number
  proto: string
}

function sortPorts(exposed: Record<string, unknown> | null | undefined): LinkedPort[] {
  const ports = Object.keys(exposed ?? {}).map((k) => {
    const [p, proto = 'tcp'] = k.split('/')
    return { port: Number(p), proto }
  })
  // nat.Sort with TCP first for a port number: the lowest port, tcp before udp.
  return ports.filter((p) => Number.isInteger(p.port)).sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto.localeCompare(b.proto)))
}

/** The variables of one link, in Docker's order. `linkName` is "/client/db". */
export function linkEnv(opts: { alias: string; linkName: string; ip: string; exposed?: Record<string, unknown> | null; env?: string[] | null }): string[] {
  const alias = opts.alias.toUpperCase().replace(/-/g, '_')
  const ports = sortPorts(opts.exposed)
  const out: string[] = []
  const url = (p: LinkedPort) => `${p.proto}://${opts.ip}:${p.port}`
  if (ports.length) out.push(`${alias}_PORT=${url(ports[0]!)}`)
  for (let i = 0; i < ports.length;) {
    const p = ports[i]!
    let j = i + 1
    while (j < ports.length && ports[j]!.proto === p.proto && ports[j]!.port === ports[j - 1]!.port + 1) j++
    const P = p.proto.toUpperCase()
    if (j > i + 1) {
      const q = ports[j - 1]!
      out.push(
        `${alias}_PORT_${p.port}_${P}_START=${url(p)}`,
        `${alias}_PORT_${p.port}_${P}_ADDR=${opts.ip}`,
        `${alias}_PORT_${p.port}_${P}_PROTO=${p.proto}`,
        `${alias}_PORT_${p.port}_${P}_PORT_START=${p.port}`,
        `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${url(q)}`,
        `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`,
      )
    }
    for (const x of ports.slice(i, j)) {
      const prefix = `${alias}_PORT_${x.port}_${x.proto.toUpperCase()}`
      out.push(`${prefix}=${url(x)}`, `${prefix}_ADDR=${opts.ip}`, `${prefix}_PORT=${x.port}`, `${prefix}_PROTO=${x.proto}`)
    }
    i = j
  }
  out.push(`${alias}_NAME=${opts.linkName}`)
  for (const v of opts.env ?? []) {
    const eq = v.indexOf('=')
    if (eq < 0) continue
    const name = v.slice(0, eq)
    // Docker leaves out what every image sets anyway.
    if (name === 'HOME' || name === 'PATH') continue
    out.push(`${alias}_ENV_${name}=${v.slice(eq + 1)}`)
  }
  return out
}

/** The /etc/hosts line of a link: "IP\talias hostname name" (the name only when it differs from the alias). */
export function linkHostsEntry(ip: string, alias: string, hostname: string, name: string): [string, string] {
  return [ip, [alias, hostname, ...(alias !== name ? [name] : [])].join(' ')]
}
