// `rmi`: Docker's image-delete algorithm (daemon/images/image_delete.go) over the image store, and
// the garbage collection that goes with it (configs, manifests, layers no image uses).
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { digestHex, type BlobStore } from '../content/blobs.js'
import { TockerError } from '../errors.js'
import { withLockSync } from '../sys/lock.js'
import { isTracing, note } from '../trace/trace.js'
import { chainIDs } from './chain-ids.js'
import { removeDanglingLinks } from './layer-links.js'
import type { LayerStore } from './layers.js'
import { familiarString, fullName, parseReference, withDefaultTag } from './reference.js'
import { noSuchImage, refKey, refName, refsOf, type ImageFile, type ImageRecords } from './records.js'
import { pinnedLayers } from './session.js'

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

/** The parts of the store rmi changes. */
export interface RemoveParts {
  records: ImageRecords
  blobs: BlobStore
  layers: LayerStore
  /** The store's tmp/ (where live pulls pin layers). */
  tmp: string
}

/**
 * By reference: untag it (and the repository's digest references when no tag of that repository
 * remains); the image goes only when nothing references it any more. By ID: the image goes with all
 * its references, unless they span several repositories (then -f is needed). Layers no other image
 * uses go with it. The caller has cleaned dead sessions first, so that their pins do not keep layers.
 */
export function removeImage(store: RemoveParts, nameOrId: string, opts: RemoveOptions = {}): RemoveResult {
  const { records, blobs, layers } = store
  const force = opts.force ?? false
  const users = opts.users ?? (() => [])
  const untagged: string[] = []
  const deleted: string[] = []
  const trash: string[] = []
  withLockSync(records.lock, () => {
    // Every image record first: one that cannot be read stops rmi before anything changes
    // (otherwise that image's layers would look unused and go). The same for the live pulls' pins:
    // they are read again when a layer is about to go (detach() asks under the layer's lock).
    const all = new Map(records.hexes().map((h) => [h, records.read(h)] as const))
    pinnedLayers(store.tmp)
    const id = records.resolveId(nameOrId)
    if (id === undefined) throw noSuchImage(nameOrId)
    const tags = records.readTags()
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
            // Docker quotes the reference as it was given (`docker rmi busybox` → "busybox").
            `conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${short}`,
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
      records.writeTags(tags)
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
      records.writeTags(tags)
    }

    // Now the image itself.
    const running = users(id).find((u) => u.running)
    const stopped = users(id)[0]
    const children = [...all.values()].filter((f) => f?.parent === id)
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
    records.writeTags(tags)
    const remaining = new Map(all)
    let pins: Set<string> | undefined
    const pinned = () => (pins ??= pinnedLayers(store.tmp))
    // The image, then (unless noprune) the untagged build steps under it that nothing else uses,
    // as Docker's rmi deletes a built image's intermediate images with it.
    for (let target: string | undefined = id; target !== undefined;) {
      const hex = digestHex(target)
      const file = remaining.get(hex)
      rmSync(records.path(hex), { force: true })
      remaining.delete(hex)
      deleted.push(target)
      note('rmi', 'explain.note.rmi.config', { id: hex.slice(0, 12) })
      if (!file) break
      // Garbage: the config, the manifest if no other image came from it, and unused layers.
      const others = [...remaining.values()].filter((f): f is ImageFile => f !== undefined)
      blobs.remove(target)
      if (file.manifestDigest && !others.some((o) => o.manifestDigest === file.manifestDigest)) blobs.remove(file.manifestDigest)
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
        const moved = layers.detach(d, pinned)
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
    for (const hex of layers.all()) {
      const d = `sha256:${hex}`
      if (stillUsed.has(d)) continue
      const moved = layers.detach(d, pinned)
      if (moved) trash.push(moved)
    }
    // Short links whose layer went by some other way (a process killed half-way).
    removeDanglingLinks(records.layout.layers)
  })
  // The trash dir too: in the engine the session (and its tmp dir) lives as long as the engine.
  for (const t of trash) rmSync(dirname(t), { recursive: true, force: true })
  return { untagged, deleted }
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

function conflict(message: string): TockerError {
  return new TockerError(message, { code: 'ECONFLICT', daemon: true })
}
