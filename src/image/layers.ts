// Unpacked layers: layers/<DiffID hex>/ holds
//   diff/          the layer's files, ready to be an overlayfs lowerdir
//   layer.json     { diffID, size, tarSize, ... }
//   tar-split.gz   the tar's non-content bytes (to rebuild the exact tar for `save`)
// and layers/l/<26 letters> is its short name, a symlink to ../<hex>/diff (see layer-links.ts).
// A layer is unpacked once and shared by every image that lists its DiffID. It is unpacked into the
// process's tmp/ session and renamed into place only once complete and verified; the rename happens
// under a per-layer flock (locks/layer-<hex>.lock), so two pulls of the same layer never both unpack
// it, and garbage collection never removes a layer while a pull is adding or pinning it.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { TockerError } from '../errors.js'
import type { StoreLayout } from '../store/layout.js'
import { lock, tryLock } from '../sys/lock.js'
import { digestHex } from '../content/blobs.js'
import { ensureLink, removeLink } from './layer-links.js'
import type { StoreSession } from './session.js'
import type { Descriptor } from './types.js'
import { traced } from '../trace/trace.js'
import { writeFileAtomic } from '../sys/atomic-file.js'
import type { DirTarStats } from './diff/dir-tar.js'
import { layerFromDirInWorker, unpackLayerInWorker } from './unpack/unpack-thread.js'
import type { UnpackResult } from './unpack/unpack.js'

export interface LayerInfo {
  diffID: string
  /** Bytes of file content (what `images` adds up). */
  size: number
  /** Bytes of the uncompressed tar. */
  tarSize: number
  /** The compressed blob it came from, when pulled. */
  digest?: string
  mediaType?: string
  entries: number
  created: string
  /**
   * The compressed blob tocker made of this layer when it pushed it (a layer built here, or one whose
   * pulled blob the registry did not have): the next push HEADs this digest first, so a layer sent
   * once says "Layer already exists" (Docker keeps the same in its distribution metadata).
   */
  pushedBlob?: { digest: string; size: number; mediaType: string }
}

export class LayerStore {
  constructor(
    private readonly layout: StoreLayout,
    private readonly session: () => StoreSession,
  ) {}

  dir(diffID: string): string {
    return join(this.layout.layers, digestHex(diffID))
  }

  diffDir(diffID: string): string {
    return join(this.dir(diffID), 'diff')
  }

  has(diffID: string): boolean {
    return existsSync(join(this.dir(diffID), 'layer.json'))
  }

  /** The DiffID hexes of every layer directory. */
  all(): string[] {
    try {
      return readdirSync(this.layout.layers).filter((n) => /^[a-f0-9]{64}$/.test(n))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new TockerError(`cannot read the layer store ${this.layout.layers}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
    }
  }

  /** The layer's layer.json; undefined only when the layer is not there (unreadable is an error). */
  info(diffID: string): LayerInfo | undefined {
    const path = join(this.dir(diffID), 'layer.json')
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as LayerInfo
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new TockerError(`cannot read ${path}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
    }
  }

  #lockPath(hex: string): string {
    return join(this.layout.locks, `layer-${hex}.lock`)
  }

