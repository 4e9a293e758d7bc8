// A removed container's directory, deleted after the answer: the removal renames it into
// <root>/trash/<id> (one rename(2): the container's files are gone from its place at once, and the
// name's directory can be made again), tells whoever waits, and deletes the moved tree afterwards.
// Deleting it took 4-16 ms of `run --rm`'s and `rm -f`'s answer even for a container that wrote
// nothing (a few dozen entries, each unlink a round trip to libuv's pool, slower while the kernel
// tears down the container's network namespace), and seconds for a big writable layer. containerd's
// overlay snapshotter does the same with its asynchronous remove (rename, then Cleanup).
//
// An engine that dies before a deletion is done leaves the tree in trash/: the next engine deletes
// it at start (sweep). The engine's close waits for the deletions under way (flush), so nothing
// of them outlives it. A deletion that fails is reported in the engine's log; the tree stays in
// trash/ until the next start tries again (the container is gone either way: its name, record and
// network are).
import { mkdirSync, readdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { removeContainerTree, removeTree } from './remove-tree.js'

export class Trash {
  readonly #deleting = new Set<Promise<void>>()

  constructor(
    readonly dir: string,
    readonly warn: (msg: string) => void,
  ) {}

  /**
   * Move `path` (a container's directory) into trash/ under `id`; where it is now (undefined: there
   * was none; null: it cannot move, and the caller deletes it in place). rename(2) moves a name
   * within one mount only: a directory on another file system than trash/ (its own mount, as a
   * size-limited tmpfs on containers/) fails with EXDEV, and a directory that is itself a mount
   * point with EBUSY.
   */
  moveAside(path: string, id: string): string | null | undefined {
    const to = join(this.dir, id)
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    try {
      renameSync(path, to)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return undefined
      if (code === 'EXDEV' || code === 'EBUSY') return null
      throw err
    }
    return to
  }

  /** Delete a moved tree, in the background (flush waits for it). */
  delete(path: string, what: string): void {
    this.#track(removeContainerTree(path, what), path)
  }

  /** At engine start: what an engine that died mid-deletion left (a process: it may be big). */
  sweep(): void {
    let entries: string[]
    try {
      entries = readdirSync(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (const e of entries) this.#track(removeTree(join(this.dir, e)), join(this.dir, e))
  }

  /** Resolves once every deletion under way has ended. */
  async flush(): Promise<void> {
    while (this.#deleting.size) await Promise.all(this.#deleting)
  }

  #track(p: Promise<void>, path: string): void {
    const done: Promise<void> = p.catch((e) => this.warn(`deleting ${path}: ${(e as Error).message} (it stays in ${this.dir} until the next engine start)`)).finally(() => this.#deleting.delete(done))
    this.#deleting.add(done)
  }
}
