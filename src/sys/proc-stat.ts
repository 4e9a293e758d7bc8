// Telling a process apart from a later one with the same PID: the kernel recycles PIDs, so a
// recorded PID alone may name some other program by now. Field 22 of /proc/<pid>/stat (starttime,
// clock ticks after boot) differs for the new process; runc and the engine record both.
import { existsSync, readFileSync } from 'node:fs'
import { TockerError } from '../errors.js'

/** Which process we started, and how to tell it is still the same process after a restart. */
export interface ProcessIdentity {
  pid: number
  /** starttime of /proc/<pid>/stat (the runtime's state.json keeps it as a string). */
  startTime: number | string
}

/** Start time of a live (not zombie) process, or undefined if there is none. */
export function processStartTime(pid: number): number | undefined {
  if (!(pid > 0) || !existsSync(`/proc/${pid}/stat`)) return undefined // (no exception for the usual case)
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ")".
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); starttime is field 22. A zombie has finished.
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined
  return Number(rest[22 - 3])
}

/** Is `id` still the very process we recorded (not a recycled pid)? */
export function isSameProcess(id: ProcessIdentity | undefined): boolean {
  if (!id || !(id.pid > 0) || id.startTime === '') return false
  const st = processStartTime(id.pid)
  return st !== undefined && st === Number(id.startTime)
}

/** When this boot began (btime in /proc/stat, whole seconds): a file older than it was written before a crash or shutdown. */
export function bootTimeMs(): number {
  const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))
  if (!m) throw new TockerError('no btime line in /proc/stat', { code: 'ESTATE' })
  return Number(m[1]) * 1000
}
