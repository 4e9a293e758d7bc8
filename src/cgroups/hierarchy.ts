// The tocker parent cgroup (<mount>/tocker) and the controllers it hands down.
//
// In cgroup v2 a controller is usable in a cgroup only if its parent lists it in
// cgroup.subtree_control, all the way down from the root: to limit memory in /tocker/<id>, both
// /cgroup.subtree_control and /tocker/cgroup.subtree_control must contain "memory".
//
// The "no internal processes" rule: a cgroup that holds processes cannot enable controllers for its
// children (the write fails with EBUSY), because then its own processes and its children would
// compete for one resource under two different rules. Only the root cgroup is exempt. So:
//   - the root: processes live there (init, the shell that ran tocker), and enabling works anyway;
//   - /tocker: never holds a process itself, only container cgroups below it;
//   - /tocker/<id>: holds the container's processes and enables nothing.
// If the mount's top is not the real root (tocker running inside a container with its own cgroup
// namespace, where the top holds that container's processes), the write fails with EBUSY: we say so.
import { TockerError } from '../errors.js'
import { readCgroupFile, writeCgroupFile } from './files.js'
import { assertOnCgroup2 } from './guard.js'
import { cgroupHost } from './host.js'
import { traced } from '../trace/trace.js'

export const PARENT_NAME = 'tocker'

/** Enable `controllers` in `dir`'s cgroup.subtree_control, writing only the missing ones. */
export function enableForChildren(dir: string, controllers: readonly string[]): void {
  const enabled = readCgroupFile(`${dir}/cgroup.subtree_control`).trim().split(/\s+/)
  const missing = controllers.filter((c) => !enabled.includes(c))
  if (missing.length === 0) return
  try {
    writeCgroupFile(`${dir}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(' '))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EBUSY') {
      throw new TockerError(
        `cannot enable the ${missing.join(', ')} controller(s) in ${dir}: that cgroup holds processes, and cgroup v2 lets only ` +
          `a cgroup without processes (or the root) hand controllers to its children`,
        { code: 'ECGROUP', hint: 'Run tocker from the host itself (not from inside a container), or move the processes of that cgroup into a child cgroup first.', cause: err },
      )
    }
    throw err
  }
}

/** Make sure <mount>/tocker exists and hands `controllers` to container cgroups. Returns its path. */
export function prepareParent(mountpoint: string, controllers: readonly string[]): string {
  const parent = `${mountpoint}/${PARENT_NAME}`
  enableForChildren(mountpoint, controllers)
  if (!cgroupHost().exists(parent)) {
    assertOnCgroup2(parent, 'mkdir')
    // recursive: another tocker process may create it at the same moment; EEXIST is fine.
    traced('cgroup', 'mkdir', () => parent, () => cgroupHost().mkdir(parent, { recursive: true }))
  }
  enableForChildren(parent, controllers)
  return parent
}
