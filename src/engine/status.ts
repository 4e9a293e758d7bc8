// The human "Status" of a container as Docker's API reports it in GET /containers/json:
// "Up 3 minutes", "Exited (0) 2 hours ago", "Created".
import type { ContainerState } from '../api/types.js'
import { ZERO_TIME } from '../api/types.js'
import { humanDuration } from '../human-duration.js'

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
