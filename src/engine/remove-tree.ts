// Deleting a container's directory: its writable layer (upper/) holds whatever the container made,
// and a container can make millions of files or a tree deeper than any recursion. Node's rmSync
// would walk it on the engine's one thread (300k files: the engine did not answer for 5 s), and
// its recursion has a depth limit. coreutils' `rm -rf` walks it in a process of its own (fts: no
// recursion limit, symlinks removed and never followed, --one-file-system: never into a mount),
// while the engine goes on serving.
import { execFile } from 'node:child_process'
import { TockerError } from '../errors.js'
import { tracedAsync } from '../trace/trace.js'

/** `what`: what the directory holds, for --explain. */
export function removeTree(dir: string, what?: string): Promise<void> {
  return tracedAsync('exec', 'rm', () => `-rf --one-file-system ${dir}${what ? ` (${what})` : ''}`, () =>
    new Promise<void>((resolve, reject) => {
      execFile('rm', ['-rf', '--one-file-system', '--', dir], { maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
        if (!err) return resolve()
        reject(new TockerError(`removing ${dir}: ${String(stderr).trim().split('\n')[0] || err.message}`, { cause: err }))
      })
    }))
}
