// The /networks API's reading side over the network layer's records: `docker network ls` with its
// filters (dangling, driver, id, label, name, scope, type) and `docker network prune` (until,
// label, label!), both as Docker's daemon filters them.
import type { NetworkResource } from '../api/types.js'
import type { TockerError } from '../errors.js'
import { networkResource, type NetworkRecord } from '../network/index.js'
import { boolFilter, matchLabels, parseFilters } from './filters.js'

const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']
const PRUNE_FILTERS = ['until', 'label', 'label!']

/** GET /networks: `used` holds the ids of the networks a container is configured for. */
export function listNetworks(networks: NetworkRecord[], used: Set<string>, filtersRaw: string | null | undefined): NetworkResource[] {
  const f = parseFilters(filtersRaw, LIST_FILTERS)
  const dangling = boolFilter(f, 'dangling')
  return networks
    .filter((n) => {
      if (f.get('driver') && !f.get('driver')!.includes(n.driver)) return false
      if (f.get('id') && !f.get('id')!.some((v) => n.id.startsWith(v))) return false
      if (f.get('name') && !f.get('name')!.some((v) => n.name.includes(v))) return false
      if (f.get('scope') && !f.get('scope')!.includes('local')) return false
      if (f.get('type') && !f.get('type')!.some((v) => (v === 'custom' ? !n.predefined : v === 'builtin' ? !!n.predefined : false))) return false
      if (dangling !== undefined && (n.predefined || used.has(n.id)) === dangling) return false
      return matchLabels(f, n.labels)
    })
    .sort((a, b) => a.created.localeCompare(b.created))
    .map((n) => networkResource(n, false))
}

/**
 * POST /networks/prune: the user-defined networks no container is on (running or configured) that
 * the filters keep, each removed by `remove`; one that is refused meanwhile (403, 404) is skipped.
 */
export async function pruneNetworks(networks: NetworkRecord[], used: Set<string>, filtersRaw: string | null | undefined, remove: (id: string) => Promise<void>): Promise<string[]> {
  const f = parseFilters(filtersRaw, PRUNE_FILTERS)
  const until = f.get('until')?.[0]
  const deleted: string[] = []
  for (const n of networks) {
    if (n.predefined || used.has(n.id) || Object.keys(n.endpoints).length) continue
    if (!matchLabels(f, n.labels)) continue
    if (f.get('label!')?.some((w) => (w.includes('=') ? n.labels?.[w.slice(0, w.indexOf('='))] === w.slice(w.indexOf('=') + 1) : w in (n.labels ?? {})))) continue
    if (until && Date.parse(n.created) > Date.now() - untilMs(until)) continue
    try {
      await remove(n.id)
      deleted.push(n.name)
    } catch (err) {
      if ((err as TockerError).status !== 403 && (err as TockerError).status !== 404) throw err
    }
  }
  return deleted
}

function untilMs(v: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(v)
  if (m) return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3 }[m[2] as 's' | 'm' | 'h']
  const t = Date.parse(v)
  return Number.isNaN(t) ? 0 : Date.now() - t
}
