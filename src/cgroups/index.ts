// The cgroup v2 manager: one cgroup per container at <mount>/tocker/<id>, limits written as files.
// The runtime calls createCgroup() before the container's program starts, addProcess() with the
// first process's PID, and remove() when the container is deleted.
//
// On a host without a usable cgroup v2 (hybrid or v1-only; see support.ts) a container without
// limits simply gets no cgroup: tocker never creates anything in the controller-less v2 tree of a
// hybrid host, so nothing can be left behind there, and a container that asks for a limit fails
// before anything is made, with a message that says why and how to enable cgroup v2.
import { TockerError } from '../errors.js'
import { CgroupV2 } from './cgroup.js'
import { makeCgroupDir, readCgroupFile, writeCgroupFile } from './files.js'
import { cgroupHost } from './host.js'
import { assertOnCgroup2 } from './guard.js'
import { enableForChildren, PARENT_NAME, prepareParent } from './hierarchy.js'
import { LIMIT_FLAGS, limitFiles, requestedLimits, validateLimits } from './limits.js'
import { ENABLE_CGROUP_V2_HINT, LIMIT_CONTROLLERS, cgroupSupport, type CgroupSupportReport } from './support.js'
import type { CgroupLimits, ManagedCgroup } from './types.js'

export { CgroupV2 } from './cgroup.js'
export { cpuSharesToWeight, cpusToCpuMax, limitFiles, requestedLimits, validateLimits } from './limits.js'
export { cgroupSupport, detectCgroupSupport, ENABLE_CGROUP_V2_HINT, type CgroupSupportReport } from './support.js'
export type { Cgroup, CgroupLimits, CgroupStats, CgroupSupport, ManagedCgroup } from './types.js'

/** runc's rule for container IDs; it also keeps the ID a single path component. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/

/**
 * The cgroup for container `id` with `limits`:
 * - no usable cgroup v2 and no limits: undefined (the container runs without a cgroup of its own);
 * - no usable cgroup v2 and a limit asked for: TockerError saying why and how to enable cgroup v2;
 * - usable cgroup v2: <mount>/tocker/<id>, created with its limits written (or nothing, on error).
 */
export function createCgroup(id: string, limits: CgroupLimits = {}): ManagedCgroup | undefined {
  const support = assertLimitsSupported(limits)
  if (!support.usable) return undefined
  if (!ID_PATTERN.test(id)) throw new TockerError(`invalid container id for a cgroup: ${JSON.stringify(id)}`, { code: 'EINVALID' })

  const files = limitFiles(limits)
  const parent = prepareParent(support.mountpoint!, LIMIT_CONTROLLERS)
  const path = `${parent}/${id}`
  try {
    makeCgroupDir(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TockerError(`cgroup ${path} already exists (a container with this id is running, or one was not cleaned up)`, { code: 'ECONFLICT', cause: err })
    }
    throw err
  }
  const cgroup = new CgroupV2(path)
  for (const { file, value } of files) {
    // Without swap accounting (CONFIG_MEMCG_SWAP off, or swapaccount=0) the file does not exist:
    // Docker then limits memory alone, and so do we.
    if (file === 'memory.swap.max' && !cgroupHost().exists(`${path}/${file}`)) continue
    try {
      writeCgroupFile(`${path}/${file}`, value)
    } catch (err) {
      cgroup.remove() // nothing half-made
      throw new TockerError(`cannot set ${file} to ${value} in ${path}: ${(err as Error).message}`, { code: 'ECGROUP', cause: err })
    }
  }
  return cgroup
}

/**
 * Check `limits` without creating anything: Docker's refusals (validateLimits), then "is there a
 * cgroup v2 to enforce them?". The engine can call this when a container is *created*, so that a
 * `run --memory` on a host without cgroup v2 fails before anything exists; createCgroup() calls
 * it again at start. Returns the host's cgroup support (not usable: the container gets no cgroup).
 */
export function assertLimitsSupported(limits: CgroupLimits = {}): CgroupSupportReport {
  const asked = requestedLimits(limits)
  if (asked.length) validateLimits(limits)
  const support = cgroupSupport()
  if (!support.usable && asked.length) {
    const flags = asked.map((k) => LIMIT_FLAGS[k]).join(', ')
    throw new TockerError(`cannot apply ${flags}: limits need cgroup v2, but ${support.why}`, {
      hint: ENABLE_CGROUP_V2_HINT,
      code: 'ENOCGROUPV2',
      daemon: true,
    })
  }
  return support
}

/**
 * runc's cgroupsPath: a cgroup at `path` (absolute, below the v2 mount at `mountpoint`), its missing
 * parents made, the controllers the limits need enabled down the path, the limits written. Unlike
 * createCgroup it works on a v2 hierarchy that offers no controllers too, as long as no limit is
 * asked (the cgroup then still groups the container's processes: kill --all, ps, the freezer,
 * which cgroup v2 has in every cgroup without any controller). An existing cgroup is joined, as
 * runc does. `created`: whether the leaf was made here (a failure removes only what it made).
 */
