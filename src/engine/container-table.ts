// Names and lookup: the engine's containers by ID and by name, their records on disk, and Docker's
// rules for finding one ("full ID, exact name, unique ID prefix") and for claiming a name.
//
// Names are reserved synchronously, before any await: of two `run --name x` at once exactly one
// gets the name (a name being created maps to '').
import { mkdirSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { isFullId } from './ids.js'
import { generateName, normalizeName } from './names.js'
import { loadRecords, saveRecord, type ContainerRecord } from './state.js'

export class ContainerTable {
  readonly #records = new Map<string, ContainerRecord>()
  readonly #names = new Map<string, string>() // name → id (reserved names map to '')

  /** `dir`: <root>/containers, one directory per container. */
  constructor(readonly dir: string) {}

  /** Read every record from disk (at engine start). */
  load(): ContainerRecord[] {
    mkdirSync(this.dir, { recursive: true, mode: 0o710 })
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
    this.#names.set(name, rec.Id)
    this.#names.delete(rec.Name)
    rec.Name = name
    this.save(rec)
  }

  /** Write the record (atomically) after every change. */
  save(rec: ContainerRecord): void {
    saveRecord(this.dir, rec)
  }
}
