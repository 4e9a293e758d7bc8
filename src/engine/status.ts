// The human "Status" of a container as Docker's API reports it in GET /containers/json:
// "Up 3 minutes", "Exited (0) 2 hours ago", "Created". (The same wording as src/cli/output.ts's
// humanDuration, kept here because the engine must not import the CLI.)
import type { ContainerState } from '../api/types.js'
import { ZERO_TIME } from '../api/types.js'

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 1) return 'Less than a second'
  if (s === 1) return '1 second'
  if (s < 60) return `${s} seconds`
  const m = Math.floor(s / 60)
  if (m === 1) return 'About a minute'
  if (m < 60) return `${m} minutes`
  const h = Math.round(s / 3600)
  if (h === 1) return 'About an hour'
  if (h < 48) return `${h} hours`
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`
  return `${Math.floor(h / 24 / 365)} years`
}

export function statusText(s: ContainerState, now = Date.now()): string {
  switch (s.Status) {
    case 'running':
      return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`
    case 'exited':
      if (s.FinishedAt === ZERO_TIME) return 'Created'
      return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`
    case 'removing':
      return 'Removal In Progress'
    case 'dead':
      return 'Dead'
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`
    default:
      return 'Created'
  }
}
