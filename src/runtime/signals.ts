// Signal names as `kill` accepts them: "KILL", "SIGKILL", "9" (runc and Docker accept all three).
import { constants } from 'node:os'
import { TockerError } from '../errors.js'

export function parseSignal(value: string | number): number {
  if (typeof value === 'number') return value
  const v = value.trim().toUpperCase()
  if (/^\d+$/.test(v)) {
    const n = Number(v)
    if (n > 0 && n < 65) return n
  } else {
    const name = v.startsWith('SIG') ? v : `SIG${v}`
    const n = (constants.signals as Record<string, number>)[name]
    if (n !== undefined) return n
  }
  throw new TockerError(`invalid signal: ${value}`, { code: 'EINVAL', status: 400 })
}
