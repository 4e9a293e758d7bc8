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
