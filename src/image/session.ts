// A process's private corner of the store's tmp/: every download, unpack and temporary file of one
// tocker process lives in tmp/<pid>-<random>/, next to tmp/<pid>-<random>.lock, on which the
// process holds a flock for as long as it lives. When a process dies (even by SIGKILL) the kernel
// drops that lock, and the next process that opens a session finds the lock free and removes the
// directory: a pull killed at any point leaves nothing but garbage here, and the garbage goes.
//
// Pins: while a pull has unpacked (or found) a layer but not yet committed the image that uses it,
// the layer is referenced by no image; tmp/<session>/pins/<diffID hex> tells `rmi`'s garbage
// collector to keep it. A dead process's pins vanish with its session.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { markTopDir } from '../sys/fs.js'
import { tryLock, type FileLock } from '../sys/lock.js'

const SESSION_NAME = /^\d+-[0-9a-f]{8}$/
const LOCK_SUFFIX = '.lock'

export class StoreSession {
  readonly dir: string
  #lock: FileLock
  #closed = false

  private constructor(dir: string, lock: FileLock) {
    this.dir = dir
    this.#lock = lock
  }

  /** Clean up after dead processes, then start a session of our own. */
  static open(tmpRoot: string): StoreSession {
    mkdirSync(tmpRoot, { recursive: true, mode: 0o700 })
    removeDeadSessions(tmpRoot)
    for (;;) {
      const name = `${process.pid}-${randomBytes(4).toString('hex')}`
      const lockPath = join(tmpRoot, name + LOCK_SUFFIX)
      try {
        writeFileSync(lockPath, '', { flag: 'wx', mode: 0o600 })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw err
      }
      const lock = tryLock(lockPath)
      // Between creating the file and locking it, another process's cleanup may have taken it for
      // a dead session's and unlinked it: then start over with a new name.
      if (!lock) continue
      if (!lock.stillLinked()) {
        lock.release()
        continue
      }
      const dir = join(tmpRoot, name)
      mkdirSync(dir, { mode: 0o700 })
      // Layers are unpacked in directories made here (mkdtemp): each is a tree of its own, unrelated
      // to its siblings. Tell ext4 so (see markTopDir): their files then go to a block group of
      // their own instead of one where thousands of files were just deleted.
      markTopDir(dir)
      return new StoreSession(dir, lock)
    }
  }

  mkdtemp(prefix: string): string {
    return mkdtempSync(join(this.dir, prefix))
  }

  pin(diffHex: string): void {
    mkdirSync(join(this.dir, 'pins'), { recursive: true })
    writeFileSync(join(this.dir, 'pins', diffHex), '')
  }

  unpin(diffHex: string): void {
    rmSync(join(this.dir, 'pins', diffHex), { force: true })
  }

  /** Remove our directory and lock (at exit; a crash leaves it to the next process). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    rmSync(this.dir, { recursive: true, force: true })
    try {
      unlinkSync(this.#lock.path)
    } catch {
      // already gone
    }
    this.#lock.release()
  }
}

/** Remove the directories of sessions whose process is gone (their lock is free). */
export function removeDeadSessions(tmpRoot: string): void {
  const names = namesIn(tmpRoot)
  const present = new Set(names)
  for (const name of names) {
    if (name.endsWith(LOCK_SUFFIX)) {
      const session = name.slice(0, -LOCK_SUFFIX.length)
      if (!SESSION_NAME.test(session)) continue
      const lock = tryLock(join(tmpRoot, name))
      if (!lock) continue // alive
      try {
        if (!lock.stillLinked()) continue
        rmSync(join(tmpRoot, session), { recursive: true, force: true })
        unlinkSync(join(tmpRoot, name))
      } finally {
        lock.release()
      }
    } else if (SESSION_NAME.test(name) && !present.has(name + LOCK_SUFFIX)) {
      // A directory whose lock file is gone: its owner can no longer be holding it (the lock file is
      // created first and removed last).
      if (!existsSync(join(tmpRoot, name + LOCK_SUFFIX))) rmSync(join(tmpRoot, name), { recursive: true, force: true })
    }
  }
}

/** Layers pinned by live sessions (ours included). */
export function pinnedLayers(tmpRoot: string): Set<string> {
  const pins = new Set<string>()
  for (const name of namesIn(tmpRoot)) {
    if (!SESSION_NAME.test(name)) continue
    for (const p of namesIn(join(tmpRoot, name, 'pins'))) pins.add(p)
  }
  return pins
}

/**
 * The names in a directory; none when it does not exist (no pins yet, or a session that just
 * ended). Any other failure is an error: read as "no pins", it would let rmi's garbage collector
 * remove a layer a live pull is about to commit.
 */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new TockerError(`cannot read the image store's ${dir}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
  }
}
