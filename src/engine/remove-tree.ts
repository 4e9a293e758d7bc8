// Deleting a container's directory: its writable layer (upper/) holds whatever the container made,
// and a container can make millions of files or a tree deeper than any recursion. Node's rmSync
// would walk it on the engine's one thread (300k files: the engine did not answer for 5 s), and
// its recursion has a depth limit. coreutils' `rm -rf` walks it in a process of its own (fts: no
// recursion limit, symlinks removed and never followed, --one-file-system: never into a mount),
// while the engine goes on serving.
import { execFile } from 'node:child_process'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { tracedAsync } from '../trace/trace.js'

/** `what`: what the directory holds, for --explain. */
export function removeTree(dir: string, what?: string): Promise<void> {
  return tracedAsync('exec', 'rm', () => `-rf --one-file-system ${dir}${what ? ` (${what})` : ''}`, () =>
    new Promise<void>((resolve, reject) => {
      execFile('rm', ['-rf', '--one-file-system', '--', dir], { maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
        if (!err) return resolve()
        reject(new TockerError(`removing ${dir}: ${String(stderr).trim().split('\n')[0] || err.message}`, { code: 'ESTATE', cause: err }))
      })
    }))
}

/**
 * A container's directory (removal): when its writable layer is empty (upper/, the overlay's
 * work/work and the rootfs/ mount point hold nothing: a container that wrote no file), what is
 * left is what tocker made at create, a few dozen entries, deleted in this process with fs.rm
 * (each unlink on libuv's pool: no process start, which cost more than the rest of a removal:
 * the engine's fork alone took 15 ms of system time per `run --rm` at 100 MB RSS, and rm 10 ms).
 * work/work may hold the mark of a volatile mount (--rm: runtime/overlay.ts), three entries.
 * Anything else goes to `rm -rf` (removeTree). --explain shows it as the same step either way.
 */
export async function removeContainerTree(dir: string, what: string): Promise<void> {
  const work = join(dir, 'work', 'work')
  if (!((await holdsNothing(join(dir, 'upper'))) && (await holdsNothing(join(dir, 'rootfs'))) && (await holdsNothing(work, ['incompat', 'volatile', 'dirty'])))) return removeTree(dir, what)
  return tracedAsync('fs', 'rm', () => `-rf --one-file-system ${dir} (${what})`, async () => {
    try {
      await rm(dir, { recursive: true, force: true })
    } catch (err) {
      throw new TockerError(`removing ${dir}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
    }
  })
}

/** An empty directory, or none at all; with `chain`, also one holding only chain[0]/chain[1]/… (each a directory but the last). */
async function holdsNothing(dir: string, chain: string[] = []): Promise<boolean> {
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return true
    if (code === 'ENOTDIR') return false // not the shape asked for: rm -rf deletes whatever it is
    throw err
  }
  if (entries.length === 0) return true
  return entries.length === 1 && entries[0] === chain[0] && (chain.length === 1 || (await holdsNothing(join(dir, chain[0]), chain.slice(1))))
}
