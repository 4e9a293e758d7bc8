// The container's cgroup, through the cgroup v2 manager (src/cgroups/). The runtime only turns
// the spec's linux.resources into the manager's limits and decides *where* and *when*: the cgroup
// exists before PID 1 is forked, PID 1 is moved in before it runs anything of the user's, exec'd
// processes join it, and it is removed with the container.
//
// Where: the spec's linux.cgroupsPath when there is one (runc's rule: below the cgroup v2 mount;
// with --systemd-cgroup, "slice:prefix:name" becomes the path systemd would have made, as there is
// no systemd to ask here), else tocker's own <mount>/tocker/<id>.
// When there is no cgroup to be had: crun's --cgroup-manager=disabled (podman --cgroups=disabled)
// means "no cgroup, and linux.resources ignored with a warning on the log"; otherwise resources
// that cannot be applied are an error naming them, and a cgroupsPath on a host whose
// /sys/fs/cgroup is not cgroup v2 (hybrid: v1 there, which tocker never writes) is warned about.
import { statfsSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { createCgroup, createCgroupAt, openCgroup, openCgroupPath, requestedLimits, type Cgroup, type CgroupLimits, type ManagedCgroup } from '../cgroups/index.js'
import { CGROUP2_SUPER_MAGIC } from '../cgroups/guard.js'
import type { Linux, LinuxResources } from './spec.js'

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

/** The spec fields of linux.resources that are set, by name ("cpu.shares", "devices", ...). */
export function resourceFields(r: LinuxResources | undefined): string[] {
  const out: string[] = []
  const walk = (v: unknown, path: string): void => {
    if (v === undefined || v === null) return
    if (Array.isArray(v)) {
      if (v.length) out.push(path)
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, path ? `${path}.${k}` : k)
    } else out.push(path)
  }
  walk(r, '')
  return out
}

/** The fields tocker applies (limitsFromResources) and the device rules its device policy covers. */
const APPLIED = /^(memory\.(limit|swap)|cpu\.(shares|quota|period)|pids\.limit|devices)$/

export interface CgroupChoice {
  /** --cgroup-manager=disabled: no cgroup at all. */
  disabled?: boolean
  /** --systemd-cgroup: cgroupsPath is "slice:prefix:name". */
  systemd?: boolean
  warn?: (message: string) => void
}

/** Is /sys/fs/cgroup itself a cgroup v2 mount (the unified layout, or a namespace that shows one)? */
export function unifiedHierarchy(): boolean {
  try {
    return Number(statfsSync('/sys/fs/cgroup').type) === CGROUP2_SUPER_MAGIC
  } catch {
    return false
  }
}

/** "machine-libpod.slice" → "machine.slice/machine-libpod.slice" (systemd's slice nesting). */
function expandSlice(slice: string): string {
  if (!slice.endsWith('.slice') || slice.includes('/')) throw new TockerError(`invalid slice name ${JSON.stringify(slice)}`, { code: 'EINVALID' })
  const name = slice.slice(0, -'.slice'.length)
  if (name === '-') return ''
  const parts = name.split('-')
  return parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`).join('/')
}

/** cgroupsPath → the path below the mount; systemd's form mapped as systemd lays it out. */
export function cgroupPathOf(cgroupsPath: string, id: string, systemd = false): string {
  if (systemd) {
    const parts = cgroupsPath.split(':')
    if (parts.length !== 3) throw new TockerError(`expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "${cgroupsPath}" instead`, { code: 'EINVALID' })
    const [slice, prefix, name] = parts
    const unit = name.endsWith('.slice') ? name : `${prefix ? `${prefix}-` : ''}${name || id}.scope`
    return `/${[expandSlice(slice || 'system.slice'), unit].filter(Boolean).join('/')}`
  }
  return cgroupsPath.startsWith('/') ? cgroupsPath : `/${cgroupsPath}`
}

/** The container's cgroup, or undefined where it gets none (see the top of this file). */
export function makeContainerCgroup(id: string, linux: Linux | undefined, o: CgroupChoice = {}): Cgroup | undefined {
  const resources = linux?.resources
  const asked = resourceFields(resources)
  if (o.disabled) {
    if (asked.length) o.warn?.(`cgroups are disabled (--cgroup-manager=disabled): linux.resources ignored (${asked.join(', ')})`)
    return undefined
  }
  const ignored = asked.filter((f) => !APPLIED.test(f))
  if (ignored.length) o.warn?.(`linux.resources not supported by tocker, ignored: ${ignored.join(', ')}`)
  const limits = limitsFromResources(resources)
  try {
    if (!linux?.cgroupsPath) return createCgroup(id, limits)
    const path = cgroupPathOf(linux.cgroupsPath, id, o.systemd)
    if (!unifiedHierarchy()) {
      if (requestedLimits(limits).length) return createCgroup(id, limits) // fails, saying why
      o.warn?.(`cgroupsPath ${linux.cgroupsPath} not used: /sys/fs/cgroup is not a cgroup v2 hierarchy (tocker never writes to cgroup v1)`)
      return undefined
    }
    return createCgroupAt('/sys/fs/cgroup', path, limits).cgroup
  } catch (err) {
    if ((err as TockerError).code !== 'ENOCGROUPV2') throw err
    const fields = asked.filter((f) => APPLIED.test(f) && f !== 'devices').map((f) => `linux.resources.${f}`)
    throw new TockerError(`cannot apply ${fields.join(', ')}: ${(err as Error).message.replace(/^cannot apply [^:]*: /, '')} (run with --cgroup-manager=disabled, podman --cgroups=disabled, to ignore linux.resources)`, {
      code: 'ENOCGROUPV2',
      hint: (err as TockerError).hint,
      cause: err,
    })
  }
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
