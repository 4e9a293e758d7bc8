// A sealed, read-only copy of a program in memory, to run instead of the file on disk.
//
// Why (CVE-2019-5736): the runtime's shim enters the container's namespaces. While it runs there,
// /proc/<pid>/exe of it is a magic link to its executable; had it been the file on the host, a
// process of the container that gets through the kernel's ptrace checks on that link (a moment
// of the shim being dumpable, or CAP_SYS_PTRACE) could open the host's binary and, once the
// shim is gone, write into it: the next container start would run the attacker's code as root
// on the host. From a sealed memfd there is nothing of the host behind the link: the copy cannot
// be written (F_SEAL_WRITE), resized (F_SEAL_SHRINK/GROW) or unsealed (F_SEAL_SEAL), and it
// disappears with its last user. runc does the same (libcontainer/dmz, cloned_binary.c).
//
// One copy per Node process (the engine, a `tocker runtime` command), made on first use: each
// shim is then started from /proc/self/fd/N at no extra cost. The shim checks what it runs from
// and copies itself if it is not such a memfd (native-shims/shim/sealed.c), so a shim started any
// other way is covered too.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import * as native from '../../native-shims/memfd.js'
import { traced } from '../trace/trace.js'

const SEALS = native.F_SEAL_SEAL | native.F_SEAL_SHRINK | native.F_SEAL_GROW | native.F_SEAL_WRITE

/**
 * A read-only fd (close-on-exec, numbered 64 or above so that no dup2 onto a child's low fds can
 * hit it) on a sealed memfd holding `path`'s contents. The writable fd is closed before returning.
 */
export function sealedCopy(path: string, name: string): number {
  return traced(
    'syscall',
    'memfd_create',
    () => `"${name}", MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_EXEC; copy ${path}; F_ADD_SEALS SEAL|SHRINK|GROW|WRITE; reopen read-only`,
    () => {
      const data = readFileSync(path)
      const rw = native.memfdCreate(name)
      let ro: number
      try {
        for (let off = 0; off < data.length;) off += writeSync(rw, data, off, data.length - off)
        native.addSeals(rw, SEALS)
        const reopened = openSync(`/proc/self/fd/${rw}`, 'r')
        try {
          ro = native.dupAbove(reopened, 64)
        } finally {
          closeSync(reopened)
        }
      } finally {
        closeSync(rw)
      }
      return ro
    },
    (fd) => `fd ${fd}`,
  )
}
