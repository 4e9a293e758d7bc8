// Volumes: directories the engine keeps outside every container, so their content outlives the
// containers that use them. Laid out as Docker's "local" driver lays them out:
//
//   <root>/volumes/<name>/_data         what containers see (bind-mounted at their destination)
//   <root>/volumes/<name>/volume.json   tocker's record: labels, options, creation time
//
// Nothing is ever half-made: a volume is assembled under volumes/.tmp-<random>/ and appears by one
// rename(2); a removed one first disappears by a rename to volumes/.trash-<random>/ and is then
// deleted by `rm -rf` in a child process (a volume can hold millions of files). Whatever a crash
// leaves under those two prefixes is swept when the engine starts.
//
// "In use" is the containers' business (their records name their volumes); a create in progress
// holds a claim on each volume it will name, so that `volume rm` cannot slip in between the volume
// being ensured and the container's record being saved.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { type ErrorCode, TockerError } from '../../errors.js'
import type { Volume, VolumeCreateBody } from '../../api/types.js'
import { writeFileAtomic } from '../../sys/atomic-file.js'
import { removeTree } from '../remove-tree.js'

/** Docker's rule for a local volume's name (volume/local: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** The label Docker (23+) puts on the volumes it makes for VOLUME and `-v /path`. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous'

/** The local driver's options (volume/local/local_unix.go) and which others each one needs. */
const VALID_OPTS = new Set(['type', 'device', 'o', 'size'])
const MANDATORY_OPTS: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] }

export interface VolumeRecord {
  Name: string
  Driver: 'local'
  CreatedAt: string
  Labels: Record<string, string>
  Options: Record<string, string>
}

function invalid(message: string, code: ErrorCode = 'EINVALID'): TockerError {
  return new TockerError(message, { code, daemon: true })
}

export function noSuchVolume(name: string): TockerError {
  return new TockerError(`get ${name}: no such volume`, { daemon: true, code: 'ENOSUCHVOLUME' })
}

