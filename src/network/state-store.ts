// The network state as the manager holds it: <root>/network/state.json under the store's flock,
// the operations of one manager in a queue (one at a time, in order), the state as last read or
// written kept in memory (what name lookups and reads during a write answer from).
import { withLock } from '../sys/lock.js'
import { readState, removeState, writeState, writeStateAsync, type StatePaths } from './state.js'
import type { NetworkState } from './types.js'

export class NetworkStateStore {
  #queue: Promise<unknown> = Promise.resolve()
  /** The state as last read or written under the lock: what name lookups read (no file read per query). */
  #cache: NetworkState | undefined
  /** Writes of the state under way: meanwhile the file may still hold the state before them. */
  #writing = 0

  constructor(
    readonly paths: StatePaths,
    readonly bridge: string,
  ) {}

  /**
   * Run `fn` after every earlier operation of this store, under the store's network lock. `hold`:
   * work `fn` leaves running when it returns (a port rule being added) that the next operation
   * waits for all the same (it may undo what that work does).
   */
  serial<T>(fn: (state: NetworkState, hold: (p: Promise<unknown>) => void) => Promise<T>): Promise<T> {
    const held: Promise<unknown>[] = []
    const run = this.#queue.then(() =>
      withLock(this.paths.lock, () => {
        const state = readState(this.paths, this.bridge)
        this.#cache = state
        return fn(state, (p) => held.push(p))
      })
    )
    this.#queue = run.catch(() => {}).then(() => Promise.allSettled(held))
    return run
  }

  /**
   * The state to disk, its fsync off the main thread. Every caller awaits it inside its serial
   * operation, so the next operation (which reads the file) finds it written, and no two writes
   * of this file are ever under way at once.
   */
  async write(state: NetworkState): Promise<void> {
    this.#cache = state
    this.#writing++
    try {
      await writeStateAsync(this.paths, state)
    } finally {
      this.#writing--
    }
  }

  /** The state to disk at once, fsync included (reconcile: once, at engine start, nothing else under way). */
  writeSync(state: NetworkState): void {
    writeState(this.paths, state)
    this.#cache = state
  }

  /** The state file goes (teardown). */
  remove(): void {
    removeState(this.paths)
    this.#cache = undefined
  }

  /**
   * Every network, as on disk; while a write of ours is under way, as it will be on disk (the
   * cache): the write holds the store's lock until it lands, so no other process can have changed
   * the file in between, and the file itself may still hold the state before it (see release).
   */
  snapshot(): NetworkState {
    if (this.#writing > 0 && this.#cache) return this.#cache
    const s = readState(this.paths, this.bridge)
    this.#cache = s
    return s
  }

  /** The state last seen (for the DNS responder's lookups: no file read per query). */
  cached(): NetworkState {
    return this.#cache ?? this.snapshot()
  }
}
