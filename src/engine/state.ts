// A container's record on disk: <root>/containers/<id>/container.json, written atomically (a temp
// file in the same directory, fdatasync, rename: a crash leaves either the old or the new record,
// never half of one). The engine keeps the records in memory and writes one after every change,
// off its main thread (container-table.ts orders the writes of one container).
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import type { ContainerConfig, ContainerState, HostConfig, MountPoint, NetworkSettings } from '../api/types.js'
import { ZERO_TIME } from '../api/types.js'
import { writeFileAtomicAsync } from '../sys/atomic-file.js'
import { readJsonRecord } from '../sys/record-file.js'
import { bootTimeMs, type ProcessIdentity } from '../sys/proc-stat.js'
import type { MountPlan } from './volumes/mounts.js'

export type { ProcessIdentity } from '../sys/proc-stat.js'

export interface ContainerRecord {
  Id: string
  Name: string // without the leading "/"
  Created: string
  /** The image as the user named it ("busybox", "httpd:2.4"). */
  Image: string
  /** sha256:<config digest> */
  ImageID: string
  Path: string
  Args: string[]
  Config: ContainerConfig
  HostConfig: HostConfig
  State: ContainerState
  RestartCount: number
  LogPath: string
  Mounts: MountPoint[]
  /** What to mount, resolved at create (volumes named): the runtime's source. Absent in old records. */
  MountPlans?: MountPlan[]
  NetworkSettings: NetworkSettings
  /** Overlay lower dirs (image layers, top first): GraphDriver.Data.LowerDir. */
  LowerDirs: string[]
  /**
   * The networks it is configured for, by name (create's NetworkMode and NetworkingConfig, connect,
   * disconnect): what inspect's NetworkSettings.Networks shows and what start attaches. Absent in
   * records from before user-defined networks (then: HostConfig.NetworkMode alone).
   */
  Networks?: Record<string, NetworkAttachment>
  /** Legacy links' variables for the current run (computed at start from the linked containers). */
  LinkEnv?: string[]
  /** The shim (the container's parent) and the container's first process, while running. */
  Shim?: ProcessIdentity
  Init?: ProcessIdentity
}

/** What a container asked of one network. */
export interface NetworkAttachment {
  NetworkID: string
  Aliases: string[] | null
  IPv4Address?: string
  /** --link on a user-defined network: "name:alias" (DNS names for this container alone). */
  Links: string[] | null
}

export function emptyState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  }
}

export function containerDir(containersDir: string, id: string): string {
  return join(containersDir, id)
}

/** The text of a record as it is written (taken at once: the record may change while it is being written). */
export function recordText(rec: ContainerRecord): string {
  return JSON.stringify(rec, null, 1)
}

/** The container's directory, made at create (before its first record). */
export function makeContainerDir(containersDir: string, id: string): void {
  try {
    mkdirSync(containerDir(containersDir, id), { recursive: true, mode: 0o710 })
  } catch (err) {
    throw storeWriteError(err, `the directory of container ${id}`, containersDir)
  }
}

/**
 * Write a record (`text`: recordText of it) atomically: at once on this thread (a few kB into the
 * page cache), the fsync on libuv's thread pool (writeNow). Into the
 * container's existing directory only: a write that comes after the container was removed fails
 * (ENOENT) instead of bringing its directory back. `durable: false` (an --rm container's record,
 * see ContainerTable.save) leaves the fsync out.
 */
export async function saveRecord(containersDir: string, id: string, text: string, durable = true): Promise<void> {
  try {
    await writeFileAtomicAsync(join(containerDir(containersDir, id), 'container.json'), text, { mode: 0o600, durable, writeNow: true })
  } catch (err) {
    throw storeWriteError(err, `the record of container ${id}`, containersDir)
  }
}

/**
 * A failed write into the store, said plainly: what could not be written, where, and why (its hint,
 * in both languages, is in src/i18n/hints.ts: ENOSPC).
 */
