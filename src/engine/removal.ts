// Removing a container: refuse a running one unless forced (then kill it and wait for its exit to
// be recorded), mark it "removing" on disk (an engine killed mid-way finishes the job at its next
// start), release network and rootfs, delete its directory and name, tell `wait --condition removed`.
import { TockerError } from '../errors.js'
import type { NetworkBackend, RuntimeBackend } from './backend.js'
import type { ContainerTable } from './container-table.js'
import type { ContainerEvents } from './events.js'
import type { ExitMonitor } from './exits.js'
import { signalContainer } from './signals.js'
import { removeContainerTree } from './remove-tree.js'
import { containerDir, type ContainerRecord } from './state.js'
import type { Trash } from './trash.js'
import { isTracing } from '../trace/trace.js'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const WHAT = 'upper/ = its writable layer, config.json, the log; the image stays'

export class Removal {
  readonly #listeners = new Map<string, Set<(error?: string) => void>>()
  /** Containers being killed by a forced removal (their exit is followed by the removal). */
  readonly #killing = new Set<string>()

  constructor(
    readonly table: ContainerTable,
    readonly exits: ExitMonitor,
    readonly runtime: RuntimeBackend,
    readonly network: NetworkBackend | undefined,
    readonly events: ContainerEvents,
    /** A release that failed on the way (the removal goes on; the engine log reports it). */
    readonly warn: (msg: string) => void,
    /** rm -v (and --rm): the container's anonymous volumes go with it. */
    readonly removeVolumes: (rec: ContainerRecord) => Promise<void> = async () => {},
    /** Where a removed container's directory goes to be deleted after the answer (trash.ts). */
    readonly trash?: Trash,
    /** Resolves once the container's attach streams have delivered its log (streams.ts attachesDone). */
    readonly attachesDone: (id: string) => Promise<void> = async () => {},
  ) {}

  /** Whether the container's exit now is one that `rm -f` caused (its removal follows). */
  killing(id: string): boolean {
    return this.#killing.has(id)
  }

  /** Call `fn` once the container is removed, or with the error when its removal failed. */
  onRemoved(id: string, fn: (error?: string) => void): void {
    let set = this.#listeners.get(id)
    if (!set) this.#listeners.set(id, set = new Set())
    set.add(fn)
  }

  /**
   * `rm` (and `autoRemove`: --rm, at the exit). Whoever waits is answered once the container is
   * gone whole: name, address, runtime, directory (record, writable layer, log), volumes with -v.
   * The directory is gone from its place before the answer; its files are deleted after it
   * (trash.ts), except when someone follows the trace (--explain, --step): that client stops
   * listening once answered, and a learner must see the writable layer deleted.
   */
  async remove(rec: ContainerRecord, o: { force: boolean; volumes: boolean; autoRemove?: boolean }): Promise<void> {
    if (!this.table.has(rec.Id)) return
    let marked: Promise<boolean> | undefined
    if (rec.State.Running) {
      if (!o.force) {
        throw new TockerError(
          `cannot remove container "/${rec.Name}": container is running: stop the container before removing or force remove`,
          { code: 'ECONFLICT', daemon: true },
        )
      }
      // The mark (below) goes to disk while the container is killed and its exit is processed:
      // its write, an fsync of 2-13 ms, was on rm -f's answer after them. Docker too marks it
      // "removing" before the kill. An engine killed after the mark landed finishes the
      // removal at its next start, killing what still runs (the runtime's forced delete).
      if (!o.autoRemove) {
        rec.State.Status = 'removing'
        marked = this.table.saveOrDefer(rec)
      }
      this.#killing.add(rec.Id)
      try {
        try {
          signalContainer(this.runtime, rec, 9)
        } catch (err) {
          // Not killed: it runs on, and no restarted engine may finish a removal that failed.
          if (marked) {
            rec.State.Status = 'running'
            await marked
            await this.table.saveOrDefer(rec)
          }
          throw err
        }
        await this.exits.waitExit(rec, Infinity)
      } finally {
        this.#killing.delete(rec.Id)
      }
    }
    await this.exits.pending(rec.Id)
    rec.State.Status = 'removing'
    // The mark lets an engine killed mid-way finish the removal at its next start. On a full disk
    // it cannot be written, and removing is what frees space: go on without it. --rm needs no
    // mark: its record still says "running" (see exits.ts), and an engine restarted mid-way
    // records that run's end and removes it as --rm asks.
    if (o.autoRemove) return this.finish(rec, () => (o.volumes ? this.removeVolumes(rec) : Promise.resolve()))
    await (marked ?? this.table.saveOrDefer(rec))
    await this.finish(rec)
    if (o.volumes) await this.removeVolumes(rec)
  }

