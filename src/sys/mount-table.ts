// Has this process's mount table changed since we last looked? /proc/self/mountinfo answers that
// without being read: an open mountinfo file polls POLLPRI|POLLERR once the table of the mount
// namespace it was opened in has changed (any mount, unmount or propagation change in it: the
// namespace's event counter, fs/proc_namespace.c mounts_poll), and each poll that says so resets
// it. util-linux's libmnt and systemd wait for mount changes the same way.
import { closeSync, openSync, readlinkSync } from 'node:fs'
import * as native from '../../native-shims/poll.js'

export interface MountTableWatch {
  /** true the first time, and whenever the table changed since the previous call. */
  changed(): boolean
}

/**
 * A watch on the mount namespace this process's main thread is in now. Should the thread be in
 * another one when asked (a create moves it for a while), that counts as changed, and the watch
 * follows the thread there.
 */
export function watchMountTable(): MountTableWatch {
  let fd = -1
  let ns = ''
  return {
    changed(): boolean {
      const now = readlinkSync('/proc/self/ns/mnt')
      if (fd >= 0 && now === ns) return (native.pollNow(fd, native.POLLPRI) & (native.POLLPRI | native.POLLERR)) !== 0
      if (fd >= 0) closeSync(fd)
      // Opened before the caller reads the table: a change in between is read and reported too.
      fd = openSync('/proc/self/mountinfo', 'r')
      ns = now
      return true
    },
  }
}