/** Docker's CreatedAt: RFC 3339 in the engine's local time with its offset, to the second. */
function rfc3339Local(d = new Date()): string {
  const off = -d.getTimezoneOffset()
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0')
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19)
  return `${local}${off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`}`
}

export class VolumeStore {
  readonly dir: string
  readonly #records = new Map<string, VolumeRecord>()
  /** Volumes a create in progress is about to name: name -> number of claims. */
  readonly #claims = new Map<string, number>()

  /** `users(name)`: the ids of the containers whose records name the volume. */
  constructor(
    root: string,
    readonly users: (name: string) => string[],
  ) {
    this.dir = join(root, 'volumes')
  }

  /** At engine start: sweep what interrupted creates and removals left, read every record. */
  load(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o701 })
    for (const entry of readdirSync(this.dir)) {
      const path = join(this.dir, entry)
      if (entry.startsWith('.tmp-') || entry.startsWith('.trash-')) {
        // A create that died before its rename (small), or a removal that died after it.
        void removeTree(path).catch(() => {})
        continue
      }
      if (!VOLUME_NAME.test(entry)) continue
      let text: string
      try {
        text = readFileSync(join(path, 'volume.json'), 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(path, err)
        // A volume directory without tocker's record (made by hand, or by Docker's layout): adopt
        // it as a plain volume, as Docker's local driver does for the directories it finds.
        if (!statSync(path).isDirectory()) continue
        mkdirSync(join(path, '_data'), { recursive: true, mode: 0o755 })
        const rec: VolumeRecord = { Name: entry, Driver: 'local', CreatedAt: rfc3339Local(statSync(path).mtime), Labels: {}, Options: {} }
        writeFileAtomic(join(path, 'volume.json'), JSON.stringify(rec) + '\n', { mode: 0o600 })
        this.#records.set(entry, rec)
        continue
      }
      let rec: VolumeRecord
      try {
        rec = JSON.parse(text) as VolumeRecord
      } catch (err) {
        throw unreadable(path, err)
      }
      if (rec?.Name !== entry) throw unreadable(path, new TockerError('not a volume record', { code: 'ESTATE', internal: true }))
      rec.Labels ??= {}
      rec.Options ??= {}
      this.#records.set(entry, rec)
    }
  }

  has(name: string): boolean {
    return this.#records.has(name)
  }

  get(name: string): VolumeRecord {
    const rec = this.#records.get(name)
    if (!rec) throw noSuchVolume(name)
    return rec
  }

  all(): VolumeRecord[] {
    return [...this.#records.values()]
  }

  /** The directory containers see. */
  dataDir(name: string): string {
    return join(this.dir, name, '_data')
  }

  view(rec: VolumeRecord): Volume {
    return {
      CreatedAt: rec.CreatedAt,
      Driver: rec.Driver,
      Labels: Object.keys(rec.Labels).length ? rec.Labels : null,
      Mountpoint: this.dataDir(rec.Name),
      Name: rec.Name,
      Options: Object.keys(rec.Options).length ? rec.Options : null,
      Scope: 'local',
    }
  }

  /**
   * POST /volumes/create (and -v NAME:/path for a name not yet there). An existing volume of the
   * same driver is returned as it is (Docker: creating is idempotent). Returns [record, created].
   */
  create(body: VolumeCreateBody, anonymous = false): [VolumeRecord, boolean] {
    const name = body.Name || randomBytes(32).toString('hex')
    const driver = body.Driver || 'local'
    if (!VOLUME_NAME.test(name)) {
      throw invalid(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      )
    }
    if (driver !== 'local') throw invalid(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`, 'ENOTFOUND')
    const existing = this.#records.get(name)
    if (existing) return [existing, false]
    const opts = { ...(body.DriverOpts ?? {}) }
    checkOptions(name, opts)
    const labels = { ...(body.Labels ?? {}) }
    if (anonymous) labels[ANONYMOUS_LABEL] = ''
    const rec: VolumeRecord = { Name: name, Driver: 'local', CreatedAt: rfc3339Local(), Labels: labels, Options: opts }
    mkdirSync(this.dir, { recursive: true, mode: 0o701 })
    const tmp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`)
    try {
      mkdirSync(join(tmp, '_data'), { recursive: true, mode: 0o755 })
      writeFileAtomic(join(tmp, 'volume.json'), JSON.stringify(rec) + '\n', { mode: 0o600 })
      renameSync(tmp, join(this.dir, name))
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true })
      throw new TockerError(`create ${name}: ${(err as Error).message}`, { code: 'ESTATE', daemon: true, cause: err })
    }
    this.#records.set(name, rec)
    return [rec, true]
  }

  /** Hold `name` for a container being created (so rm refuses it); returns the release. */
  claim(name: string): () => void {
    this.#claims.set(name, (this.#claims.get(name) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const n = (this.#claims.get(name) ?? 1) - 1
      if (n > 0) this.#claims.set(name, n)
      else this.#claims.delete(name)
    }
  }

  inUse(name: string): boolean {
    return this.#claims.has(name) || this.users(name).length > 0
  }

  /**
   * DELETE /volumes/{name}: refused while a container (running or not) names it. The check and
   * the rename that makes it disappear happen with no await between them.
   */
  async remove(name: string, force = false): Promise<void> {
    const rec = this.#records.get(name)
    if (!rec) {
      if (force) return
      throw noSuchVolume(name)
    }
    const users = this.users(name)
    if (users.length || this.#claims.has(name)) {
      throw new TockerError(`remove ${name}: volume is in use - [${users.join(', ') || 'a container being created'}]`, { daemon: true, code: 'EVOLUMEINUSE' })
    }
    const trash = join(this.dir, `.trash-${randomBytes(8).toString('hex')}`)
    renameSync(join(this.dir, name), trash)
    this.#records.delete(name)
    await removeTree(trash)
  }

  /** Bytes under the volume's _data (du in a child process: a volume may be huge). */
  size(name: string): Promise<number> {
    return new Promise((resolve) => {
      execFile('du', ['-s', '-B1', '--', this.dataDir(name)], { maxBuffer: 1 << 16 }, (err, stdout) => {
        resolve(err ? 0 : Number(String(stdout).split(/\s/)[0]) || 0)
      })
    })
  }
}

function checkOptions(name: string, opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw invalid(`create ${name}: invalid option: ${JSON.stringify(k)}`)
  for (const [k, needs] of Object.entries(MANDATORY_OPTS)) {
    if (!(k in opts)) continue
    for (const n of needs) if (!(n in opts)) throw invalid(`create ${name}: missing required option: ${JSON.stringify(n)}`)
  }
  if ('size' in opts && opts.type !== 'tmpfs') throw invalid(`create ${name}: size option is only supported for tmpfs volumes`)
}

function unreadable(path: string, cause: unknown): TockerError {
  return new TockerError(`cannot read the volume record ${join(path, 'volume.json')}: ${(cause as Error)?.message ?? cause}`, {
    code: 'ESTATE',
    cause,
    hint: 'Restore that file (or remove the volume directory if the volume is gone for good), then start the engine again.',
  })
}