  /**
   * Unpack a layer from its (compressed) stream, verify its DiffID, and make it visible atomically.
   * 'exists' when it is (or meanwhile became) there: the stream is then destroyed unread.
   */
  async add(desc: Pick<Descriptor, 'mediaType' | 'digest'>, diffID: string, body: Readable): Promise<'added' | 'exists'> {
    const hex = digestHex(diffID)
    const session = this.session()
    // Pin first: from here on the garbage collector leaves this layer alone (see session.ts).
    session.pin(hex)
    // While we wait for the lock nobody reads the stream: keep an error it may raise meanwhile
    // (a reset connection) instead of letting it end the process unheard.
    let early: Error | undefined
    const keep = (err: Error) => (early ??= err)
    body.on('error', keep)
    let held
    try {
      held = await lock(this.#lockPath(hex))
    } finally {
      body.off('error', keep)
    }
    try {
      if (early) throw early
      if (this.has(diffID)) {
        body.destroy()
        return 'exists'
      }
      const work = session.mkdtemp(`layer-${hex.slice(0, 12)}-`)
      try {
        const r = await unpackLayerInWorker(body, work, { mediaType: desc.mediaType, expectedDiffID: diffID })
        this.#commitWork(work, { diffID, size: r.size, tarSize: r.tarSize, digest: desc.digest, mediaType: desc.mediaType, entries: r.entries, created: new Date().toISOString() })
        return 'added'
      } catch (err) {
        rmSync(work, { recursive: true, force: true })
        throw layerError(diffID, err)
      }
    } finally {
      held.release()
    }
  }

  /**
   * A layer from a tar stream made here (`import`): unpacked in an unpacking thread like a pulled
   * layer, its DiffID what the stream hashed to. 'exists' when the store had that layer already (the
   * new copy is dropped). The layer is pinned for this process until an image holds it.
   */
  async addStream(body: Readable): Promise<{ diffID: string; status: 'added' | 'exists'; info: LayerInfo }> {
    const work = this.session().mkdtemp('layer-new-')
    let r
    try {
      r = await unpackLayerInWorker(body, work)
    } catch (err) {
      rmSync(work, { recursive: true, force: true })
      throw err
    }
    return this.#adopt(work, r)
  }

  /**
   * A directory as a layer (a build step's or a commit's upper directory, or the files a COPY
   * made): an unpacking thread reads it as a layer tar and unpacks that, so the engine's main thread
   * does neither. undefined (and nothing stored) when the directory is empty: Docker's empty_layer.
   */
  async addFromDir(dir: string, overlay: boolean): Promise<{ diffID: string; status: 'added' | 'exists'; info: LayerInfo; stats: DirTarStats } | undefined> {
    const work = this.session().mkdtemp('layer-new-')
    let r
    try {
      r = await layerFromDirInWorker({ dir, overlay }, work)
    } catch (err) {
      rmSync(work, { recursive: true, force: true })
      throw err
    }
    if (r.dirStats.entries === 0) {
      rmSync(work, { recursive: true, force: true })
      return undefined
    }
    return { ...(await this.#adopt(work, r)), stats: r.dirStats }
  }

  /** An unpacked layer in `work` becomes the layer it hashed to, unless the store has it already. */
  async #adopt(work: string, r: UnpackResult): Promise<{ diffID: string; status: 'added' | 'exists'; info: LayerInfo }> {
    const diffID = r.diffID
    const hex = digestHex(diffID)
    this.session().pin(hex)
    const held = await lock(this.#lockPath(hex))
    try {
      if (this.has(diffID)) {
        rmSync(work, { recursive: true, force: true })
        return { diffID, status: 'exists', info: this.info(diffID)! }
      }
      const info: LayerInfo = { diffID, size: r.size, tarSize: r.tarSize, entries: r.entries, created: new Date().toISOString() }
      try {
        this.#commitWork(work, info)
      } catch (err) {
        rmSync(work, { recursive: true, force: true })
        throw err
      }
      return { diffID, status: 'added', info }
    } finally {
      held.release()
    }
  }

  /** Remember the compressed blob a push made of this layer (layer.json rewritten under its lock). */
  async recordPushedBlob(diffID: string, blob: NonNullable<LayerInfo['pushedBlob']>): Promise<void> {
    const held = await lock(this.#lockPath(digestHex(diffID)))
    try {
      const info = this.info(diffID)
      if (!info) return
      writeFileAtomic(join(this.dir(diffID), 'layer.json'), JSON.stringify({ ...info, pushedBlob: blob }, null, 2) + '\n', { tmpDir: this.session().dir })
    } finally {
      held.release()
    }
  }

  /** Make an unpacked layer in `work` the layer `info.diffID` (under its lock). */
  #commitWork(work: string, info: LayerInfo): void {
    const hex = digestHex(info.diffID)
    const session = this.session()
    writeFileSync(join(work, 'layer.json'), JSON.stringify(info, null, 2) + '\n')
    mkdirSync(this.layout.layers, { recursive: true })
    // A directory without layer.json is not a layer (nothing should make one, but a copy or an
    // older tocker might have): move it aside so the rename can take its place.
    if (existsSync(this.dir(info.diffID))) {
      const stale = session.mkdtemp('stale-')
      renameSync(this.dir(info.diffID), join(stale, 'layer'))
      rmSync(stale, { recursive: true, force: true })
    }
    // The commit point: before this rename the layer does not exist, after it it is complete.
    // Its short name, for overlay mounts of many layers, before the layer itself: a link without
    // its layer (we die between the two) is harmless and swept by rmi; a failure here (no
    // space) fails the pull before anything is committed.
    ensureLink(this.layout.layers, hex)
    traced('fs', 'rename', () => `${work} -> ${this.dir(info.diffID)} (commit layer: ${info.entries} entries, ${info.size} bytes)`, () => renameSync(work, this.dir(info.diffID)))
  }

  /**
   * Take a layer out of the store unless someone is adding or pinning it right now: its directory
   * is renamed into our tmp/ session (atomic: no image ever sees half a layer). Returns where it
   * went, for the caller to delete once it released its locks; undefined when the layer was kept.
   */
  detach(diffID: string, pinned: () => Set<string>): string | undefined {
    const hex = digestHex(diffID)
    const held = tryLock(this.#lockPath(hex))
    if (!held) return undefined
    try {
      if (!existsSync(this.dir(diffID))) return undefined
      if (pinned().has(hex)) return undefined
      const trash = join(this.session().mkdtemp(`trash-${hex.slice(0, 12)}-`), 'layer')
      // The link first: a layer without its link is repaired on use, a link without its layer
      // would dangle until the next garbage collection.
      removeLink(this.layout.layers, hex)
      renameSync(this.dir(diffID), trash)
      return trash
    } finally {
      held.release()
    }
  }
}

function layerError(diffID: string, err: unknown): unknown {
  if (err instanceof TockerError && (err.code === 'EUNSAFELAYER' || err.code === 'EBADLAYER' || err.code === 'EDIFFID')) {
    return new TockerError(`failed to register layer ${diffID}: ${err.message}`, { code: err.code, status: err.status, cause: err })
  }
  return err
}
