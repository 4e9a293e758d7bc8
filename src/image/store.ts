// The image store: what `pull`, `load`, `images`, `rmi`, `tag`, `save` and the runtime share.
//
//   <root>/blobs/sha256/<hex>        manifests, indexes, image configs (content-addressed)
//   <root>/layers/<diffID hex>/diff  one unpacked layer = one overlay lowerdir (see layers.ts)
//   <root>/layers/l/<26 letters>     its short name, for mounts of many layers (layer-links.ts)
//   <root>/images/<config hex>.json  one record per image; the image ID is its config's digest
//   <root>/repositories.json         {"docker.io/library/busybox:latest": "sha256:<image id>",
//                                     "docker.io/library/busybox@sha256:<manifest>": "sha256:<image id>"}
//   <root>/tmp/                      work in progress of live processes (see session.ts)
//   <root>/locks/                    flock files
//
// Every change becomes visible by a rename. Image records, tags and garbage collection are changed
// under one lock (locks/images.lock, held for microseconds); layers under their own lock.
// Records and names: records.ts; rmi and garbage collection: remove.ts.
import { mkdirSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'
import { BlobStore, digestHex, sha256 } from '../content/blobs.js'
import { TockerError } from '../errors.js'
import { storeLayout, type StoreLayout } from '../store/layout.js'
import { withLockSync } from '../sys/lock.js'
import { prewarmUnpackThreads } from './unpack/unpack-thread.js'
import { LayerStore, type LayerInfo } from './layers.js'
import { fullString, parseReference, withDefaultTag } from './reference.js'
import { ImageRecords, noSuchImage, refKey, type ImageFile, type ImageRecord } from './records.js'
import { removeImage, type RemoveOptions, type RemoveResult } from './remove.js'
import { pinnedLayers, removeDeadSessions, StoreSession } from './session.js'
import type { Descriptor, ImageConfig } from './types.js'

// The store's public surface, as before the split into records.ts, remove.ts and chain-ids.ts.
export { chainIDs } from './chain-ids.js'
export type { ImageRecord } from './records.js'
export { noSuchImage } from './records.js'
export type { ImageUser, RemoveOptions, RemoveResult } from './remove.js'

// Sessions of this process, removed when it exits normally (after a crash, by the next process).
const openSessions = new Set<StoreSession>()
let exitHooked = false
function closeOpenSessions(): void {
  for (const s of openSessions) s.close()
  openSessions.clear()
}

export class ImageStore {
  readonly layout: StoreLayout
  readonly blobs: BlobStore
  readonly layers: LayerStore
  readonly #records: ImageRecords
  #session?: StoreSession

  constructor(root: string) {
    this.layout = storeLayout(root)
    this.blobs = new BlobStore(this.layout.blobs, () => this.session().dir)
    this.layers = new LayerStore(this.layout, () => this.session())
    this.#records = new ImageRecords(this.layout, this.blobs, () => this.session().dir)
  }

  /** This process's tmp/ session, opened (and dead ones cleaned) on first use; closed at exit. */
  session(): StoreSession {
    if (!this.#session) {
      this.#session = StoreSession.open(this.layout.tmp)
      openSessions.add(this.#session)
      if (!exitHooked) process.once('exit', closeOpenSessions)
      exitHooked = true
    }
    return this.#session
  }

  /**
   * Remove the tmp/ work of processes that died (a pull killed half-way: partly unpacked layers,
   * downloads). A live process's work is never touched: its session is flock'ed, and flock(2)
   * refuses the lock to another open file even within the same process (an engine pulling now).
   */
  removeGarbage(): void {
    removeDeadSessions(this.layout.tmp)
  }

  /** Remove our tmp/ session now (tests, long-lived processes). */
  close(): void {
    if (this.#session) {
      openSessions.delete(this.#session)
      this.#session.close()
    }
    this.#session = undefined
  }

  // --- layers and blobs (what pull uses) ---

  /**
   * Is the layer unpacked? Also pins it for this process until an image using it is committed:
   * pull asks this before skipping a download ("Already exists"), and the layer must still be there
   * when the image is committed, even if an `rmi` of its last other user runs meanwhile.
   */
  hasLayer(diffID: string): boolean {
    this.session().pin(digestHex(diffID))
    return this.layers.has(diffID)
  }

  /** Get ready to unpack `count` layers (their threads start while the pull talks to the registry). */
  prepareLayers(count: number): void {
    prewarmUnpackThreads(count)
  }

  addLayer(desc: Descriptor, diffID: string, body: Readable): Promise<'added' | 'exists'> {
    return this.layers.add(desc, diffID, body)
  }

  /** A layer made here from its tar stream (import); pinned until an image holds it. */
  addLayerStream(body: Readable): Promise<{ diffID: string; status: 'added' | 'exists'; info: LayerInfo }> {
    return this.layers.addStream(body)
  }

  /** A layer made here from a directory (build steps, commit), off the main thread; undefined when empty. */
  addLayerFromDir(dir: string, overlay: boolean): ReturnType<LayerStore['addFromDir']> {
    return this.layers.addFromDir(dir, overlay)
  }

  /**
   * Take back layers a failed pull added: each one that no image uses and no other live pull pins
   * leaves the store, so a failed pull leaves nothing behind (layers other images share stay).
   */
  discardLayers(diffIDs: string[]): void {
    const session = this.session()
    for (const d of diffIDs) session.unpin(digestHex(d))
    const trash: string[] = []
    withLockSync(this.#records.lock, () => {
      const used = new Set(
        this.#records.hexes()
          .map((h) => this.#records.read(h))
          .flatMap((f) => f?.diffIDs ?? []),
      )
      let pins: Set<string> | undefined
      const pinned = () => (pins ??= pinnedLayers(this.layout.tmp))
      for (const d of diffIDs) {
        if (used.has(d)) continue
        const moved = this.layers.detach(d, pinned)
        if (moved) trash.push(moved)
      }
    })
    // The trash dir too: in the engine the session (and its tmp dir) lives as long as the engine.
    for (const t of trash) rmSync(dirname(t), { recursive: true, force: true })
  }

  /** Release this process's pins of these layers (a pull or load that failed before committing). */
  unpinLayers(diffIDs: string[]): void {
    const session = this.session()
    for (const d of diffIDs) session.unpin(digestHex(d))
  }

  layerInfo(diffID: string): LayerInfo | undefined {
    return this.layers.info(diffID)
  }

  putBlob(digest: string, data: Buffer): void {
    this.blobs.put(digest, data)
  }

  getBlob(digest: string): Buffer | undefined {
    return this.blobs.get(digest)
  }

  // --- images ---

  /**
   * Record an image whose layers are all in the store, and point `tag` (and `repoDigest`) at it.
   * previousId: the image `tag` named before, when that was another one (it is now untagged).
   */
  commitImage(a: {
    config: Buffer
    configDigest: string
    /** Pulled and loaded images have one; images made here get theirs when they are pushed. */
    manifest?: Buffer
    manifestDigest?: string
    repoDigest?: string
    tag?: string
    parent?: string
    buildKey?: string
  }): { id: string; previousId?: string } {
    const id = a.configDigest
    const hex = digestHex(id)
    if (sha256(a.config) !== id) throw new TockerError(`image config does not match its digest ${id}`, { code: 'EDIGEST', status: 400 })
    let config: ImageConfig
    try {
      config = JSON.parse(a.config.toString('utf8')) as ImageConfig
    } catch {
      throw new TockerError(`invalid image config ${id}: not JSON`, { code: 'EBADCONFIG' })
    }
    const diffIDs = config?.rootfs?.diff_ids
    if (!Array.isArray(diffIDs) || diffIDs.some((d) => typeof d !== 'string')) {
      throw new TockerError(`invalid image config ${id}: no rootfs.diff_ids`, { code: 'EBADCONFIG' })
    }
    const tag = a.tag === undefined ? undefined : this.#normalizeTag(a.tag)
    const repoDigest = a.repoDigest === undefined ? undefined : this.#normalizeDigestRef(a.repoDigest)
    const session = this.session()
    let previousId: string | undefined
    withLockSync(this.#records.lock, () => {
      for (const d of diffIDs) {
        if (!this.layers.has(d)) {
          throw new TockerError(`layer ${d} of image ${id} is not in the store (removed meanwhile?): pull again`, { code: 'ELAYERMISSING' })
        }
      }
      if (a.parent !== undefined && !this.#records.read(digestHex(a.parent))) {
        throw new TockerError(`parent image ${a.parent} of image ${id} is not in the store (removed meanwhile?)`, { code: 'ENOSUCHIMAGE', status: 500 })
      }
      this.blobs.put(id, a.config)
      if (a.manifest && a.manifestDigest) this.blobs.put(a.manifestDigest, a.manifest)
      const now = new Date().toISOString()
      const existing = this.#records.read(hex)
      const file: ImageFile = {
        id,
        manifestDigest: existing?.manifestDigest ?? a.manifestDigest,
        diffIDs,
        size: sumSizes(diffIDs.map((d) => this.layers.info(d))),
        added: existing?.added ?? now,
        lastTagTime: tag ? now : existing?.lastTagTime,
        parent: existing?.parent ?? a.parent,
        buildKey: existing?.buildKey ?? a.buildKey,
      }
      mkdirSync(this.layout.images, { recursive: true })
      this.#records.write(hex, file)
      if (tag || repoDigest) {
        const tags = this.#records.readTags()
        if (tag) {
          if (tags[tag] !== undefined && tags[tag] !== id) previousId = tags[tag]
          tags[tag] = id
        }
        if (repoDigest) tags[repoDigest] = id
        this.#records.writeTags(tags)
      }
    })
    // The image now holds its layers; the pins of this pull are no longer needed.
    for (const d of diffIDs) session.unpin(digestHex(d))
    return { id, previousId }
  }

  /** An image by full or familiar reference ("busybox", "busybox:1.36", "x@sha256:…"), ID or unique ID prefix. */
  resolve(nameOrId: string): ImageRecord | undefined {
    const id = this.resolveId(nameOrId)
    return id === undefined ? undefined : this.get(id)
  }

  resolveId(nameOrId: string): string | undefined {
    return this.#records.resolveId(nameOrId)
  }

  get(id: string): ImageRecord | undefined {
    const hex = digestHex(id)
    const file = this.#records.read(hex)
    if (!file) return undefined
    return this.#records.record(file, this.#records.readTags())
  }

  list(): ImageRecord[] {
    const tags = this.#records.readTags()
    const out: ImageRecord[] = []
    for (const hex of this.#records.hexes()) {
      const file = this.#records.read(hex)
      const rec = file && this.#records.record(file, tags)
      if (rec) out.push(rec)
    }
    return out
  }

  /**
   * The image's layer directories as overlayfs lowerdirs, TOP layer first. A layer listed twice
   * appears once, at its topmost place (the lower copy could not show anything the upper one hides).
   */
  layerDirs(imageId: string): string[] {
    const file = this.#records.read(digestHex(imageId))
    if (!file) throw noSuchImage(imageId)
    const seen = new Set<string>()
    const dirs: string[] = []
    for (const d of [...file.diffIDs].reverse()) {
      if (seen.has(d)) continue
      seen.add(d)
      dirs.push(this.layers.diffDir(d))
    }
    return dirs
  }

  /** Images made on `id` (build steps and commits whose parent it is). */
  children(id: string): string[] {
    return this.#records.hexes()
      .map((h) => this.#records.read(h))
      .filter((f): f is ImageFile => f !== undefined && f.parent === id)
      .map((f) => f.id)
  }

  /** The build cache: an image made on `parent` by the step whose key is `buildKey`. */
  cachedChild(parent: string, buildKey: string): string | undefined {
    let found: ImageFile | undefined
    for (const h of this.#records.hexes()) {
      const f = this.#records.read(h)
      // The most recent one, as Docker's cache takes the newest child.
      if (f && f.parent === parent && f.buildKey === buildKey && (!found || f.added > found.added)) found = f
    }
    return found?.id
  }

  /** Point a full reference ("docker.io/library/busybox:latest") at an image. */
  tag(imageId: string, fullRef: string): void {
    const key = this.#normalizeTag(fullRef)
    this.session() // opened (dead sessions cleaned) before the lock, as commitImage does
    withLockSync(this.#records.lock, () => {
      const hex = digestHex(imageId)
      const file = this.#records.read(hex)
      if (!file) throw noSuchImage(imageId)
      const tags = this.#records.readTags()
      tags[key] = imageId
      this.#records.writeTags(tags)
      file.lastTagTime = new Date().toISOString()
      this.#records.write(hex, file)
    })
  }

  /** Remove a reference (tag or digest); false when there was none. */
  untag(fullRef: string): boolean {
    const key = refKey(parseReference(fullRef))
    return withLockSync(this.#records.lock, () => {
      const tags = this.#records.readTags()
      if (tags[key] === undefined) return false
      delete tags[key]
      this.#records.writeTags(tags)
      return true
    })
  }

  /** `rmi` (see remove.ts). */
  removeImage(nameOrId: string, opts: RemoveOptions = {}): RemoveResult {
    this.session() // cleans dead sessions first, so that their pins do not keep layers
    return removeImage({ records: this.#records, blobs: this.blobs, layers: this.layers, tmp: this.layout.tmp }, nameOrId, opts)
  }

  // --- internals ---

  #normalizeTag(ref: string): string {
    const r = parseReference(ref)
    if (r.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { code: 'EINVALIDREF' })
    return fullString(withDefaultTag(r))
  }

  #normalizeDigestRef(ref: string): string {
    const r = parseReference(ref)
    if (r.digest === undefined) throw new TockerError(`invalid repository digest reference ${JSON.stringify(ref)}`, { code: 'EINVALIDREF' })
    return refKey(r)
  }
}

function sumSizes(infos: (LayerInfo | undefined)[]): number {
  const seen = new Set<string>()
  let n = 0
  for (const i of infos) {
    if (!i || seen.has(i.diffID)) continue
    seen.add(i.diffID)
    n += i.size
  }
  return n
}
