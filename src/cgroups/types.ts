// The contract between the runtime and the cgroup v2 manager (src/cgroups/). The runtime asks for a
// cgroup per container with these limits; the manager turns them into cgroup v2 files.

export interface CgroupLimits {
  /** --memory → memory.max (bytes). */
  memoryBytes?: number
  /** --memory-swap (total, Docker's meaning) → memory.swap.max = memorySwapBytes - memoryBytes; default: same as memory (no swap). */
  memorySwapBytes?: number
  /** --cpus → cpu.max "<quota> <period>" with period 100000. */
  cpus?: number
  /** --cpu-shares (Docker's 2..262144, default 1024) → cpu.weight (1..10000). */
  cpuShares?: number
  /** --pids-limit → pids.max. */
  pidsLimit?: number
}

export interface CgroupSupport {
  /** A cgroup v2 hierarchy we may write to, with the controllers limits need. */
  usable: boolean
  mountpoint?: string
  controllers: string[]
  /** Why it is not usable, and how to enable it (for the error a learner sees). */
  reason?: string
}

export interface Cgroup {
  /** Absolute path, e.g. /sys/fs/cgroup/tocker/<id>. */
  readonly path: string
  /** Move a process in (write its pid to cgroup.procs) — before it runs the user's program. */
  addProcess(pid: number): void
  /** Remove the cgroup (after its processes are gone). Idempotent. */
  remove(): void
}

/** What a container's cgroup counted so far (read from memory.events, cpu.stat, pids.*). */
export interface CgroupStats {
  /** memory.current, bytes in use now. */
  memoryCurrent?: number
  /** memory.events "oom_kill": processes the OOM killer killed in this cgroup. */
  oomKills?: number
  /** memory.events "max": times usage hit memory.max (reclaim or OOM followed). */
  memoryMaxEvents?: number
  /** cpu.stat usage_usec: CPU time used, µs. */
  cpuUsageUsec?: number
  /** cpu.stat nr_periods / nr_throttled / throttled_usec: cpu.max enforcement. */
  cpuPeriods?: number
  cpuThrottled?: number
  cpuThrottledUsec?: number
  /** pids.current: tasks in the cgroup now. */
  pidsCurrent?: number
  /** pids.events "max": forks refused because pids.max was reached. */
  pidsMaxEvents?: number
}

/** A cgroup the manager made or opened: the runtime's Cgroup plus what exec and stats need. */
export interface ManagedCgroup extends Cgroup {
  /** PIDs in the cgroup now (cgroup.procs). */
  pids(): number[]
  /** cgroup v2's freezer: stop (true) or resume (false) every process, and wait until it is so. */
  freeze(on: boolean): void
  /** freeze(), waiting without stopping the thread. */
  freezeAsync(on: boolean): Promise<void>
  /** Are they frozen? */
  frozen(): boolean
  /** Counters for docker-stats-like output and for tests. */
  stats(): CgroupStats
}
