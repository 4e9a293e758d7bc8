// `docker commit --pause` (the default): the container's processes are frozen while its writable
// layer is read, so the image gets one moment of it rather than files caught half-written. tocker
// uses cgroup v2's freezer: writing 1 to <cgroup>/cgroup.freeze stops every process of the cgroup
// (Linux 5.2+, no controller needed); cgroup.events says "frozen 1" once the last one has stopped
// (one in the middle of a system call stops on its way out); 0 thaws them.
//
// Without a cgroup v2 of its own for the container (a cgroup v1-only or hybrid host, where tocker
// makes no cgroup), there is nothing to freeze with: tocker never writes to cgroup v1 (another
// manager owns it). The commit then goes on unfrozen, as Docker's --pause=false, and --explain says
// why. Waiting for "frozen 1" is asynchronous: the engine's main thread does not stop with it.
import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { TockerError } from '../errors.js'
import { cgroupSupport } from '../cgroups/index.js'
import { writeCgroupFile } from '../cgroups/files.js'
import { note } from '../trace/trace.js'

const FREEZE_TIMEOUT_MS = 5000

/** The container's cgroup v2 directory, or why there is none to freeze. */
export function freezerOf(pid: number): { path: string } | { why: string } {
  const support = cgroupSupport()
  if (!support.mountpoint) return { why: support.why ?? support.reason ?? 'no cgroup2 file system is mounted' }
  let rel: string | undefined
  try {
    rel = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'))
      ?.slice(3)
  } catch (err) {
    throw new TockerError(`cannot read the cgroup of the container's PID 1 (${pid}): ${(err as Error).message}`, { code: 'ECGROUP', daemon: true, cause: err })
  }
  if (!rel || rel === '/' || rel.includes('..')) return { why: 'the container has no cgroup v2 of its own (it sits in the root cgroup)' }
  const path = `${support.mountpoint}${rel}`
  if (!existsSync(`${path}/cgroup.freeze`)) return { why: `${path} has no cgroup.freeze (Linux 5.2+)` }
  return { path }
}

async function setFrozen(path: string, on: boolean): Promise<void> {
  writeCgroupFile(`${path}/cgroup.freeze`, on ? '1' : '0')
  const deadline = Date.now() + FREEZE_TIMEOUT_MS
  while (/^frozen 1$/m.test(readFileSync(`${path}/cgroup.events`, 'utf8')) !== on) {
    if (Date.now() > deadline) throw new TockerError(`${path}: the container's processes did not ${on ? 'freeze' : 'thaw'} within ${FREEZE_TIMEOUT_MS / 1000} s`, { code: 'ETIMEDOUT', daemon: true })
    await sleep(5)
  }
}

/**
 * Run `fn` with the container frozen when `pause` and it runs (pid set); thawed again whatever
 * happens. Without a usable freezer `fn` runs unfrozen (see the top of the file).
 */
export async function whileFrozen<T>(pid: number | undefined, pause: boolean, fn: () => Promise<T>): Promise<T> {
  if (!pause || pid === undefined) return fn()
  const f = freezerOf(pid)
  if ('why' in f) {
    note('commit', 'explain.note.commit.nofreeze', { why: f.why })
    return fn()
  }
  note('commit', 'explain.note.commit.freeze', { path: f.path })
  try {
    await setFrozen(f.path, true)
  } catch (err) {
    await setFrozen(f.path, false)
    throw err
  }
  try {
    return await fn()
  } finally {
    await setFrozen(f.path, false)
  }
}