export function createCgroupAt(mountpoint: string, path: string, limits: CgroupLimits = {}): { cgroup: ManagedCgroup; created: boolean } {
  if (requestedLimits(limits).length) validateLimits(limits)
  const rel = path.split('/').filter(Boolean)
  if (!rel.length || rel.includes('..') || rel.includes('.')) throw new TockerError(`invalid cgroupsPath ${JSON.stringify(path)}`, { code: 'EINVALID' })
  const files = limitFiles(limits)
  const controllers = [...new Set(files.map((f) => f.controller))]
  const available = readCgroupFile(`${mountpoint}/cgroup.controllers`).trim().split(/\s+/).filter(Boolean)
  const missing = controllers.filter((c) => !available.includes(c))
  if (missing.length) {
    throw new TockerError(`the cgroup v2 hierarchy at ${mountpoint} does not offer the ${missing.join(', ')} controller${missing.length > 1 ? 's' : ''} these limits need`, {
      code: 'ENOCGROUPV2',
      hint: ENABLE_CGROUP_V2_HINT,
    })
  }
  let dir = mountpoint
  for (const part of rel.slice(0, -1)) {
    if (controllers.length) enableForChildren(dir, controllers)
    dir = `${dir}/${part}`
    if (!cgroupHost().exists(dir)) {
      try {
        makeCgroupDir(dir)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
    }
  }
  if (controllers.length) enableForChildren(dir, controllers)
  const leaf = `${dir}/${rel[rel.length - 1]}`
  let created = false
  try {
    makeCgroupDir(leaf)
    created = true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const cgroup = new CgroupV2(leaf)
  for (const { file, value } of files) {
    if (file === 'memory.swap.max' && !cgroupHost().exists(`${leaf}/${file}`)) continue
    try {
      writeCgroupFile(`${leaf}/${file}`, value)
    } catch (err) {
      if (created) cgroup.remove()
      throw new TockerError(`cannot set ${file} to ${value} in ${leaf}: ${(err as Error).message}`, { code: 'ECGROUP', cause: err })
    }
  }
  return { cgroup, created }
}

/** Change the limits of an existing cgroup (runc update): the same files createCgroup writes. */
export function applyLimits(cgroup: { path: string }, limits: CgroupLimits): void {
  validateLimits(limits)
  for (const { file, value } of limitFiles(limits)) {
    const path = `${cgroup.path}/${file}`
    if (file === 'memory.swap.max' && !cgroupHost().exists(path)) continue
    if (!cgroupHost().exists(path)) throw new TockerError(`cannot set ${file}: ${cgroup.path} has no such file (the controller is not enabled for it)`, { code: 'ENOCGROUPV2' })
    writeCgroupFile(path, value)
  }
}

/** The cgroup of an existing container (for exec, stats, or removal after a restart of tocker). */
export function openCgroup(id: string): ManagedCgroup | undefined {
  const support = cgroupSupport()
  if (!support.usable || !ID_PATTERN.test(id)) return undefined
  const path = `${support.mountpoint}/${PARENT_NAME}/${id}`
  return cgroupHost().exists(path) ? new CgroupV2(path) : undefined
}

/** A cgroup by absolute path, e.g. the one recorded in a container's state. */
export function openCgroupPath(path: string): ManagedCgroup | undefined {
  if (!cgroupHost().exists(path)) return undefined
  assertOnCgroup2(path, 'open')
  return new CgroupV2(path)
}

/**
 * The v2 cgroup process `pid` is in, as the runtime's exec needs it to join a container's cgroup
 * ("0::/tocker/<id>" in /proc/<pid>/cgroup). Undefined without a usable v2 hierarchy, or for a
 * process that sits in the v2 root (a container that got no cgroup).
 */
export function cgroupOfProcess(pid: number): ManagedCgroup | undefined {
  const support = cgroupSupport()
  if (!support.usable) return undefined
  const path = processCgroupPath(pid, support.mountpoint!)
  return path ? openCgroupPath(path) : undefined
}

/**
 * The v2 cgroup process `pid` is in, as a path under the cgroup2 mount ("0::/tocker/<id>" in
 * /proc/<pid>/cgroup); undefined when it sits in the v2 root.
 */
function processCgroupPath(pid: number, mountpoint: string): string | undefined {
  let text: string
  try {
    text = cgroupHost().procCgroup(pid)
  } catch (err) {
    throw new TockerError(`cannot read the cgroup of process ${pid}: ${(err as Error).message}`, { code: 'ECGROUP', cause: err })
  }
  const rel = text
    .split('\n')
    .find((l) => l.startsWith('0::'))
    ?.slice(3)
  if (!rel || rel === '/' || rel.includes('..')) return undefined
  return `${mountpoint}${rel}`
}

/**
 * cgroup v2's freezer for the cgroup process `pid` (a container's PID 1) is in, or why there is
 * none. It needs no controller, so a cgroup2 mount without any (a hybrid host's) would do; but
 * tocker makes no cgroup there, and never writes to cgroup v1 (another manager owns it).
 */
export function freezerOf(pid: number): { cgroup: ManagedCgroup } | { why: string } {
  const support = cgroupSupport()
  if (!support.mountpoint) return { why: support.why ?? support.reason ?? 'no cgroup2 file system is mounted' }
  const path = processCgroupPath(pid, support.mountpoint)
  if (!path) return { why: 'the container has no cgroup v2 of its own (it sits in the root cgroup)' }
  if (!cgroupHost().exists(`${path}/cgroup.freeze`)) return { why: `${path} has no cgroup.freeze (Linux 5.2+)` }
  return { cgroup: new CgroupV2(path) }
}
