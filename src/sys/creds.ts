// Files made as someone else: the calling thread's filesystem uid/gid (setfsuid/setfsgid), traced.
//
// Why: in a container with a user namespace, what the runtime makes inside the rootfs (mount
// points, device nodes, /dev/console) must belong to the container's root (host uid 100000, say),
// not to host root, who is nobody in there. And a rootfs mounted *id-mapped* (src/runtime/userns.ts)
// refuses to create anything for a caller whose fsuid the mapping does not cover: host uid 0 gets
// EOVERFLOW. So the runtime's thread takes the container root's host ids as its fsuid/fsgid while
// it prepares the rootfs, as crun's setup (which runs as the container's root) would have them.
//
// Surprise (capabilities(7)): changing the fsuid from 0 to another id clears CAP_CHOWN,
// CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE,
// CAP_MAC_OVERRIDE and CAP_MKNOD from the effective set: they are raised again (capset) so that the
// runtime can still make device nodes and mount points anywhere. Going back to fsuid 0 restores
// them by itself. All of it acts on the calling thread only: use synchronous code inside.
import * as native from '../../native-shims/creds.js'
import { TockerError } from '../errors.js'
import { traced } from '../trace/trace.js'

/** Run `fn` with the thread's fsuid/fsgid set to these host ids; back to 0/0 afterwards. */
export function asFsOwner<T>(uid: number, gid: number, fn: () => T): T {
  traced('syscall', 'setfsuid', () => `${uid}, setfsgid ${gid}, capset (effective = permitted): files the runtime makes now belong to the container's root`, () => {
    native.setfsgid(gid)
    native.setfsuid(uid)
    if (native.setfsuid(uid) !== uid || native.setfsgid(gid) !== gid) throw new TockerError(`setfsuid/setfsgid ${uid}/${gid} did not take`, { code: 'EPERM', internal: true })
    native.raiseEffectiveToPermitted()
  })
  try {
    return fn()
  } finally {
    native.setfsuid(0)
    native.setfsgid(0)
  }
}
