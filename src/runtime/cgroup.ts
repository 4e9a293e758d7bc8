// The container's cgroup, through the cgroup v2 manager (src/cgroups/). The runtime only turns
// the spec's linux.resources into the manager's limits and decides *when*: the cgroup exists
// before PID 1 is forked, PID 1 is moved in before it runs anything of the user's, exec'd
// processes join it, and it is removed with the container.
import { createCgroup, openCgroup, openCgroupPath, type Cgroup, type CgroupLimits, type ManagedCgroup } from '../cgroups/index.js'
import type { LinuxResources } from './spec.js'

export function limitsFromResources(r: LinuxResources | undefined): CgroupLimits {
  const limits: CgroupLimits = {}
  if (!r) return limits
  if (r.memory?.limit !== undefined && r.memory.limit > 0) limits.memoryBytes = r.memory.limit
  if (r.memory?.swap !== undefined && r.memory.swap !== 0) limits.memorySwapBytes = r.memory.swap
  if (r.cpu?.quota !== undefined && r.cpu.quota > 0) limits.cpus = r.cpu.quota / (r.cpu.period ?? 100_000)
  if (r.cpu?.shares !== undefined && r.cpu.shares > 0) limits.cpuShares = r.cpu.shares
  if (r.pids?.limit !== undefined && r.pids.limit > 0) limits.pidsLimit = r.pids.limit
  return limits
}

/** The container's cgroup, or undefined where there is none to make (no cgroup v2, no limits). */
export function makeContainerCgroup(id: string, resources: LinuxResources | undefined): Cgroup | undefined {
  return createCgroup(id, limitsFromResources(resources))
}

export function openContainerCgroup(path: string | undefined): ManagedCgroup | undefined {
  return path ? openCgroupPath(path) : undefined
}

export function pidsOfCgroup(path: string | undefined): number[] | undefined {
  return path ? openCgroupPath(path)?.pids() : undefined
}

/** The cgroup a container with this id would have (for a create that died before saving its state). */
export function cgroupById(id: string): Cgroup | undefined {
  return openCgroup(id)
}
