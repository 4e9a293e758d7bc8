// The engine's images: every image operation of the API (pull, list, inspect, history, rmi, tag,
// save, load, prune, disk usage) against the one store, with Docker's events. The engine is the
// only owner of this state: the CLI and other clients reach it through the API.
//
// Images against containers: `rmi`/`prune` hold the image lock exclusively, a container `create`
// holds it shared from resolving its image until its record is saved (forCreate), so an rmi can
// never delete the layers of a container being created (see rwlock.ts).
import type { Readable, Writable } from 'node:stream'
import { TockerError } from '../../errors.js'
import type { JSONMessage } from '../../api/json-message.js'
import type { AuthConfig, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImagePruneReport, ImageSummary } from '../../api/types.js'
import { familiarString, fullString, parseReference, withDefaultTag } from '../../image/reference.js'
import { registryHostOf } from '../../registry-credentials.js'
import { chainIDs, ImageStore, noSuchImage, type ImageRecord } from '../../image/store.js'
import type { ResolvedImage } from '../backend.js'
import type { EventBus } from '../events.js'
import { boolFilter, matchLabels, matchNotLabels, parseFilters, parseTimestamp } from '../filters.js'
import { RWLock } from '../rwlock.js'
import { loadFromStream, saveItems, saveToStream } from './archive.js'
import { filterImages, IMAGE_LIST_FILTERS } from './list-filters.js'
import { credentialsOf, pullToStream, requestClient, type PullRequest } from './pull.js'
import { pushToStream, type PushRequest } from './push.js'
import { importImage, type ImportRequest } from './import.js'
import { familiar, imageHistory, imageInspect, imageSummary } from './views.js'

export interface ImageUser {
  id: string
  running: boolean
}

export interface ImageServiceOptions {
  root: string
  events: EventBus
  /** The containers (running or not) whose image is `imageId`: the engine's records. */
  users(imageId: string): ImageUser[]
}

const PRUNE_FILTERS = ['dangling', 'until', 'label', 'label!'] as const

export class ImageService {
  readonly store: ImageStore
  readonly lock = new RWLock()

  /**
   * Made at engine start. What pulls killed half-way (with their engine, or an older CLI that
   * pulled itself) left in tmp/ goes now, and again at every `images` and `run`: a live pull's
   * work is never touched (see ImageStore.removeGarbage).
   */
  constructor(readonly opts: ImageServiceOptions) {
    this.store = new ImageStore(opts.root)
    this.store.removeGarbage()
  }

  close(): void {
    this.store.close()
  }

  /** An image for `run`/`create`, or undefined when the store does not have it (the client pulls). */
  resolve(name: string): ResolvedImage | undefined {
    this.store.removeGarbage()
    const rec = this.store.resolve(name)
    if (!rec) return undefined
    return { id: rec.id, layerDirs: this.store.layerDirs(rec.id), config: rec.config.config ?? {} }
  }

  /**
   * Resolve the image and run `fn` (which saves the container's record) while no rmi/prune can
   * run: the image's layers stay until the record that holds them is there.
   */
  forCreate<T>(name: string, fn: (image: ResolvedImage | undefined) => Promise<T>): Promise<T> {
    return this.lock.read(async () => fn(this.resolve(name)))
  }

  count(): number {
    return this.store.list().length
  }

