// Names and lookup: the engine's containers by ID and by name, their records on disk, and Docker's
// rules for finding one ("full ID, exact name, unique ID prefix") and for claiming a name.
//
// Names are reserved synchronously, before any await: of two `run --name x` at once exactly one
// gets the name (a name being created maps to '').
//
// A record that cannot be written (a full disk) never makes the engine's picture wrong: where the
// change has already happened (a container started, or ended), the record stays right in memory
// and its write is retried every second until it succeeds (saveOrDefer).
import { mkdirSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { isFullId } from './ids.js'
import { generateName, normalizeName } from './names.js'
import { loadRecords, saveRecord, sweepContainersDir, type ContainerRecord } from './state.js'

const RETRY_MS = 1000

export class ContainerTable {
  readonly #records = new Map<string, ContainerRecord>()
  readonly #names = new Map<string, string>() // name → id (reserved names map to '')
  /** Records whose last write failed: what to do once one is written at last. */
  readonly #deferred = new Map<string, (() => void) | undefined>()
  #retry: NodeJS.Timeout | undefined

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
    for (const rec of loadRecords(this.dir)) {
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
      if (matches.length > 1) throw new TockerError(`multiple IDs found with provided prefix: ${r}`, { status: 400, daemon: true })
    }
    throw new TockerError(`No such container: ${ref}`, { status: 404, daemon: true })
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
          { status: 409, daemon: true },
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
    this.releaseName(rec.Name, rec.Id)
  }

  rename(rec: ContainerRecord, newName: string): void {
    if (!newName) throw new TockerError('Neither old nor new names may be empty', { status: 400, daemon: true })
    const name = normalizeName(newName)
    if (name === rec.Name) throw new TockerError('Renaming a container with the same name as its current name', { status: 400, daemon: true })
    const holder = this.#names.get(name)
    if (holder !== undefined) {
      throw new TockerError(
        `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
        { status: 409, daemon: true },
      )
    }
    const old = rec.Name
    this.#names.set(name, rec.Id)
    this.#names.delete(old)
    rec.Name = name
    try {
      this.save(rec)
    } catch (err) {
      // Not written: the old name stays, on disk and here.
      this.#names.delete(name)
      this.#names.set(old, rec.Id)
      rec.Name = old
      throw err
    }
  }

  /** Write the record (atomically) after every change; throws when it cannot (see storeWriteError). */
  save(rec: ContainerRecord): void {
    saveRecord(this.dir, rec)
    const writtenLater = this.#deferred.get(rec.Id)
    this.#deferred.delete(rec.Id)
    writtenLater?.()
  }

  /**
   * For a change that has happened whether or not it can be written (the container started, or
   * ended): write the record now (true), or keep retrying until the disk takes it (false), and
   * then run `writtenLater`.
   */
  saveOrDefer(rec: ContainerRecord, writtenLater?: () => void): boolean {
    try {
      this.save(rec)
    } catch (err) {
      this.log(`record of ${rec.Id} not written (retrying every ${RETRY_MS / 1000} s): ${(err as Error).message}`)
      const earlier = this.#deferred.get(rec.Id)
      this.#deferred.set(rec.Id, earlier && writtenLater ? () => (earlier(), writtenLater()) : earlier ?? writtenLater)
      this.#retry ??= setInterval(() => this.#retryDeferred(), RETRY_MS).unref()
      return false
    }
    return true
  }

  #retryDeferred(): void {
    for (const id of [...this.#deferred.keys()]) {
      const rec = this.#records.get(id)
      if (!rec) {
        this.#deferred.delete(id) // removed meanwhile
        continue
      }
      try {
        this.save(rec) // runs its writtenLater
      } catch {
        return // still no space: the next tick tries again
      }
    }
    if (this.#deferred.size === 0) this.close()
  }

  /** Whether a record's last write failed and is still being retried. */
  unwritten(id: string): boolean {
    return this.#deferred.has(id)
  }

  close(): void {
    if (this.#retry) clearInterval(this.#retry)
    this.#retry = undefined
  }
}
