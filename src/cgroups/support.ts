// Is there a cgroup v2 hierarchy tocker may use for limits? Three shapes exist in the wild:
//   unified  cgroup2 alone at /sys/fs/cgroup, holding every controller (Debian 11+, Ubuntu 21.10+,
//            Fedora 31+, the Vagrant lab): usable.
//   hybrid   cgroup v1 hierarchies at /sys/fs/cgroup/<controller> plus an empty cgroup2 at
//            /sys/fs/cgroup/unified. A controller lives in exactly one hierarchy, and here the v1
//            ones took memory, cpu and pids, so the v2 tree can limit nothing: not usable.
//   legacy   cgroup v1 only: not usable.
// tocker never writes to a v1 hierarchy: other software on such hosts (systemd, a process manager)
// owns it, and v1's semantics differ (memory.limit_in_bytes, cpu.shares, ...).
import { watchMountTable, type MountTableWatch } from '../sys/mount-table.js'
import { cgroupHost, linuxCgroupHost } from './host.js'
import type { CgroupSupport } from './types.js'
import { type MountEntry, readMountinfo } from './mountinfo.js'

/** The controllers tocker's limits need: memory.max, cpu.max / cpu.weight, pids.max. */
export const LIMIT_CONTROLLERS = ['memory', 'cpu', 'pids'] as const

/** What a learner can do about it; the "how" half of every "cgroup v2 is not usable" message. */
export const ENABLE_CGROUP_V2_HINT = 'To enable cgroup v2, boot Linux with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all) on the kernel command line, ' +
  'or use the Vagrant lab (vagrant up), which runs cgroup v2 alone.'

export interface CgroupSupportReport extends CgroupSupport {
  /** The "why" half of `reason`, without the hint. */
  why?: string
  /** Where the v1 hierarchies are mounted (hybrid and legacy hosts); tocker never writes there. */
  v1Mounts: string[]
}

/** Read the host's mounts and the v2 root's cgroup.controllers. */
export function cgroupSupport(): CgroupSupportReport {
  return detectCgroupSupport(hostMounts(), (dir) => cgroupHost().read(`${dir}/cgroup.controllers`))
}

// Asked at every create: the mount table is read and parsed again only once it has changed (40 µs
// a create on a 20-mount host, more with more mounts). cgroup.controllers is read each time: its
// content can change without a mount. A fake cgroup host (tests) is read each time, as before.
let mountWatch: MountTableWatch | undefined
let mounts: MountEntry[] = []

function hostMounts(): MountEntry[] {
  if (cgroupHost() !== linuxCgroupHost) return readMountinfo()
  mountWatch ??= watchMountTable()
  if (mountWatch.changed()) mounts = readMountinfo()
  return mounts
}

/** The decision itself, from a mount table and a way to read cgroup.controllers (pure given its inputs). */
export function detectCgroupSupport(mounts: MountEntry[], readControllers: (mountpoint: string) => string): CgroupSupportReport {
  const v1 = mounts.filter((m) => m.fsType === 'cgroup')
  const v1Mounts = v1.map((m) => m.mountPoint)
  const v2 = mounts.filter((m) => m.fsType === 'cgroup2')
  const unusable = (why: string, rest: Partial<CgroupSupportReport> = {}): CgroupSupportReport => ({
    usable: false,
    controllers: [],
    ...rest,
    why,
    reason: `${why}. ${ENABLE_CGROUP_V2_HINT}`,
    v1Mounts,
  })

  if (v2.length === 0) {
    return unusable(v1.length ? 'this host uses cgroup v1 only (no cgroup2 filesystem is mounted)' : 'no cgroup filesystem is mounted')
  }
  // The canonical place wins; a later mount over the same point hides earlier ones.
  const mount = v2.filter((m) => m.mountPoint === '/sys/fs/cgroup').pop() ?? v2[0]
  const mountpoint = mount.mountPoint
  let controllers: string[]
  try {
    controllers = readControllers(mountpoint).trim().split(/\s+/).filter(Boolean)
  } catch (err) {
    return unusable(`cannot read ${mountpoint}/cgroup.controllers (${(err as Error).message})`, { mountpoint })
  }
  if (mount.options.includes('ro')) {
    return unusable(`cgroup v2 is mounted read-only at ${mountpoint}`, { mountpoint, controllers })
  }
  const missing = LIMIT_CONTROLLERS.filter((c) => !controllers.includes(c))
  if (missing.length > 0) {
    const list = missing.join(', ')
    const holders = v1.filter((m) => m.superOptions.some((o) => (missing as string[]).includes(o))).map((m) => m.mountPoint)
    const why = holders.length
      ? `cgroup v2 is mounted at ${mountpoint} without the ${list} controller${missing.length > 1 ? 's' : ''}: ` +
        `this host runs cgroup v1 and v2 side by side (hybrid mode) and its v1 hierarchies (${holders.join(', ')}) hold them`
      : `the cgroup v2 hierarchy at ${mountpoint} does not offer the ${list} controller${missing.length > 1 ? 's' : ''}`
    return unusable(why, { mountpoint, controllers })
  }
  return { usable: true, mountpoint, controllers, v1Mounts }
}
