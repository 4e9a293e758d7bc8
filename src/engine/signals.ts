// Signal names and numbers as Docker accepts them: "SIGTERM", "TERM", "15", case-insensitive;
// and sending one to a container.
import { constants } from 'node:os'
import { TockerError } from '../errors.js'
import type { RuntimeBackend } from './backend.js'
import type { ContainerRecord } from './state.js'

const SIGNALS = constants.signals as Record<string, number>

export function parseSignal(s: string | number | undefined, fallback = 'SIGTERM'): number {
  if (s === undefined || s === '') s = fallback
  if (typeof s === 'number') return s
  if (/^\d+$/.test(s)) {
    const n = Number(s)
    if (n > 0 && n < 65) return n
  } else {
    const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`
    if (SIGNALS[name] !== undefined) return SIGNALS[name]
  }
  throw new TockerError(`Invalid signal: ${s}`, { status: 400, daemon: true })
}

export function signalName(n: number): string {
  return Object.entries(SIGNALS).find(([, v]) => v === n)?.[0] ?? String(n)
}

/** Signal the container's first process; one that is already gone (ESRCH) is not an error. */
export function signalContainer(runtime: RuntimeBackend, rec: ContainerRecord, sig: number): void {
  try {
    runtime.signal(rec, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}
