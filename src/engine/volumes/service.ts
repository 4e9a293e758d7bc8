// The engine's volumes: Docker's /volumes API (create, list with filters, inspect, remove, prune),
// and what a container create does with its mounts: ensure each named volume (creating it), make
// its anonymous ones, copy the image's content into an empty volume (copy-up.ts), and, when the
// create fails, take back every volume it made. The containers' records say who uses what.
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { TockerError } from '../../errors.js'
import type { MountPoint, Volume, VolumeCreateBody, VolumeListResponse, VolumePruneReport } from '../../api/types.js'
import { shortLowerDirs } from '../../image/layer-links.js'
import { copyUp } from '../../runtime/copy-up.js'
import { storeLayout } from '../../store/layout.js'
import type { EventBus } from '../events.js'
import { boolFilter, matchLabels, matchNotLabels, parseFilters } from '../filters.js'
import type { MountPlan } from './mounts.js'
import { ANONYMOUS_LABEL, VolumeStore, type VolumeRecord } from './store.js'

export interface VolumeUser {
  id: string
  /** The volume names its record mounts. */
  volumes: string[]
  /** Its anonymous volumes (removed with it by rm -v and --rm). */
  anonymous: string[]
}

export interface VolumeServiceOptions {
  root: string
  events: EventBus
  /** Every container record's volume use. */
  users(): VolumeUser[]
}

/** The mounts of a created container: inspect's Mounts and the plans with their sources resolved. */
export interface ResolvedMounts {
  mounts: MountPoint[]
  plans: MountPlan[]
  /** Take back the volumes this create made (its create failed). */
  undo(): Promise<void>
  /** The create is recorded (or failed): drop the claims that kept `volume rm` away meanwhile. */
  release(): void
}

const LIST_FILTERS = ['dangling', 'driver', 'label', 'name']
const PRUNE_FILTERS = ['label', 'label!', 'all']

export class VolumeService {
  readonly store: VolumeStore
  readonly #layers: string

  constructor(readonly opts: VolumeServiceOptions) {
    this.store = new VolumeStore(opts.root, (name) => opts.users().filter((u) => u.volumes.includes(name)).map((u) => u.id))
    this.#layers = storeLayout(opts.root).layers
  }

  load(): void {
    this.store.load()
  }

  // ---- the API ----

  create(body: VolumeCreateBody): Volume {
    const [rec, created] = this.store.create(body ?? {})
    if (created) this.opts.events.emit('volume', 'create', rec.Name, { driver: rec.Driver })
    return this.store.view(rec)
  }

  inspect(name: string): Volume {
    return this.store.view(this.store.get(name))
  }

  list(filtersRaw: string | null | undefined): VolumeListResponse {
    const f = parseFilters(filtersRaw, LIST_FILTERS)
    const dangling = boolFilter(f, 'dangling')
    const used = this.#usedNames()
    const vols = this.store.all().filter((v) => {
      if (dangling !== undefined && used.has(v.Name) === dangling) return false
      if (f.get('driver') && !f.get('driver')!.includes(v.Driver)) return false
      if (f.get('name') && !f.get('name')!.some((n) => v.Name.includes(n))) return false
      return matchLabels(f, v.Labels)
    })
    return { Volumes: vols.sort((a, b) => a.Name.localeCompare(b.Name)).map((v) => this.store.view(v)), Warnings: null }
  }

  async remove(name: string, force: boolean): Promise<void> {
    await this.store.remove(name, force)
    this.opts.events.emit('volume', 'destroy', name, { driver: 'local' })
  }

