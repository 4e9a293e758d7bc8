// Cross-process locks on files with flock(2). The kernel drops a flock when the last fd of the
// holder closes, so a process killed with SIGKILL never leaves a stale lock behind (unlike lock
// files that merely exist). Node opens files with O_CLOEXEC, so children we spawn do not inherit
// the lock either.
//
// Waiting never blocks Node's event loop: `lock()` asks with LOCK_NB and retries on a timer.
// `lockSync()` uses a blocking flock and is only for critical sections that last microseconds
// (rewriting repositories.json); a long holder would stall the caller's whole process.
import { TockerError } from '../errors.js'
import { closeSync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from './fs.js'

export interface LockOptions {
  /** Several shared holders may coexist; an exclusive one excludes everyone. Default exclusive. */
  shared?: boolean
  /** Give up after this long (rejects with code ELOCKTIMEOUT). Default: wait forever. */
  timeoutMs?: number
  signal?: AbortSignal
}

export class FileLock {
  #fd: number | undefined

  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.#fd = fd
  }

  get held(): boolean {
    return this.#fd !== undefined
  }

  /** True when the lock file still is the one we locked (nobody unlinked or replaced it meanwhile). */
  stillLinked(): boolean {
    if (this.#fd === undefined) return false
    try {
      const a = fstatSync(this.#fd)
      const b = statSync(this.path)
      return a.ino === b.ino && a.dev === b.dev
    } catch {
      return false
    }
  }

  release(): void {
    if (this.#fd === undefined) return
    const fd = this.#fd
    this.#fd = undefined
    try {
      flock(fd, LOCK_UN, this.path)
    } finally {
      closeSync(fd)
    }
  }
}

function openLockFile(path: string): number {
  try {
    return openSync(path, 'a', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    return openSync(path, 'a', 0o600)
  }
}

/** Take the lock if it is free right now; undefined when another process holds it. */
export function tryLock(path: string, opts: { shared?: boolean } = {}): FileLock | undefined {
  const fd = openLockFile(path)
  try {
    if (flock(fd, (opts.shared ? LOCK_SH : LOCK_EX) | LOCK_NB, path)) return new FileLock(path, fd)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  closeSync(fd)
  return undefined
}

/** Wait for the lock without blocking the event loop (non-blocking flock retried on a timer). */
export async function lock(path: string, opts: LockOptions = {}): Promise<FileLock> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs
  let delay = 2
  for (;;) {
    opts.signal?.throwIfAborted()
    const l = tryLock(path, opts)
    if (l) return l
    if (Date.now() >= deadline) {
      throw new TockerError(`timed out waiting for the lock ${path}`, { code: 'ELOCKTIMEOUT', internal: true })
    }
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())), undefined, { signal: opts.signal })
    delay = Math.min(delay * 2, 100)
  }
}

/** Blocking flock: only for critical sections that last microseconds. */
export function lockSync(path: string, opts: { shared?: boolean } = {}): FileLock {
  const fd = openLockFile(path)
  try {
    flock(fd, opts.shared ? LOCK_SH : LOCK_EX, path)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  return new FileLock(path, fd)
}

export function withLockSync<T>(path: string, fn: () => T): T {
  const l = lockSync(path)
  try {
    return fn()
  } finally {
    l.release()
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const l = await lock(path, opts)
  try {
    return await fn()
  } finally {
    l.release()
  }
}
