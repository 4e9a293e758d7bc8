// Signal names and numbers as Docker and runc accept them: "SIGTERM", "TERM", "15", any case.
import { constants } from 'node:os'
import { TockerError } from '../errors.js'

const SIGNALS = constants.signals as Record<string, number>

/** The signal's number; `fallback` when `s` is empty. Throws (400) for anything else. */
export function parseSignal(s: string | number | undefined, fallback = 'SIGTERM'): number {
  if (s === undefined || s === '') s = fallback
  if (typeof s === 'number') return s
  const v = s.trim().toUpperCase()
  if (/^\d+$/.test(v)) {
    const n = Number(v)
    if (n > 0 && n < 65) return n
  } else {
    const name = v.startsWith('SIG') ? v : `SIG${v}`
    if (SIGNALS[name] !== undefined) return SIGNALS[name]
  }
  throw new TockerError(`Invalid signal: ${s}`, { code: 'EINVALID', daemon: true })
}

/** 15 → "SIGTERM"; a number without a name stays a number. */
export function signalName(n: number): string {
  return Object.entries(SIGNALS).find(([, v]) => v === n)?.[0] ?? String(n)
}

/**
 * Forward `signals` received by this process to `pid` (a foreground container's process: ^C and friends
 * go to it, as runc's signal proxy does). Returns the function that stops forwarding.
 */
export function forwardSignals(pid: number, signals: readonly NodeJS.Signals[]): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig)
    } catch {
      // already gone
    }
  }
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}