  /**
   * POST /volumes/prune: volumes no container names. Docker 23+ prunes only anonymous ones unless
   * all=true (`docker volume prune -a`).
   */
  async prune(filtersRaw: string | null | undefined): Promise<VolumePruneReport> {
    const f = parseFilters(filtersRaw, PRUNE_FILTERS)
    const all = boolFilter(f, 'all') ?? false
    const used = this.#usedNames()
    const deleted: string[] = []
    let reclaimed = 0
    for (const v of this.store.all()) {
      if (used.has(v.Name) || this.store.inUse(v.Name)) continue
      if (!all && !(ANONYMOUS_LABEL in v.Labels)) continue
      if (!matchLabels(f, v.Labels) || !matchNotLabels(f, v.Labels)) continue
      const size = await this.store.size(v.Name)
      try {
        await this.remove(v.Name, false)
      } catch (err) {
        if ((err as TockerError).status === 409 || (err as TockerError).status === 404) continue // used or gone meanwhile
        throw err
      }
      deleted.push(v.Name)
      reclaimed += size
    }
    this.opts.events.emit('volume', 'prune', '', { reclaimed: String(reclaimed) })
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed }
  }

  /** GET /system/df's Volumes. */
  async diskUsage(): Promise<(Volume & { UsageData: { Size: number; RefCount: number } })[]> {
    const users = this.opts.users()
    const out = []
    for (const v of this.store.all()) {
      out.push({ ...this.store.view(v), UsageData: { Size: await this.store.size(v.Name), RefCount: users.filter((u) => u.volumes.includes(v.Name)).length } })
    }
    return out
  }

  #usedNames(): Set<string> {
    return new Set(this.opts.users().flatMap((u) => u.volumes))
  }

  // ---- containers ----

  /**
   * At container create: every volume of `plans` made to exist (named ones created when missing,
   * anonymous ones named and created), and copied from the image (`lowerdirs`, top first) when it
   * is empty and the mount allows it. Nothing stays when this fails.
   */
  async resolve(plans: MountPlan[], lowerdirs: string[]): Promise<ResolvedMounts> {
    const made: string[] = []
    const releases: (() => void)[] = []
    const release = () => releases.splice(0).forEach((r) => r())
    const undo = async () => {
      release()
      for (const name of made.splice(0)) await this.store.remove(name, true).catch(() => {})
    }
    const resolved: MountPlan[] = []
    const mounts: MountPoint[] = []
    try {
      for (const p of plans) {
        if (p.Type !== 'volume') {
          resolved.push(p)
          if (!p.FromConfig && p.Type === 'bind') mounts.push({ Type: 'bind', Source: p.Source, Destination: p.Destination, Mode: p.Mode, RW: p.RW, Propagation: p.Propagation })
          // Docker lists --mount type=tmpfs in Mounts, not --tmpfs (HostConfig.Tmpfs only).
          if (p.Type === 'tmpfs' && p.Listed) {
            mounts.push({ Type: 'tmpfs', Source: '', Destination: p.Destination, Mode: '', RW: p.RW, Propagation: '' })
          }
          continue
        }
        const anonymous = p.Source === ''
        const [rec, created] = this.store.create({ Name: p.Source || undefined, Labels: p.Labels, DriverOpts: p.DriverOpts }, anonymous)
        if (created) {
          made.push(rec.Name)
          this.opts.events.emit('volume', 'create', rec.Name, { driver: rec.Driver })
        }
        releases.push(this.store.claim(rec.Name))
        if (!p.NoCopy && !isSpecial(rec) && isEmptyDir(this.store.dataDir(rec.Name))) await this.#copyUp(lowerdirs, p.Destination, rec.Name)
        // A volume made with -o type/device keeps its options in the plan: the runtime mounts them.
        resolved.push({ ...p, Source: rec.Name, Anonymous: anonymous, DriverOpts: isSpecial(rec) ? rec.Options : undefined })
        mounts.push({ Type: 'volume', Name: rec.Name, Source: this.store.dataDir(rec.Name), Destination: p.Destination, Driver: rec.Driver, Mode: p.Mode, RW: p.RW, Propagation: '' })
      }
    } catch (err) {
      await undo()
      throw err
    }
    return { mounts, plans: resolved, undo, release }
  }

  async #copyUp(lowerdirs: string[], path: string, name: string): Promise<void> {
    const tmp = join(this.store.dir, `.tmp-copyup-${randomBytes(6).toString('hex')}`)
    mkdirSync(tmp, { mode: 0o700 })
    try {
      await copyUp({ lowerdirs: shortLowerDirs(this.#layers, lowerdirs), path, dest: this.store.dataDir(name), tmpDir: tmp })
    } finally {
      rmdirSync(tmp)
    }
  }

  /** The host directory (or, for a volume made with -o type/device, the mount) a plan mounts. */
  source(plan: MountPlan): { path: string; record?: VolumeRecord } {
    if (plan.Type !== 'volume') return { path: plan.Source }
    const rec = this.store.get(plan.Source)
    return { path: this.store.dataDir(rec.Name), record: rec }
  }

  /** rm -v / --rm: the container's anonymous volumes, unless another container uses one too. */
  async removeAnonymous(names: string[], warn: (msg: string) => void): Promise<void> {
    for (const name of names) {
      if (!this.store.has(name)) continue
      await this.remove(name, true).catch((e) => {
        if ((e as TockerError).status !== 409) warn(`removing volume ${name}: ${(e as Error).message}`)
      })
    }
  }
}

/** A volume made with -o type=…/device=…: mounted from its device, not its _data (never copied into). */
export function isSpecial(rec: VolumeRecord): boolean {
  return !!rec.Options.type || !!rec.Options.device
}

/**
 * Whether a volume's data directory is empty (then the image's content is copied in). One that
 * cannot be read is an error: read as "not empty", the create went on with nothing copied.
 */
function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0
  } catch (err) {
    throw new TockerError(`cannot read the volume's data directory ${path}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
  }
}