export function storeWriteError(err: unknown, what: string, where: string): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (err instanceof TockerError || (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'EIO' && code !== 'EROFS')) return err
  const why = code === 'ENOSPC' ? 'no space left on device' : code === 'EDQUOT' ? 'disk quota exceeded' : code === 'EIO' ? 'input/output error' : 'read-only file system'
  return new TockerError(`cannot write ${what} in ${where}: ${why}`, { code, status: 500, daemon: true, cause: err })
}

/**
 * At engine start (nobody else writes containers/ then: one engine per store): remove what writes
 * cut short left, the temporary files of records, and directories with no record at all (a create
 * that died before its record was written: invisible to ps -a, usable by nobody). Returns what went.
 */
export function sweepContainersDir(containersDir: string): string[] {
  const removed: string[] = []
  let ids: string[]
  try {
    ids = readdirSync(containersDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return removed
    throw err
  }
  for (const id of ids) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue
    const dir = join(containersDir, id)
    if (!statSync(dir).isDirectory()) continue
    const files = readdirSync(dir)
    if (!files.includes('container.json')) {
      rmSync(dir, { recursive: true, force: true })
      removed.push(`${id}/`)
      continue
    }
    for (const f of files) {
      // sys/atomic-file.ts's (.<name>.<pid>.<random>.tmp), and older tockers' (container.json.tmp-<pid>).
      if (/\.tmp-\d+$/.test(f) || /^\..+\.\d+\.[0-9a-f]+\.tmp$/.test(f)) {
        rmSync(join(dir, f), { force: true })
        removed.push(`${id}/${f}`)
      }
    }
  }
  return removed
}

/**
 * A record that does not parse (`err`: readJsonRecord's) and was written before this boot: the
 * machine went down before the kernel had written it out. Only an --rm container's record is
 * written without an fsync (ContainerTable.save); any other record is whole after a crash, old or
 * new (fsync, then rename), and one that does not parse stays an error. Docker removes an --rm
 * container that does not run at its start (daemon.restore): nothing is lost that Docker keeps.
 */
function cutShortByCrash(path: string, err: unknown): boolean {
  return (err as TockerError).cause instanceof SyntaxError && statSync(path).mtimeMs < bootTimeMs()
}

/**
 * Every container's record. A directory without a record is a create that died before writing its
 * first one (records are written whole, by rename): nothing of it is usable, it is skipped. A record
 * that exists but cannot be read is an error: skipping it would make the engine treat a live
 * container as gone (and, for one, release its network endpoint at start). Except an --rm
 * container's record that the crash of the previous boot cut short (cutShortByCrash): its directory
 * is removed and `dropped` told.
 */
export function loadRecords(containersDir: string, dropped: (id: string) => void = () => {}): ContainerRecord[] {
  let ids: string[]
  try {
    ids = readdirSync(containersDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw unreadableRecord(containersDir, err)
  }
  const out: ContainerRecord[] = []
  for (const id of ids) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue
    const path = join(containersDir, id, 'container.json')
    let rec: ContainerRecord | undefined
    try {
      rec = readJsonRecord<ContainerRecord>(path, {
        isRecord: (r) => r.Id === id && typeof r.Name === 'string' && !!r.State,
        notRecord: () => new TockerError('not a container record', { code: 'ESTATE', internal: true }),
        unreadable: (cause) => unreadableRecord(path, cause),
      })
    } catch (err) {
      if (!cutShortByCrash(path, err)) throw err
      rmSync(join(containersDir, id), { recursive: true, force: true })
      dropped(id)
      continue
    }
    if (rec) out.push(rec)
  }
  return out
}

function unreadableRecord(path: string, cause: unknown): TockerError {
  return new TockerError(`cannot read the container record ${path}: ${(cause as Error)?.message ?? cause}`, {
    code: 'ESTATE',
    cause,
    hint: 'The engine did not start, so that nothing is released for a container it cannot see. Restore that file (or remove its container directory if the container is gone for good), then start the engine again.',
  })
}

export function removeContainerDir(containersDir: string, id: string): void {
  rmSync(containerDir(containersDir, id), { recursive: true, force: true })
}

/** The container's init layer (Docker's "-init"): containers/<id>/init, made by the runtime backend. */
export const INIT_LAYER = 'init'
