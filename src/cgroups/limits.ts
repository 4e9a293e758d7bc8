// From Docker's flags to cgroup v2 files. Pure: no I/O, so every conversion is testable anywhere.
//   --memory 64m      memory.max      67108864
//   --memory-swap     memory.swap.max (memory+swap total) - memory; unset: 0, i.e. no swap; -1: max
//   --cpus 0.5        cpu.max         "50000 100000" (may run 50 ms of every 100 ms period)
//   --cpu-shares 512  cpu.weight      59 (v1's shares 2..262144 map onto v2's weight 1..10000)
//   --pids-limit 100  pids.max        100 (0 or less: "max")
import { cpus as hostCpus } from 'node:os'
import { TockerError } from '../errors.js'
import type { CgroupLimits } from './types.js'

/** cpu.max's period: the kernel refills a cgroup's CPU budget every 100 ms (Docker's and runc's default). */
export const CPU_PERIOD_US = 100_000
/** Docker refuses less memory than this: the container's own start-up would not fit. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024

export interface LimitFile {
  file: string
  value: string
  controller: 'memory' | 'cpu' | 'pids'
}

/** The flag a person typed for each limit, for error messages. */
export const LIMIT_FLAGS: Record<keyof CgroupLimits, string> = {
  memoryBytes: '--memory',
  memorySwapBytes: '--memory-swap',
  cpus: '--cpus',
  cpuShares: '--cpu-shares',
  pidsLimit: '--pids-limit',
}

/** The limits that were actually asked for (set and not undefined). */
export function requestedLimits(limits: CgroupLimits | undefined): (keyof CgroupLimits)[] {
  if (!limits) return []
  return (Object.keys(LIMIT_FLAGS) as (keyof CgroupLimits)[]).filter((k) => limits[k] !== undefined)
}

/** Reject what Docker's daemon rejects, with its wording, before anything is created. */
export function validateLimits(limits: CgroupLimits): void {
  const bad = (message: string) => new TockerError(message, { daemon: true, code: 'EINVALIDLIMIT' })
  const { memoryBytes: memory, memorySwapBytes: swap, cpus, cpuShares } = limits
  for (const key of requestedLimits(limits)) {
    if (!Number.isFinite(limits[key])) throw bad(`invalid value for ${LIMIT_FLAGS[key]}: ${limits[key]}`)
  }
  if (memory !== undefined && memory !== 0 && memory < MIN_MEMORY_BYTES) throw bad('Minimum memory limit allowed is 6MB')
  if (swap !== undefined && swap > 0) {
    if (!memory) throw bad('You should always set the Memory limit when using Memoryswap limit, see usage')
    if (swap < memory) throw bad('Minimum memoryswap limit should be larger than memory limit, see usage')
  }
  if (cpus !== undefined) {
    const n = hostCpus().length
    if (cpus < 0.01 || cpus > n) throw bad(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`)
  }
  if (cpuShares !== undefined && cpuShares < 0) throw bad(`invalid value for --cpu-shares: ${cpuShares} (must be 2 to 262144, default 1024)`)
}

/**
 * cgroup v1's cpu.shares (2..262144, default 1024) to v2's cpu.weight (1..10000, default 100).
 * This is runc's conversion since 1.3 (opencontainers/cgroups): a quadratic in log2(shares) that
 * maps the minimum, the default and the maximum exactly (2→1, 1024→100, 262144→10000). Older runc
 * used the straight line 1 + (shares-2)*9999/262142, which turned the default 1024 into 39 and so
 * gave every container less CPU weight than the host's own services (100).
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares <= 2) return 1
  if (shares >= 262144) return 10000
  const l = Math.log2(shares)
  return Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34))
}

/** cpu.max for --cpus: "<quota µs> <period µs>". */
export function cpusToCpuMax(cpus: number): string {
  return `${Math.round(cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`
}

/** The files to write, in order. Call validateLimits first. */
export function limitFiles(limits: CgroupLimits): LimitFile[] {
  const files: LimitFile[] = []
  const { memoryBytes: memory, memorySwapBytes: swap, cpus, cpuShares, pidsLimit } = limits
  if (memory !== undefined && memory > 0) {
    files.push({ file: 'memory.max', value: String(Math.floor(memory)), controller: 'memory' })
    // v1 counted memory+swap together; v2 limits swap on its own. -1 is Docker's "unlimited swap".
    const swapMax = swap === undefined || swap === 0 ? '0' : swap < 0 ? 'max' : String(Math.floor(swap - memory))
    files.push({ file: 'memory.swap.max', value: swapMax, controller: 'memory' })
  }
  if (cpus !== undefined && cpus > 0) files.push({ file: 'cpu.max', value: cpusToCpuMax(cpus), controller: 'cpu' })
  if (cpuShares !== undefined && cpuShares > 0) files.push({ file: 'cpu.weight', value: String(cpuSharesToWeight(cpuShares)), controller: 'cpu' })
  if (pidsLimit !== undefined) files.push({ file: 'pids.max', value: pidsLimit > 0 ? String(Math.floor(pidsLimit)) : 'max', controller: 'pids' })
  return files
}
