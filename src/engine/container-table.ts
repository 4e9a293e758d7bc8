// Names and lookup: the engine's containers by ID and by name, their records on disk, and Docker's
// rules for finding one ("full ID, exact name, unique ID prefix") and for claiming a name.
//
// Names are reserved synchronously, before any await: of two `run --name x` at once exactly one
// gets the name (a name being created maps to '').
//
// A record that cannot be written (a full disk) never makes the engine's picture wrong: where the
// change has already happened (a container started, or ended), the record stays right in memory
// and its write is retried every second until it succeeds (saveOrDefer).
//
// Records are written off the engine's main thread (write + fdatasync on libuv's pool, then
// rename: state.ts): an fsync took ~1.6 ms on a quiet disk and tens of ms on a busy one, every
// one of them a stall for every client. The writes of one container are kept in order (a chain
// per container): the text is taken when save is called, and a write that finds a later one
// already on disk is skipped, since that one holds its change too. Whoever answers a client
// awaits the write first, so what the client was told survives an engine killed right after.
//
// Except for --rm (AutoRemove) containers, records are also fsynced, so that what a client was told
// survives a crash of the machine too, as Docker's do (container.toDisk writes config.v2.json and
// hostconfig.json through its atomic writer, which fsyncs before the rename). An --rm container's
// record is not: after a crash of the machine Docker removes every --rm container that does not run
// (daemon.restore), and so does the engine (a record cut short by that crash: state.ts's
// loadRecords; a whole one says "running" or "created", and is removed at its exit or kept, as
// before). `run --rm` thereby waits for no fsync at all: those of its create and start records
// took 3-5 ms each at load 1.5, 20-30 ms at load 6 (run-profile, s8 and s9).
import { mkdirSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { isFullId } from './ids.js'
import { generateName, normalizeName } from './names.js'
import { loadRecords, recordText, saveRecord, sweepContainersDir, type ContainerRecord } from './state.js'

const RETRY_MS = 1000

/** The writes of one container's record: the last text asked for, and what is on disk. */
interface RecordWrites {
  /** Counts the saves asked for; `text` is that of the last one. */
  asked: number
  text: string
  /** Whether `text` must be fsynced (not for an --rm container: see the top of this file). */
  durable: boolean
  /** The number of the save whose text is on disk (0: none of this series). */
  written: number
  /** Settles when every write asked for so far has ended. */
  chain: Promise<void>
  /** The container was removed: no write may bring its directory's record back. */
  dropped: boolean
}

export class ContainerTable {
  readonly #records = new Map<string, ContainerRecord>()
  readonly #names = new Map<string, string>() // name → id (reserved names map to '')
  /** Records whose last write failed: what to do once one is written at last. */
  readonly #deferred = new Map<string, (() => void) | undefined>()
  readonly #writes = new Map<string, RecordWrites>()
  #retry: NodeJS.Timeout | undefined
  #retrying = false

  /** `dir`: <root>/containers, one directory per container. `log`: the engine's debug log. */
  constructor(
    readonly dir: string,
    readonly log: (msg: string) => void = () => {},
  ) {}

  /** Read every record from disk (at engine start), after removing what interrupted writes left. */
  load(): ContainerRecord[] {
    mkdirSync(this.dir, { recursive: true, mode: 0o710 })
    const swept = sweepContainersDir(this.dir)
    if (swept.length) this.log(`removed leftovers in ${this.dir}: ${swept.join(', ')}`)
    const dropped = (id: string) => this.log(`removed container ${id}: an --rm container, its record cut short by the crash that ended the previous boot (Docker removes such containers at its start too)`)
    for (const rec of loadRecords(this.dir, dropped)) {
      this.#records.set(rec.Id, rec)
      this.#names.set(rec.Name, rec.Id)
    }
    return this.all()
  }

  all(): ContainerRecord[] {
    return [...this.#records.values()]
  }

  has(id: string): boolean {
    return this.#records.has(id)
  }

  /** Docker's order: full ID, exact name, then a unique ID prefix. */
  find(ref: string): ContainerRecord {
    const r = ref.replace(/^\//, '')
    if (isFullId(r) && this.#records.has(r)) return this.#records.get(r)!
    const byName = this.#names.get(r)
    if (byName && this.#records.has(byName)) return this.#records.get(byName)!
    if (/^[0-9a-f]+$/.test(r)) {
      const matches = [...this.#records.keys()].filter((id) => id.startsWith(r))
      if (matches.length === 1) return this.#records.get(matches[0])!
      if (matches.length > 1) throw new TockerError(`multiple IDs found with provided prefix: ${r}`, { code: 'EINVALID', daemon: true })
    }
    throw new TockerError(`No such container: ${ref}`, { code: 'ENOTFOUND', daemon: true })
  }

  /** Claim `name` (or a generated one) for the container `id` being created; returns the name. */
  reserveName(name: string | undefined, id: string): string {
    let finalName: string
    if (name) {
      finalName = normalizeName(name)
      const holder = this.#names.get(finalName)
      if (holder !== undefined) {
        throw new TockerError(
          `Conflict. The container name "/${finalName}" is already in use by container "${holder || 'another container being created'}". You have to remove (or rename) that container to be able to reuse that name.`,
          { code: 'ECONFLICT', daemon: true },
        )
      }
    } else {
      let retry = 0
      do finalName = generateName(retry++)
      while (this.#names.has(finalName))
    }
    this.#names.set(finalName, id)
    return finalName
  }

  /** Give back a name reserved by a create that failed. */
  releaseName(name: string, id: string): void {
    if (this.#names.get(name) === id) this.#names.delete(name)
  }

  add(rec: ContainerRecord): void {
    this.#records.set(rec.Id, rec)
  }

  /** Forget a removed container and free its name. */
  delete(rec: ContainerRecord): void {
    this.#records.delete(rec.Id)
    this.#deferred.delete(rec.Id)
    const w = this.#writes.get(rec.Id)
    if (w) w.dropped = true
    this.releaseName(rec.Name, rec.Id)
  }

  /**
   * Resolves once every write of `id`'s record asked for so far has ended (written or failed):
   * before its directory is deleted, so that no write lands in a directory being removed.
   */
  settled(id: string): Promise<void> {
    return this.#writes.get(id)?.chain ?? Promise.resolve()
  }

  async rename(rec: ContainerRecord, newName: string): Promise<void> {
    if (!newName) throw new TockerError('Neither old nor new names may be empty', { code: 'EINVALID', daemon: true })
    const name = normalizeName(newName)
    if (name === rec.Name) throw new TockerError('Renaming a container with the same name as its current name', { code: 'EINVALID', daemon: true })
    const holder = this.#names.get(name)
    if (holder !== undefined) {
      throw new TockerError(
        `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
        { code: 'ECONFLICT', daemon: true },
      )
    }
    const old = rec.Name
    this.#names.set(name, rec.Id)
    this.#names.delete(old)
    rec.Name = name
    try {
      await this.save(rec)
    } catch (err) {
      // Not written: the old name stays, on disk and here.
      this.#names.delete(name)
      this.#names.set(old, rec.Id)
      rec.Name = old
      throw err
    }
  }

  /**
   * Write the record as it is now (atomically, off the main thread); resolves once it is on disk.
   * Rejects when it cannot be written (see storeWriteError). The caller's promise must be handled
   * even when it answers its client without it (see Lifecycle: create and start overlap a write
   * with other work and await it before they answer).
   */
  save(rec: ContainerRecord): Promise<void> {
    const id = rec.Id
    let w = this.#writes.get(id)
    if (!w) this.#writes.set(id, w = { asked: 0, text: '', durable: true, written: 0, chain: Promise.resolve(), dropped: false })
    const writes = w
    const mine = ++writes.asked
    writes.text = recordText(rec)
    writes.durable = !rec.HostConfig.AutoRemove
    const job = writes.chain.then(async () => {
      if (writes.written >= mine || writes.dropped) return // a later text is on disk already, or the container is gone
      const n = writes.asked
      await saveRecord(this.dir, id, writes.text, writes.durable)
      writes.written = n
    })
    const chain = (writes.chain = job.then(
      () => undefined,
      () => undefined, // the failure is the caller's (job, returned below); the next write tries again
    ))
    void chain.then(() => {
      if (this.#writes.get(id) === writes && writes.chain === chain) this.#writes.delete(id)
    })
    return job.then(() => {
      const writtenLater = this.#deferred.get(id)
      this.#deferred.delete(id)
      writtenLater?.()
    })
  }

  /**
   * For a change that has happened whether or not it can be written (the container started, or
   * ended): write the record now (true), or keep retrying until the disk takes it (false), and
   * then run `writtenLater`. Never rejects.
   */
  async saveOrDefer(rec: ContainerRecord, writtenLater?: () => void): Promise<boolean> {
    try {
      await this.save(rec)
    } catch (err) {
      if (!this.#records.has(rec.Id)) {
        this.log(`record of ${rec.Id} not written (the container was removed meanwhile): ${(err as Error).message}`)
        return false
      }
      this.log(`record of ${rec.Id} not written (retrying every ${RETRY_MS / 1000} s): ${(err as Error).message}`)
      const earlier = this.#deferred.get(rec.Id)
      this.#deferred.set(rec.Id, earlier && writtenLater ? () => (earlier(), writtenLater()) : earlier ?? writtenLater)
      this.#retry ??= setInterval(() => void this.#retryDeferred(), RETRY_MS).unref()
      return false
    }
    return true
  }

  async #retryDeferred(): Promise<void> {
    if (this.#retrying) return
    this.#retrying = true
    try {
      for (const id of [...this.#deferred.keys()]) {
        const rec = this.#records.get(id)
        if (!rec) {
          this.#deferred.delete(id) // removed meanwhile
          continue
        }
        try {
          await this.save(rec) // runs its writtenLater
        } catch {
          return // still no space: the next tick tries again (the first failure was logged)
        }
      }
      if (this.#deferred.size === 0) this.close()
    } finally {
      this.#retrying = false
    }
  }

  /** Whether a record's last write failed and is still being retried. */
  unwritten(id: string): boolean {
    return this.#deferred.has(id)
  }

  close(): void {
    if (this.#retry) clearInterval(this.#retry)
    this.#retry = undefined
  }

  /** Resolves once every record write asked for so far has ended (engine shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#writes.values()].map((w) => w.chain))
  }
}
