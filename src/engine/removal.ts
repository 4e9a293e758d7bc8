// Removing a container: refuse a running one unless forced (then kill it and wait for its exit to
// be recorded), mark it "removing" on disk (an engine killed mid-way finishes the job at its next
// start), release network and rootfs, delete its directory and name, tell `wait --condition removed`.
import { TockerError } from '../errors.js'
import type { NetworkBackend, RuntimeBackend } from './backend.js'
import type { ContainerTable } from './container-table.js'
import type { ContainerEvents } from './events.js'
import type { ExitMonitor } from './exits.js'
import { signalContainer } from './signals.js'
import { removeTree } from './remove-tree.js'
import { containerDir, type ContainerRecord } from './state.js'

export class Removal {
  readonly #listeners = new Map<string, Set<(error?: string) => void>>()

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
  ) {}

  /** Call `fn` once the container is removed, or with the error when its removal failed. */
  onRemoved(id: string, fn: (error?: string) => void): void {
    let set = this.#listeners.get(id)
    if (!set) this.#listeners.set(id, set = new Set())
    set.add(fn)
  }

  /**
   * `early` (--rm, which nobody's DELETE waits on): the container is forgotten and its waiters
   * (`run --rm` waits for "removed") are told as soon as nothing of it runs or holds a name, an
   * address or a volume; its directory (record, writable layer, log) is deleted after that, off the
   * critical path of `run --rm` (`rm -rf` is a process start). An explicit `rm` still answers only
   * once the directory is gone, so that a failure to delete it reaches the user.
   */
  async remove(rec: ContainerRecord, o: { force: boolean; volumes: boolean; early?: boolean }): Promise<void> {
    if (!this.table.has(rec.Id)) return
    if (rec.State.Running) {
      if (!o.force) {
        throw new TockerError(
          `cannot remove container "/${rec.Name}": container is running: stop the container before removing or force remove`,
          { status: 409, daemon: true },
        )
      }
      signalContainer(this.runtime, rec, 9)
      await this.exits.waitExit(rec, Infinity)
    }
    await this.exits.pending(rec.Id)
    rec.State.Status = 'removing'
    // The mark lets an engine killed mid-way finish the removal at its next start. On a full disk
    // it cannot be written, and removing is what frees space: go on without it. --rm (`early`)
    // needs no mark: its record still says "running" (see exits.ts), and an engine restarted
    // mid-way records that run's end and removes it as --rm asks.
    if (!o.early) this.table.saveOrDefer(rec)
    if (o.early) return this.finish(rec, () => (o.volumes ? this.removeVolumes(rec) : Promise.resolve()))
    await this.finish(rec)
    if (o.volumes) await this.removeVolumes(rec)
  }

  /**
   * The part after the "removing" mark (also run at engine start for a removal cut short). With
   * `beforeDir` (see remove's `early`): forget the container, run it, tell the waiters, and only
   * then delete the directory. An engine killed before the directory is gone finds the "removing"
   * mark in it at its next start and finishes the job.
   */
  async finish(rec: ContainerRecord, beforeDir?: () => Promise<void>): Promise<void> {
    await this.network?.release(rec).catch((e) => this.warn(`network release of ${rec.Id}: ${(e as Error).message}`))
    const dir = containerDir(this.table.dir, rec.Id)
    const what = 'upper/ = its writable layer, config.json, the log; the image stays'
    try {
      await this.runtime.cleanup(rec)
      await this.runtime.destroy(rec)
      // Off the engine's thread: see remove-tree.ts. With it goes upper/, the writable layer.
      if (!beforeDir) await removeTree(dir, what)
    } catch (err) {
      this.#failed(rec, err as Error)
      throw err
    }
    if (beforeDir) {
      this.table.delete(rec)
      // The waiters are told whatever happens now: a volume left behind is reported, not waited on.
      await beforeDir().catch((e) => this.warn(`removing the anonymous volumes of ${rec.Id}: ${(e as Error).message}`))
      this.#gone(rec)
      await removeTree(dir, what)
      return
    }
    this.table.delete(rec)
    this.#gone(rec)
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
    this.table.saveOrDefer(rec)
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
