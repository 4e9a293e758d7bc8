// `tocker ps` output as Docker prints it: CONTAINER ID, IMAGE, COMMAND (quoted, cut to 20
// characters with "…"), CREATED ("5 minutes ago"), STATUS, PORTS, NAMES; --no-trunc, -q, --format.
import type { ContainerSummary, Port } from '../../api/types.js'
import { ago, goTimeUtc, table } from '../output.js'
import { formatFieldRows, type Row } from './field-rows.js'

/** Go's strconv.Quote for the characters commands contain. */
function goQuote(s: string): string {
  return JSON.stringify(s)
}

/** Docker's formatter.Ellipsis: cut to `max` display characters, the last one "…". */
export function ellipsis(s: string, max: number): string {
  const chars = [...s]
  if (chars.length <= max) return s
  return chars.slice(0, max - 1).join('') + '…'
}

/** tcp, udp, sctp: code-point order, which localeCompare gives them after loading ICU's collation (ms). */
function byType(a: Port, b: Port): number {
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0
}

/** "0.0.0.0:8081->80/tcp, 443/tcp": published first as Docker groups them. */
export function formatPorts(ports: Port[]): string {
  const parts = ports
    .slice()
    .sort((a, b) => a.PrivatePort - b.PrivatePort || byType(a, b) || (a.PublicPort ?? 0) - (b.PublicPort ?? 0))
    .map((p) => {
      if (p.PublicPort) {
        const ip = p.IP && p.IP.includes(':') ? `[${p.IP}]` : p.IP ?? '0.0.0.0'
        return `${ip}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`
      }
      return `${p.PrivatePort}/${p.Type}`
    })
  return [...new Set(parts)].join(', ')
}

export function psRow(c: ContainerSummary, trunc: boolean, now = Date.now()): Row {
  const id = trunc ? c.Id.slice(0, 12) : c.Id
  const image = trunc && c.Image.startsWith('sha256:') ? c.Image.slice(7, 19) : c.Image
  const command = goQuote(trunc ? ellipsis(c.Command, 20) : c.Command)
  const names = c.Names.map((n) => n.replace(/^\//, '')).join(',')
  return {
    ID: id,
    Image: image,
    Command: command,
    CreatedAt: goTimeUtc(c.Created * 1000),
    RunningFor: ago(c.Created * 1000, now),
    Ports: formatPorts(c.Ports),
    State: c.State,
    Status: c.Status,
    Names: names,
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    Mounts: (c.Mounts ?? []).map((m) => m.Source).join(','),
    Networks: c.HostConfig?.NetworkMode ?? '',
    Size: '',
  }
}

const HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  Size: 'SIZE',
}

/**
 * `tocker ps`'s output. The Go template engine (template.ts) loads only for a --format that needs it
 * (more than text and string fields).
 */
export async function formatPs(list: ContainerSummary[], o: { quiet?: boolean; noTrunc?: boolean; format?: string }): Promise<string> {
  const trunc = !o.noTrunc
  if (o.quiet) return list.map((c) => (trunc ? c.Id.slice(0, 12) : c.Id) + '\n').join('')
  const rows = list.map((c) => psRow(c, trunc))
  if (o.format && o.format !== 'table') return formatFieldRows(o.format, rows, HEADERS) ?? (await import('./template.js')).formatRows(o.format, rows, HEADERS)
  return table(
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    rows.map((r) => [r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names] as string[]),
    10,
  )
}
