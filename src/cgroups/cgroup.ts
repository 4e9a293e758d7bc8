// One container's cgroup: a directory such as /sys/fs/cgroup/tocker/<id>. Moving a process in is
// writing its PID to cgroup.procs; its children are born inside and cannot leave on their own.
import { setTimeout as sleep } from 'node:timers/promises'
import { TockerError } from '../errors.js'
import { cgroupHost } from './host.js'
import { parseFlatKeyed, readCgroupFile, removeCgroupDir, sleepSync, writeCgroupFile } from './files.js'
import type { CgroupStats, ManagedCgroup } from './types.js'

/** How long remove() waits for killed processes to be gone before giving up. */
const REMOVE_WAIT_MS = 2000
/** How long freeze() waits for cgroup.events to say the processes stopped (or run again). */
const FREEZE_WAIT_MS = 5000

export class CgroupV2 implements ManagedCgroup {
  constructor(readonly path: string) {}

  /**
   * Write `pid` to cgroup.procs: the whole process (all its threads) moves. The kernel answers
   * EINVAL for a task still being born (TASK_NEW, between fork and its first run): runc retries,
   * and so do we. ESRCH: no such process.
   */
  addProcess(pid: number): void {
    for (let attempt = 1;; attempt++) {
      try {
        writeCgroupFile(`${this.path}/cgroup.procs`, String(pid))
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EINVAL' && attempt < 5) {
          sleepSync(30)
          continue
        }
        throw err
      }
    }
  }

  /**
   * cgroup v2's freezer (Linux 5.2+, in every non-root cgroup, no controller needed): writing 1 to
   * cgroup.freeze stops every process of the subtree; the kernel reports "frozen 1" in
   * cgroup.events once the last one has stopped (it may take a moment: a task in the middle of a
   * system call stops on its way out). 0 thaws them.
   */
  freeze(on: boolean): void {
    const waited = this.#askFreeze(on)
    while (!waited()) sleepSync(2)
  }

  /** freeze() for a thread that must not stop (the engine's): the wait gives the event loop its turns. */
  async freezeAsync(on: boolean): Promise<void> {
    const waited = this.#askFreeze(on)
    while (!waited()) await sleep(5)
  }

  /** Write cgroup.freeze; the function returned says whether it is done (and throws once it is late). */
  #askFreeze(on: boolean): () => boolean {
    writeCgroupFile(`${this.path}/cgroup.freeze`, on ? '1' : '0')
    const deadline = Date.now() + FREEZE_WAIT_MS
    return () => {
      if (this.frozen() === on) return true
      if (Date.now() > deadline) throw new TockerError(`${this.path}: the processes did not ${on ? 'freeze' : 'thaw'} within ${FREEZE_WAIT_MS / 1000} s`, { code: 'ETIMEDOUT' })
      return false
    }
  }

  /** cgroup.events says "frozen 1" (a cgroup removed meanwhile is not frozen). */
  frozen(): boolean {
    try {
      return /^frozen 1$/m.test(readCgroupFile(`${this.path}/cgroup.events`))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  pids(): number[] {
    return readCgroupFile(`${this.path}/cgroup.procs`).split('\n').filter(Boolean).map(Number)
  }

  stats(): CgroupStats {
    const read = (file: string): string | undefined => {
      try {
        return readCgroupFile(`${this.path}/${file}`)
      } catch {
        return undefined // the controller is not enabled here
      }
    }
    const stats: CgroupStats = {}
    const memCurrent = read('memory.current')
    if (memCurrent !== undefined) stats.memoryCurrent = Number(memCurrent)
    const memEvents = read('memory.events')
    if (memEvents !== undefined) {
      const e = parseFlatKeyed(memEvents)
      stats.oomKills = e.oom_kill ?? 0
      stats.memoryMaxEvents = e.max ?? 0
    }
    const cpu = read('cpu.stat')
    if (cpu !== undefined) {
      const c = parseFlatKeyed(cpu)
      stats.cpuUsageUsec = c.usage_usec
      stats.cpuPeriods = c.nr_periods
      stats.cpuThrottled = c.nr_throttled
      stats.cpuThrottledUsec = c.throttled_usec
    }
    const pidsCurrent = read('pids.current')
    if (pidsCurrent !== undefined) stats.pidsCurrent = Number(pidsCurrent)
    const pidsEvents = read('pids.events')
    if (pidsEvents !== undefined) stats.pidsMaxEvents = parseFlatKeyed(pidsEvents).max ?? 0
    return stats
  }

  /**
   * rmdir the cgroup. A cgroup with processes cannot be removed (EBUSY), so when some remain they
   * are killed first: cgroup.kill (Linux 5.14+) SIGKILLs every process in the subtree at once,
   * including ones forking right now, which a PID-by-PID loop can miss. Idempotent.
   */
  remove(): void {
    if (!cgroupHost().exists(this.path)) return
    try {
      removeTree(this.path)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err
    }
    const killFile = cgroupHost().exists(`${this.path}/cgroup.kill`)
    const deadline = Date.now() + REMOVE_WAIT_MS
    for (let round = 0;; round++) {
      // cgroup.kill is one atomic sweep; without it, sweep again each round to catch new children.
      if (round === 0 || !killFile) this.killAll(killFile)
      // SIGKILL is delivered at once, but each process still has to run its exit path: wait until
      // cgroup.events says "populated 0" (no process left in the subtree), then rmdir.
      if (!this.populated() || Date.now() > deadline) {
        try {
          removeTree(this.path)
          return
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          if (code === 'ENOENT') return
          if (code !== 'EBUSY' || Date.now() > deadline) {
            throw new TockerError(`could not remove cgroup ${this.path}: ${(err as Error).message}`, { code: 'ECGROUP', cause: err })
          }
        }
      }
      sleepSync(5)
    }
  }

  private populated(): boolean {
    try {
      return /^populated 1$/m.test(readCgroupFile(`${this.path}/cgroup.events`))
    } catch {
      return false
    }
  }

  private killAll(useKillFile: boolean): void {
    if (useKillFile) {
      writeCgroupFile(`${this.path}/cgroup.kill`, '1')
      return
    }
    // Older kernels: SIGKILL each PID we see (in this cgroup and any below it).
    for (const dir of subtree(this.path)) {
      for (const pid of readCgroupFile(`${dir}/cgroup.procs`).split('\n').filter(Boolean)) {
        try {
          cgroupHost().kill(Number(pid), 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
  }
}

/** The cgroup and every cgroup below it, deepest first (the order rmdir needs). */
function subtree(dir: string): string[] {
  const out: string[] = []
  for (const name of cgroupHost().subdirs(dir)) out.push(...subtree(`${dir}/${name}`))
  out.push(dir)
  return out
}

/** A container may have made cgroups of its own below its cgroup (cgroup namespace): rmdir them first. */
function removeTree(dir: string): void {
  for (const d of subtree(dir)) {
    try {
      removeCgroupDir(d)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}
