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
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { writeFileAtomic } from '../sys/atomic-file.js'
import { BlobStore, digestHex, sha256 } from '../content/blobs.js'
import { TockerError } from '../errors.js'
import { storeLayout, type StoreLayout } from '../store/layout.js'
import { withLockSync } from '../sys/lock.js'
import { isTracing, note } from '../trace/trace.js'
import { removeDanglingLinks } from './layer-links.js'
import { prewarmUnpackThreads } from './unpack/unpack-thread.js'
import { LayerStore, type LayerInfo } from './layers.js'
import { familiarString, fullName, fullString, parseReference, withDefaultTag, type Reference } from './reference.js'
import { pinnedLayers, removeDeadSessions, StoreSession } from './session.js'
import type { Descriptor, ImageConfig } from './types.js'

export interface ImageRecord {
  /** "sha256:<hex>": the digest of the image config. */
  id: string
  /** Full references: "docker.io/library/busybox:latest". */
  repoTags: string[]
  /** Full references: "docker.io/library/busybox@sha256:<manifest digest>". */
  repoDigests: string[]
  /** From the config (RFC 3339), '' when the config has none. */
  created: string
  /** Bytes of file content in all its layers. */
  size: number
  diffIDs: string[]
  config: ImageConfig
  manifestDigest?: string
  /** When a name last moved to this image. */
  lastTagTime?: string
  /** The image this one was built on, step by step (`build`, `commit`): Docker's Parent. */
  parent?: string
}

/** What the store keeps in images/<hex>.json (the rest comes from the config blob and the tags). */
interface ImageFile {
  id: string
  manifestDigest?: string
  diffIDs: string[]
  size: number
  added: string
  lastTagTime?: string
  /** Local images (build steps, commit): the image they were made on. */
  parent?: string
  /** A build step's cache key (see engine/build/cache.ts): what made this image from its parent. */
  buildKey?: string
}

export interface ImageUser {
  id: string
  running: boolean
}

export interface RemoveOptions {
  force?: boolean
  /** Keep the untagged parent images (build steps) an image was made on. */
  noprune?: boolean
  /** Containers using an image (the engine's records); rmi refuses or keeps the image as Docker does. */
  users?: (imageId: string) => ImageUser[]
}

export interface RemoveResult {
  /** Familiar references, in Docker's order: "busybox:latest", "busybox@sha256:…". */
  untagged: string[]
  /** The image ID, then the layers that went with it (as Docker's layer chain IDs, top first). */
  deleted: string[]
}