  #get(name: string): ImageRecord {
    const img = this.store.resolve(name)
    if (!img) throw noSuchImage(name)
    return img
  }

  // ---- pull ----

  async pull(req: PullRequest, send: (m: JSONMessage) => void, signal?: AbortSignal): Promise<void> {
    const { ref } = await pullToStream(this.store, req, send, signal)
    this.opts.events.emit('image', 'pull', familiarString(ref), { name: familiarString({ domain: ref.domain, path: ref.path }) })
  }

  /** POST /images/{name}/push: no rmi or prune removes a layer while it is being sent. */
  async push(req: PushRequest, send: (m: JSONMessage) => void): Promise<void> {
    const pushed = await this.lock.read(() => pushToStream(this.store, req, send))
    for (const name of pushed) this.opts.events.emit('image', 'push', name, { name })
  }

  /** POST /auth: are these credentials good for that registry? (The client stores them.) */
  async login(auth: AuthConfig): Promise<void> {
    const creds = credentialsOf(auth)
    if (!creds) throw new TockerError('Error: Non-null Username Required', { code: 'EINVALID', daemon: true })
    await requestClient(auth).checkLogin(registryHostOf(auth.serveraddress), creds)
  }

  // ---- list / inspect / history ----

  list(q: { all?: boolean; filters?: string | null }): ImageSummary[] {
    const filters = parseFilters(q.filters, IMAGE_LIST_FILTERS)
    this.store.removeGarbage()
    const all = this.store.list()
    // Without --all, the intermediate images of builds (untagged, with images made on them) are
    // not shown, as Docker hides them.
    const parents = new Set(all.map((i) => i.parent).filter((p): p is string => p !== undefined))
    const shown = q.all ? all : all.filter((i) => i.repoTags.length > 0 || i.repoDigests.length > 0 || !parents.has(i.id))
    const images = filterImages(shown, filters, (n) => this.store.resolve(n))
    return images
      .sort((a, b) => Date.parse(b.created || '0') - Date.parse(a.created || '0') || a.id.localeCompare(b.id))
      .map((img) => imageSummary(img, this.opts.users(img.id).length))
  }

  inspect(name: string): ImageInspect {
    const img = this.#get(name)
    return imageInspect(img, this.store.layerDirs(img.id))
  }

  history(name: string): ImageHistoryItem[] {
    return imageHistory(this.#get(name), this.store)
  }

  // ---- tag / remove / prune ----

  /** POST /images/{name}/tag?repo=…&tag=… */
  tag(name: string, repo: string, tag?: string): void {
    const img = this.#get(name)
    let target
    try {
      target = parseReference(tag ? `${repo}:${tag}` : repo)
    } catch (err) {
      throw new TockerError((err as Error).message, { code: 'EINVALID', daemon: true })
    }
    if (target.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { code: 'EINVALID', daemon: true })
    target = withDefaultTag(target)
    this.store.tag(img.id, fullString(target))
    this.opts.events.emit('image', 'tag', img.id, { name: familiarString(target) })
  }

  /** DELETE /images/{name}: Docker's untag-then-delete rules (see ImageStore.removeImage). */
  remove(name: string, o: { force: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]> {
    return this.lock.write(async () => this.#remove(name, o.force, o.noprune))
  }

  #remove(name: string, force: boolean, noprune = false): ImageDeleteItem[] {
    const id = this.store.resolveId(name)
    const r = this.store.removeImage(name, { force, noprune, users: this.opts.users })
    for (const u of r.untagged) this.opts.events.emit('image', 'untag', id ?? u, { name: u })
    if (r.deleted[0]) this.opts.events.emit('image', 'delete', r.deleted[0], { name: r.deleted[0] })
    return [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))]
  }

  /** POST /images/prune: dangling images (all unused ones with dangling=false) nothing uses. */
  prune(rawFilters: string | null | undefined): Promise<ImagePruneReport> {
    const f = parseFilters(rawFilters, PRUNE_FILTERS)
    const danglingOnly = boolFilter(f, 'dangling') ?? true
    const until = f.get('until')?.map((v) => Number(parseTimestamp(v) / 1_000_000n))
    return this.lock.write(async () => {
      // Layer sizes by the chain ID Docker reports them under, taken before anything goes.
      const sizes = new Map<string, number>()
      const candidates: ImageRecord[] = []
      for (const img of this.store.list()) {
        chainIDs(img.diffIDs).forEach((c, i) => sizes.set(c, this.store.layerInfo(img.diffIDs[i])?.size ?? 0))
        if (danglingOnly && img.repoTags.length > 0) continue
        const created = img.created ? Date.parse(img.created) : 0
        if (until && !until.every((u) => created < u)) continue
        const labels = img.config.config?.Labels
        if (!matchLabels(f, labels) || !matchNotLabels(f, labels)) continue
        if (this.opts.users(img.id).length > 0) continue
        candidates.push(img)
      }
      const deleted: ImageDeleteItem[] = []
      for (const img of candidates) {
        try {
          deleted.push(...this.#remove(img.id, false))
        } catch (err) {
          // Docker skips images it may not delete (several repositories, in use meanwhile).
          if ((err as TockerError).status !== 409 && (err as TockerError).status !== 404) throw err
        }
      }
      let reclaimed = 0
      for (const d of deleted) if ('Deleted' in d) reclaimed += sizes.get(d.Deleted) ?? 0
      this.opts.events.emit('image', 'prune', '', { reclaimed: String(reclaimed) })
      return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed }
    })
  }

  // ---- save / load ----

  /** Check the names first (an error is still an HTTP status), then stream the tar. */
  prepareSave(names: string[]): (out: Writable) => Promise<void> {
    const items = saveItems(this.store, names)
    return async (out) => {
      await saveToStream(this.store, items, out)
      for (const it of items) this.opts.events.emit('image', 'save', it.image.id, { name: it.tags[0] ? familiar(it.tags[0]) : it.image.id })
    }
  }

  async load(input: Readable, quiet: boolean, send: (m: JSONMessage) => void): Promise<void> {
    const loaded = await loadFromStream(this.store, input, quiet, send)
    for (const img of loaded) this.opts.events.emit('image', 'load', img.id, { name: img.tags[0] ? familiar(img.tags[0]) : img.id })
  }

  /** POST /images/create?fromSrc=-: a tar of files as a one-layer image (import.ts); sends its ID. */
  async import(body: Readable, req: ImportRequest, send: (m: JSONMessage) => void): Promise<void> {
    const r = await this.lock.read(() => importImage(this.store, body, req))
    this.opts.events.emit('image', 'import', r.id, { name: r.tag ? familiar(r.tag) : r.id })
    send({ status: r.id })
  }

  // ---- disk usage ----

  /** GET /system/df's image part: every image with its shared size and users, and all layers' size. */
  diskUsage(): { layersSize: number; images: ImageSummary[] } {
    const images = this.store.list()
    const usedBy = new Map<string, number>()
    for (const img of images) for (const d of new Set(img.diffIDs)) usedBy.set(d, (usedBy.get(d) ?? 0) + 1)
    let layersSize = 0
    for (const hex of this.store.layers.all()) layersSize += this.store.layerInfo(`sha256:${hex}`)?.size ?? 0
    const summaries = images.map((img) => {
      let shared = 0
      for (const d of new Set(img.diffIDs)) if ((usedBy.get(d) ?? 0) > 1) shared += this.store.layerInfo(d)?.size ?? 0
      return imageSummary(img, this.opts.users(img.id).length, shared)
    })
    return { layersSize, images: summaries }
  }
}