  /**
   * The part after the "removing" mark (also run at engine start for a removal cut short):
   * release, clean up, delete the directory, forget the container; with `beforeGone` (--rm's
   * anonymous volumes) run that, then tell the waiters.
   */
  async finish(rec: ContainerRecord, beforeGone?: () => Promise<void>): Promise<void> {
    // Its log goes with the directory: not before the attached clients have had what it holds.
    const delivered = this.attachesDone(rec.Id)
    await this.network?.release(rec).catch((e) => this.warn(`network release of ${rec.Id}: ${(e as Error).message}`))
    const dir = containerDir(this.table.dir, rec.Id)
    let aside: string | undefined
    try {
      await this.runtime.cleanup(rec)
      await this.runtime.destroy(rec)
      // Not while a write of its record is under way (it would land in the directory being emptied).
      await this.table.settled(rec.Id)
      await delivered
      // With it goes upper/, the writable layer: moved aside now and deleted after the answer, or
      // deleted here (traced; or something is still mounted on rootfs/: then a deletion that
      // fails must leave the container "Dead", for `rm` to try again, not hidden in trash/).
      const moved = this.trash && !isTracing() && isEmptyDir(join(dir, 'rootfs')) ? this.trash.moveAside(dir, rec.Id) : null
      if (moved === null) await removeContainerTree(dir, WHAT)
      else aside = moved
    } catch (err) {
      this.#failed(rec, err as Error)
      throw err
    }
    this.table.delete(rec)
    // The waiters are told whatever happens now: a volume left behind is reported, not waited on.
    if (beforeGone) await beforeGone().catch((e) => this.warn(`removing the anonymous volumes of ${rec.Id}: ${(e as Error).message}`))
    this.#gone(rec)
    if (aside) this.trash!.delete(aside, WHAT)
  }

  /**
   * A removal that failed half-way, as Docker handles it (daemon/delete.go, SetRemovalError): the
   * container is "Dead" (never started again; `rm` may try again), and whoever waits for its
   * removal (`run --rm`, `wait --condition removed`) is told, with the error, instead of waiting
   * forever.
   */
  #failed(rec: ContainerRecord, err: Error): void {
    const message = `unable to remove container ${rec.Id}: ${err.message}`
    rec.State = { ...rec.State, Status: 'dead', Dead: true, Running: false, Error: message }
    void this.table.saveOrDefer(rec) // (never rejects; a write that fails is retried)
    const listeners = this.#listeners.get(rec.Id)
    this.#listeners.delete(rec.Id)
    for (const fn of listeners ?? []) fn(message)
  }

  /** Removed: Docker's "destroy" event, and every `wait` for it (or for the exit) answered. */
  #gone(rec: ContainerRecord): void {
    this.events.container(rec, 'destroy')
    const listeners = this.#listeners.get(rec.Id)
    this.#listeners.delete(rec.Id)
    for (const fn of listeners ?? []) fn()
    this.exits.release(rec.Id)
  }
}

/** An empty directory, or none at all (its container's overlay is not mounted on it). */
function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
}