type Tags = Record<string, string>

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
  #session?: StoreSession

  constructor(root: string) {
    this.layout = storeLayout(root)
    this.blobs = new BlobStore(this.layout.blobs, () => this.session().dir)
    this.layers = new LayerStore(this.layout, () => this.session())
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

  /** A layer made here from its tar stream (build steps, commit); pinned until an image holds it. */
  addLayerStream(body: Readable): Promise<{ diffID: string; status: 'added' | 'exists'; info: LayerInfo }> {
    return this.layers.addStream(body)
  }

  /**
   * Take back layers a failed pull added: each one that no image uses and no other live pull pins
   * leaves the store, so a failed pull leaves nothing behind (layers other images share stay).
   */
  discardLayers(diffIDs: string[]): void {
    const session = this.session()
    for (const d of diffIDs) session.unpin(digestHex(d))
    const trash: string[] = []
    withLockSync(this.#metaLock, () => {
      const used = new Set(
        this.#imageHexes()
          .map((h) => this.#readImageFile(h))
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
      throw new TockerError(`invalid image config ${id}: not JSON`, { code: 'EBADCONFIG', status: 400 })
    }
    const diffIDs = config?.rootfs?.diff_ids
    if (!Array.isArray(diffIDs) || diffIDs.some((d) => typeof d !== 'string')) {
      throw new TockerError(`invalid image config ${id}: no rootfs.diff_ids`, { code: 'EBADCONFIG', status: 400 })
    }
    const tag = a.tag === undefined ? undefined : this.#normalizeTag(a.tag)
    const repoDigest = a.repoDigest === undefined ? undefined : this.#normalizeDigestRef(a.repoDigest)
    const session = this.session()
    let previousId: string | undefined
    withLockSync(this.#metaLock, () => {
      for (const d of diffIDs) {
        if (!this.layers.has(d)) {
          throw new TockerError(`layer ${d} of image ${id} is not in the store (removed meanwhile?): pull again`, { code: 'ELAYERMISSING', status: 500 })
        }
      }
      if (a.parent !== undefined && !this.#readImageFile(digestHex(a.parent))) {
        throw new TockerError(`parent image ${a.parent} of image ${id} is not in the store (removed meanwhile?)`, { code: 'ENOSUCHIMAGE', status: 500 })
      }
      this.blobs.put(id, a.config)
      if (a.manifest && a.manifestDigest) this.blobs.put(a.manifestDigest, a.manifest)
      const now = new Date().toISOString()
      const existing = this.#readImageFile(hex)
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
      writeFileAtomic(join(this.layout.images, `${hex}.json`), JSON.stringify(file, null, 2) + '\n', { tmpDir: session.dir })
      if (tag || repoDigest) {
        const tags = this.#readTags()
        if (tag) {
          if (tags[tag] !== undefined && tags[tag] !== id) previousId = tags[tag]
          tags[tag] = id
        }
        if (repoDigest) tags[repoDigest] = id
        this.#writeTags(tags)
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
    const tags = this.#readTags()
    const m = /^(?:sha256:)?([a-f0-9]{64})$/.exec(nameOrId)
    if (m) return existsSync(join(this.layout.images, `${m[1]}.json`)) ? `sha256:${m[1]}` : undefined
    if (!nameOrId.startsWith('sha256:')) {
      let key: string | undefined
      try {
        key = refKey(withDefaultTag(parseReference(nameOrId)))
      } catch {
        // not a reference: maybe an ID prefix
      }
      if (key !== undefined && tags[key] !== undefined && this.#readImageFile(digestHex(tags[key]))) return tags[key]
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(nameOrId)?.[1]
    if (prefix === undefined) return undefined
    const matches = this.#imageHexes().filter((h) => h.startsWith(prefix))
    return matches.length === 1 ? `sha256:${matches[0]}` : undefined
  }

  get(id: string): ImageRecord | undefined {
    const hex = digestHex(id)
    const file = this.#readImageFile(hex)
    if (!file) return undefined
    return this.#record(file, this.#readTags())
  }

  list(): ImageRecord[] {
    const tags = this.#readTags()
    const out: ImageRecord[] = []
    for (const hex of this.#imageHexes()) {
      const file = this.#readImageFile(hex)
      const rec = file && this.#record(file, tags)
      if (rec) out.push(rec)
    }
    return out
  }

  /**
   * The image's layer directories as overlayfs lowerdirs, TOP layer first. A layer listed twice
   * appears once, at its topmost place (the lower copy could not show anything the upper one hides).
   */
  layerDirs(imageId: string): string[] {
    const file = this.#readImageFile(digestHex(imageId))
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
    return this.#imageHexes()
      .map((h) => this.#readImageFile(h))
      .filter((f): f is ImageFile => f !== undefined && f.parent === id)
      .map((f) => f.id)
  }

  /** The build cache: an image made on `parent` by the step whose key is `buildKey`. */
  cachedChild(parent: string, buildKey: string): string | undefined {
    let found: ImageFile | undefined
    for (const h of this.#imageHexes()) {
      const f = this.#readImageFile(h)
      // The most recent one, as Docker's cache takes the newest child.
      if (f && f.parent === parent && f.buildKey === buildKey && (!found || f.added > found.added)) found = f
    }
    return found?.id
  }

  /** Point a full reference ("docker.io/library/busybox:latest") at an image. */
  tag(imageId: string, fullRef: string): void {
    const key = this.#normalizeTag(fullRef)
    const session = this.session()
    withLockSync(this.#metaLock, () => {
      const hex = digestHex(imageId)
      const file = this.#readImageFile(hex)
      if (!file) throw noSuchImage(imageId)
      const tags = this.#readTags()
      tags[key] = imageId
      this.#writeTags(tags)
      file.lastTagTime = new Date().toISOString()
      writeFileAtomic(join(this.layout.images, `${hex}.json`), JSON.stringify(file, null, 2) + '\n', { tmpDir: session.dir })
    })
  }

  /** Remove a reference (tag or digest); false when there was none. */
  untag(fullRef: string): boolean {
    const key = refKey(parseReference(fullRef))
    return withLockSync(this.#metaLock, () => {
      const tags = this.#readTags()
      if (tags[key] === undefined) return false
      delete tags[key]
      this.#writeTags(tags)
      return true
    })
  }

  /**
   * `rmi`: Docker's image-delete algorithm (daemon/images/image_delete.go). By reference: untag it
   * (and the repository's digest references when no tag of that repository remains); the image goes
   * only when nothing references it any more. By ID: the image goes with all its references, unless
   * they span several repositories (then -f is needed). Layers no other image uses go with it.
   */
  removeImage(nameOrId: string, opts: RemoveOptions = {}): RemoveResult {
    const force = opts.force ?? false
    const users = opts.users ?? (() => [])
    const untagged: string[] = []
    const deleted: string[] = []
    const trash: string[] = []
    this.session() // cleans dead sessions first, so that their pins do not keep layers
    withLockSync(this.#metaLock, () => {
      // Every image record first: one that cannot be read stops rmi before anything changes
      // (otherwise that image's layers would look unused and go).
      const records = new Map(this.#imageHexes().map((h) => [h, this.#readImageFile(h)] as const))
      const id = this.resolveId(nameOrId)
      if (id === undefined) throw noSuchImage(nameOrId)
      const tags = this.#readTags()
      let refs = refsOf(tags, id)
      const byId = isIdReference(nameOrId, id)
      const short = digestHex(id).slice(0, 12)
      let quiet = false
      if (!byId) {
        const ref = parseReference(nameOrId)
        const named = ref.digest !== undefined ? { domain: ref.domain, path: ref.path, digest: ref.digest } : withDefaultTag(ref)
        const key = refKey(named)
        if (!force && isSingleReference(refs)) {
          const user = users(id)[0]
          if (user) {
            throw conflict(
              `conflict: unable to remove repository reference "${familiarString(withDefaultTag(ref))}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${short}`,
            )
          }
        }
        delete tags[key]
        untagged.push(familiarString(named))
        refs = refs.filter((r) => r !== key)
        if (named.digest === undefined) {
          // The repository's digest references go with its last tag.
          const name = fullName(named)
          if (!refs.some((r) => !r.includes('@') && refName(r) === name)) {
            for (const r of refs.filter((r) => r.includes('@') && refName(r) === name)) {
              delete tags[r]
              untagged.push(familiarString(parseReference(r)))
            }
            refs = refs.filter((r) => !(r.includes('@') && refName(r) === name))
          }
        }
        this.#writeTags(tags)
        if (refs.length > 0) return
        quiet = true
      } else if (isSingleReference(refs)) {
        const running = users(id).find((u) => u.running)
        if (running) throw conflict(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`)
        const stopped = users(id)[0]
        if (stopped && !force) throw conflict(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${stopped.id.slice(0, 12)}`)
        for (const r of refs) {
          delete tags[r]
          untagged.push(familiarString(parseReference(r)))
        }
        refs = []
        this.#writeTags(tags)
      }

      // Now the image itself.
      const running = users(id).find((u) => u.running)
      const stopped = users(id)[0]
      const children = [...records.values()].filter((f) => f?.parent === id)
      if (children.length > 0) {
        // A step of a build that later steps (or images) were made on: it stays while they do.
        if (quiet) return
        throw conflict(`conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`)
      }
      if (running) {
        if (quiet) return // untagged; the image stays (dangling) while its container runs
        throw conflict(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`)
      }
      if (refs.length > 0 && !force) throw conflict(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`)
      if (stopped) {
        // Docker deletes the image of a stopped container with -f; tocker keeps it (dangling), since
        // the container still needs its layers as lowerdirs.
        if (quiet || force) return
        throw conflict(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${stopped.id.slice(0, 12)}`)
      }
      for (const r of refs) {
        delete tags[r]
        untagged.push(familiarString(parseReference(r)))
      }
      this.#writeTags(tags)
      const remaining = new Map(records)
      let pins: Set<string> | undefined
      const pinned = () => (pins ??= pinnedLayers(this.layout.tmp))
      // The image, then (unless noprune) the untagged build steps under it that nothing else uses,
      // as Docker's rmi deletes a built image's intermediate images with it.
      for (let target: string | undefined = id; target !== undefined; ) {
        const hex = digestHex(target)
        const file = remaining.get(hex)
        rmSync(join(this.layout.images, `${hex}.json`), { force: true })
        remaining.delete(hex)
        deleted.push(target)
        note('rmi', 'explain.note.rmi.config', { id: hex.slice(0, 12) })
        if (!file) break
        // Garbage: the config, the manifest if no other image came from it, and unused layers.
        const others = [...remaining.values()].filter((f): f is ImageFile => f !== undefined)
        this.blobs.remove(target)
        if (file.manifestDigest && !others.some((o) => o.manifestDigest === file.manifestDigest)) this.blobs.remove(file.manifestDigest)
        const stillUsed = new Set(others.flatMap((o) => o.diffIDs))
        const chain = chainIDs(file.diffIDs)
        for (let i = file.diffIDs.length - 1; i >= 0; i--) {
          const d = file.diffIDs[i]
          if (stillUsed.has(d)) {
            // --explain: the tutorials' point that layers are shared between images
            const user = isTracing() ? [...remaining].find(([, f]) => f?.diffIDs.includes(d))?.[0] : undefined
            if (user) note('rmi', 'explain.note.rmi.kept', { id: digestHex(d).slice(0, 12), image: user.slice(0, 12) })
            continue
          }
          stillUsed.add(d) // listed twice in this image: remove once
          const moved = this.layers.detach(d, pinned)
          if (moved) {
            trash.push(moved)
            deleted.push(chain[i])
            note('rmi', 'explain.note.rmi.deleted', { id: digestHex(d).slice(0, 12) })
          }
        }
        const parent = file.parent
        target = undefined
        if (parent === undefined || opts.noprune) break
        const pf = remaining.get(digestHex(parent))
        if (!pf || refsOf(tags, parent).length > 0 || users(parent).length > 0 || others.some((o) => o.parent === parent)) break
        target = parent
      }
      // Layers of no image at all (a pull killed between unpacking a layer and committing its
      // image) go too, unless a live pull pinned them.
      const stillUsed = new Set([...remaining.values()].flatMap((o) => o?.diffIDs ?? []))
      for (const hex of this.layers.all()) {
        const d = `sha256:${hex}`
        if (stillUsed.has(d)) continue
        const moved = this.layers.detach(d, pinned)
        if (moved) trash.push(moved)
      }
      // Short links whose layer went by some other way (a process killed half-way).
      removeDanglingLinks(this.layout.layers)
    })
    // The trash dir too: in the engine the session (and its tmp dir) lives as long as the engine.
    for (const t of trash) rmSync(dirname(t), { recursive: true, force: true })
    return { untagged, deleted }
  }

  // --- internals ---

  get #metaLock(): string {
    return join(this.layout.locks, 'images.lock')
  }

  #imageHexes(): string[] {
    let names: string[]
    try {
      names = readdirSync(this.layout.images)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw unreadableState(this.layout.images, err)
    }
    return names.filter((f) => /^[a-f0-9]{64}\.json$/.test(f)).map((f) => f.slice(0, 64))
  }

  /**
   * An image's record; undefined only when there is none. A record that cannot be read is an
   * error, never "no image": rmi would otherwise count that image's layers as unused and delete them.
   */
  #readImageFile(hex: string): ImageFile | undefined {
    const path = join(this.layout.images, `${hex}.json`)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw unreadableState(path, err)
    }
    let file: ImageFile
    try {
      file = JSON.parse(text) as ImageFile
    } catch (err) {
      throw unreadableState(path, err)
    }
    if (!file || typeof file.id !== 'string' || !Array.isArray(file.diffIDs)) throw unreadableState(path, new TockerError('not an image record', { code: 'EBADRECORD', internal: true }))
    return file
  }

  #record(file: ImageFile, tags: Tags): ImageRecord | undefined {
    const raw = this.blobs.get(file.id)
    if (!raw) throw unreadableState(join(this.layout.blobs, digestHex(file.id)), new TockerError(`the config of image ${file.id} is missing`, { code: 'EBADRECORD', internal: true }))
    let config: ImageConfig
    try {
      config = JSON.parse(raw.toString('utf8')) as ImageConfig
    } catch (err) {
      throw unreadableState(join(this.layout.blobs, digestHex(file.id)), err)
    }
    const refs = refsOf(tags, file.id)
    return {
      id: file.id,
      repoTags: refs.filter((r) => !r.includes('@')),
      repoDigests: refs.filter((r) => r.includes('@')),
      created: config.created ?? '',
      size: file.size,
      diffIDs: file.diffIDs,
      config,
      manifestDigest: file.manifestDigest,
      lastTagTime: file.lastTagTime,
      parent: file.parent,
    }
  }

  #readTags(): Tags {
    try {
      const raw = JSON.parse(readFileSync(this.layout.repositories, 'utf8')) as Record<string, unknown>
      const tags: Tags = {}
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') tags[k] = v
      return tags
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw err
    }
  }

  /** Only under #metaLock. */
  #writeTags(tags: Tags): void {
    const sorted: Tags = {}
    for (const k of Object.keys(tags).sort()) sorted[k] = tags[k]
    mkdirSync(this.layout.root, { recursive: true })
    writeFileAtomic(this.layout.repositories, JSON.stringify(sorted, null, 2) + '\n', { tmpDir: this.session().dir })
  }

  #normalizeTag(ref: string): string {
    const r = parseReference(ref)
    if (r.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { code: 'EINVALIDREF', status: 400 })
    return fullString(withDefaultTag(r))
  }

  #normalizeDigestRef(ref: string): string {
    const r = parseReference(ref)
    if (r.digest === undefined) throw new TockerError(`invalid repository digest reference ${JSON.stringify(ref)}`, { code: 'EINVALIDREF', status: 400 })
    return refKey(r)
  }
}

/** The repositories.json key of a reference: with a digest, the tag is dropped (as Docker does). */
function refKey(ref: Reference): string {
  return ref.digest !== undefined ? `${fullName(ref)}@${ref.digest}` : fullString(ref)
}

/** "docker.io/library/busybox" of "docker.io/library/busybox:latest" or "...@sha256:…". */
function refName(key: string): string {
  return fullName(parseReference(key))
}

function refsOf(tags: Tags, id: string): string[] {
  return Object.keys(tags)
    .filter((k) => tags[k] === id)
    .sort()
}

/** Was the image named by its ID (full or a prefix) rather than by a reference? (Docker's isImageIDPrefix) */
function isIdReference(nameOrId: string, id: string): boolean {
  return id.startsWith(nameOrId) || digestHex(id).startsWith(nameOrId)
}

/** Docker's isSingleReference: all references in one repository, at most one of them a tag. */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1
  let single: string | undefined
  const digestRepos = new Set<string>()
  for (const r of refs) {
    if (r.includes('@')) digestRepos.add(refName(r))
    else if (single === undefined) single = r
    else return false
  }
  const name = refName(single ?? refs[0])
  return digestRepos.size === 1 && digestRepos.has(name)
}

/** Layer chain IDs, as Docker names layers: chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)). */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = []
  for (const d of diffIDs) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`))
  return out
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

export function noSuchImage(name: string): TockerError {
  let shown = name
  try {
    if (!/^(sha256:)?[a-f0-9]+$/.test(name)) shown = familiarString(withDefaultTag(parseReference(name)))
  } catch {
    // shown as typed
  }
  return new TockerError(`No such image: ${shown}`, { code: 'ENOSUCHIMAGE', status: 404, daemon: true })
}

/** A file of the store that exists but cannot be read: an error that stops the operation. */
function unreadableState(path: string, cause: unknown): TockerError {
  return new TockerError(`cannot read the image store's ${path}: ${(cause as Error)?.message ?? cause}`, {
    code: 'ESTATE',
    status: 500,
    cause,
    hint: 'The image store is damaged; nothing was removed. Restore that file, or remove it by hand and pull or load the image again.',
  })
}

function conflict(message: string): TockerError {
  return new TockerError(message, { code: 'ECONFLICT', status: 409, daemon: true })
}
