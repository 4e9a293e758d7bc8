// The safety catch in front of every cgroup write, mkdir and rmdir: the target must be on a cgroup2
// filesystem. statfs(2) names a filesystem by its "magic" number: cgroup2 is 0x63677270 ("cgrp" in
// ASCII), a v1 hierarchy is CGROUP_SUPER_MAGIC 0x27e0eb. On a hybrid host both sit side by side under
// /sys/fs/cgroup, and a v1 hierarchy belongs to someone else (systemd, a process manager): one
// misjoined path must never become a write there.
import { TockerError } from '../errors.js'
import { cgroupHost } from './host.js'
import { dirname } from 'node:path'

export const CGROUP2_SUPER_MAGIC = 0x63677270
export const CGROUP_SUPER_MAGIC = 0x27e0eb

/** The statfs magic of the filesystem `path` (or, if it does not exist yet, its nearest existing ancestor) lives on. */
export function filesystemMagic(path: string): number {
  for (let p = path;; p = dirname(p)) {
    try {
      return cgroupHost().magic(p)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || p === '/') throw err
    }
  }
}

/** Throw unless `path` is on cgroup2. `what` says what was about to happen, for the message. */
export function assertOnCgroup2(path: string, what: string): void {
  if (!path.startsWith('/') || path.split('/').includes('..')) {
    throw new TockerError(`refusing to ${what} ${path}: cgroup paths must be absolute and without ".."`, { code: 'ECGROUPGUARD', internal: true })
  }
  const magic = filesystemMagic(path)
  if (magic !== CGROUP2_SUPER_MAGIC) {
    const kind = magic === CGROUP_SUPER_MAGIC ? 'a cgroup v1 hierarchy' : `not a cgroup2 filesystem (statfs magic 0x${magic.toString(16)})`
    throw new TockerError(`refusing to ${what} ${path}: it is on ${kind}; tocker only writes to cgroup v2`, { code: 'ECGROUPGUARD', internal: true })
  }
}
