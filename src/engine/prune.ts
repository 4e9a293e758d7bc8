// POST /containers/prune: remove every container that is not running (Docker's `container prune`),
// optionally only those created before `until` or matching `label`/`label!`. Each one goes through
// the normal removal (under its mutex), so a container started meanwhile is skipped, not killed.
import type { ContainerPruneReport } from '../api/types.js'
import { TockerError } from '../errors.js'
import { matchLabels, matchNotLabels, parseFilters, parseTimestamp } from './filters.js'
import type { ContainerRecord } from './state.js'

const CONTAINER_PRUNE_FILTERS = ['until', 'label', 'label!'] as const

export interface PruneActions {
  remove(rec: ContainerRecord): Promise<void>
  /** Bytes in the container's writable layer (what removing it frees). */
  sizeOf(rec: ContainerRecord): Promise<number>
  event(reclaimed: number): void
}

export async function pruneContainers(records: ContainerRecord[], rawFilters: string | null | undefined, act: PruneActions): Promise<ContainerPruneReport> {
  const f = parseFilters(rawFilters, CONTAINER_PRUNE_FILTERS)
  const until = f.get('until')?.map((v) => parseTimestamp(v))
  const deleted: string[] = []
  let reclaimed = 0
  for (const rec of records) {
    if (rec.State.Running || rec.State.Status === 'removing') continue
    if (until && !until.every((u) => BigInt(Date.parse(rec.Created)) * 1_000_000n < u)) continue
    if (!matchLabels(f, rec.Config.Labels) || !matchNotLabels(f, rec.Config.Labels)) continue
    const size = await act.sizeOf(rec)
    try {
      await act.remove(rec)
    } catch (err) {
      // Started meanwhile (409): Docker leaves it; anything else is a real failure.
      if ((err as TockerError).status === 409) continue
      throw err
    }
    deleted.push(rec.Id)
    reclaimed += size
  }
  act.event(reclaimed)
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed }
}
