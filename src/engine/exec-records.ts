// Exec instances on disk: <root>/containers/<id>/execs/<exec id>.json, so that an engine restarted
// while an exec runs still knows it (its client asks GET /exec/{id}/json once the stream breaks,
// and must get the process's real exit code, not "No such exec instance"). The exit code itself
// is recorded by the exec's shim, which outlives the engine (RuntimeBackend.readExecExit).
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ExecCreateBody } from '../api/types.js'
import { writeFileAtomic } from '../sys/atomic-file.js'
import type { ProcessIdentity } from '../sys/proc-stat.js'
import { TockerError } from '../errors.js'

export interface StoredExec {
  id: string
  containerId: string
  body: ExecCreateBody
  running: boolean
  exitCode: number | null
  pid: number
  /** The shim waiting for the process (it writes the exit status, then exits). */
  shim?: ProcessIdentity
}

const EXEC_ID = /^[0-9a-f]{64}$/

function execsDir(containersDir: string, containerId: string): string {
  return join(containersDir, containerId, 'execs')
}

export function saveExec(containersDir: string, e: StoredExec): void {
  const dir = execsDir(containersDir, e.containerId)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileAtomic(join(dir, `${e.id}.json`), JSON.stringify(e), { mode: 0o600 })
}

export function removeExec(containersDir: string, e: { id: string; containerId: string }): void {
  rmSync(join(execsDir(containersDir, e.containerId), `${e.id}.json`), { force: true })
}

/** Forget every exec of a container (its run ended before the engine came back). */
export function removeExecs(containersDir: string, containerId: string): void {
  rmSync(execsDir(containersDir, containerId), { recursive: true, force: true })
}

/** A container's execs as the last engine left them. An unreadable one is an error, never "none". */
export function loadExecs(containersDir: string, containerId: string): StoredExec[] {
  const dir = execsDir(containersDir, containerId)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: StoredExec[] = []
  for (const name of names) {
    const id = name.slice(0, -'.json'.length)
    if (!name.endsWith('.json') || !EXEC_ID.test(id)) continue // a temporary file cut short
    const path = join(dir, name)
    try {
      const e = JSON.parse(readFileSync(path, 'utf8')) as StoredExec
      if (e.id !== id || e.containerId !== containerId || !Array.isArray(e.body?.Cmd)) throw new TockerError('not an exec record', { code: 'ESTATE', internal: true })
      out.push(e)
    } catch (err) {
      throw new TockerError(`cannot read the exec record ${path}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
    }
  }
  return out
}
