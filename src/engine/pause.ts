// `docker commit --pause` (the default): the container's processes are frozen while its writable
// layer is read, so the image gets one moment of it rather than files caught half-written. tocker
// uses cgroup v2's freezer: writing 1 to <cgroup>/cgroup.freeze stops every process of the cgroup
// (Linux 5.2+, no controller needed); cgroup.events says "frozen 1" once the last one has stopped
// (one in the middle of a system call stops on its way out); 0 thaws them.
//
// Without a cgroup v2 of its own for the container (a cgroup v1-only or hybrid host, where tocker
// makes no cgroup), there is nothing to freeze with: tocker never writes to cgroup v1 (another
// manager owns it). The commit then goes on unfrozen, as Docker's --pause=false, and --explain says
// why. Waiting for "frozen 1" is asynchronous: the engine's main thread does not stop with it.
import { freezerOf } from '../cgroups/index.js'
import { note } from '../trace/trace.js'

/**
 * Run `fn` with the container frozen when `pause` and it runs (pid set); thawed again whatever
 * happens. Without a usable freezer `fn` runs unfrozen (see the top of the file).
 */
export async function whileFrozen<T>(pid: number | undefined, pause: boolean, fn: () => Promise<T>): Promise<T> {
  if (!pause || pid === undefined) return fn()
  const f = freezerOf(pid)
  if ('why' in f) {
    note('commit', 'explain.note.commit.nofreeze', { why: f.why })
    return fn()
  }
  note('commit', 'explain.note.commit.freeze', { path: f.cgroup.path })
  try {
    await f.cgroup.freezeAsync(true)
  } catch (err) {
    await f.cgroup.freezeAsync(false)
    throw err
  }
  try {
    return await fn()
  } finally {
    await f.cgroup.freezeAsync(false)
  }
}
