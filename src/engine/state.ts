// A container's record on disk: <root>/containers/<id>/container.json, written atomically (a temp
// file in the same directory, fsync, rename: a crash leaves either the old or the new record, never
// half of one). The engine keeps the records in memory and writes one after every change.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ContainerConfig, ContainerState, HostConfig, MountPoint, NetworkSettings } from '../api/types.js'
import { ZERO_TIME } from '../api/types.js'
import { writeFileAtomic } from '../sys/atomic-file.js'
import type { ProcessIdentity } from '../sys/proc-stat.js'

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
  NetworkSettings: NetworkSettings
  /** Overlay lower dirs (image layers, top first): GraphDriver.Data.LowerDir. */
  LowerDirs: string[]
  /** The shim (the container's parent) and the container's first process, while running. */
  Shim?: ProcessIdentity
  Init?: ProcessIdentity
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

export function saveRecord(containersDir: string, rec: ContainerRecord): void {
  const dir = containerDir(containersDir, rec.Id)
  mkdirSync(dir, { recursive: true, mode: 0o710 })
  writeFileAtomic(join(dir, 'container.json'), JSON.stringify(rec, null, 1), { mode: 0o600 })
}

export function loadRecords(containersDir: string): ContainerRecord[] {
  let ids: string[]
  try {
    ids = readdirSync(containersDir)
  } catch {
    return []
  }
  const out: ContainerRecord[] = []
  for (const id of ids) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue
    try {
      out.push(JSON.parse(readFileSync(join(containersDir, id, 'container.json'), 'utf8')) as ContainerRecord)
    } catch {
      // A create that died before its first record: nothing of it is usable. Leave it for rm/GC.
    }
  }
  return out
}

export function removeContainerDir(containersDir: string, id: string): void {
  rmSync(containerDir(containersDir, id), { recursive: true, force: true })
}
