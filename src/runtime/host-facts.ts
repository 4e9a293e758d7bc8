// What `docker info` reports of the host the containers run on, read from the kernel: the cgroup
// version and usable controllers, the store's backing filesystem (overlay2's "Backing
// Filesystem"), the forwarding and bridge-netfilter sysctls, and the engine's open fds. The
// engine asks its runtime backend (engine/backend.ts hostFacts) rather than reading /proc itself.
import { readdirSync, readFileSync } from 'node:fs'
import { readMountinfo } from '../cgroups/mountinfo.js'
import { cgroupSupport, type CgroupSupportReport } from '../cgroups/support.js'

export interface HostFacts {
  /** Docker's "Cgroup Version": 2 when /sys/fs/cgroup itself is cgroup2 (unified), else 1. */
  cgroupVersion: '1' | '2'
  /** Whether resource limits can be enforced here, and with which controllers. */
  cgroups: CgroupSupportReport
  /** The filesystem under the store root, as overlay2's DriverStatus names it (extfs, xfs, …). */
  backingFilesystem: string
  ipv4Forwarding: boolean
  bridgeNfIptables: boolean
  bridgeNfIp6tables: boolean
  /** The engine's open file descriptors (Docker's NFd). */
  openFds: number
}

export function hostFacts(root: string): HostFacts {
  const mounts = readMountinfo()
  const atRoot = mounts.filter((m) => m.mountPoint === '/sys/fs/cgroup').pop()
  return {
    cgroupVersion: atRoot?.fsType === 'cgroup2' ? '2' : '1',
    cgroups: cgroupSupport(),
    backingFilesystem: backingFilesystem(root, mounts),
    ipv4Forwarding: readSysctl('/proc/sys/net/ipv4/ip_forward'),
    bridgeNfIptables: readSysctl('/proc/sys/net/bridge/bridge-nf-call-iptables'),
    bridgeNfIp6tables: readSysctl('/proc/sys/net/bridge/bridge-nf-call-ip6tables'),
    openFds: readdirSync('/proc/self/fd').length,
  }
}

/** A boolean sysctl; a missing one (br_netfilter not loaded) is off. */
function readSysctl(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1'
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** The longest mount point that holds `root`. */
function backingFilesystem(root: string, mounts: ReturnType<typeof readMountinfo>): string {
  let best = { len: -1, fs: 'unknown' }
  for (const m of mounts) {
    if ((root === m.mountPoint || root.startsWith(m.mountPoint.endsWith('/') ? m.mountPoint : m.mountPoint + '/')) && m.mountPoint.length >= best.len) {
      best = { len: m.mountPoint.length, fs: m.fsType === 'ext4' || m.fsType === 'ext3' ? 'extfs' : m.fsType }
    }
  }
  return best.fs
}
