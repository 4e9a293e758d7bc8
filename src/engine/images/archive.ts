// GET /images/get (save) and POST /images/load on the engine's side: which images and tags a list
// of names means (Docker's rules), and load's JSON messages:
//   {"status":"Loading layer","progressDetail":{"current":…,"total":…},"id":"a3ed95caeb02"}
//   {"stream":"Loaded image: busybox:latest\n"}
import type { Readable, Writable } from 'node:stream'
import { digestHex } from '../../content/blobs.js'
import { TockerError } from '../../errors.js'
import { layerMessage, type JSONMessage } from '../../api/json-message.js'
import { loadArchive } from '../../image/archive/load.js'
import { saveImages, type SaveItem } from '../../image/archive/save.js'
import { fullName, fullString, parseReference } from '../../image/reference.js'
import { noSuchImage, type ImageStore } from '../../image/store.js'
import { familiar } from './views.js'

/**
 * The images `save NAME…` writes, with the tags to record: by name, that tag (for a bare
 * repository name, all of its tags); by ID, no tags (Docker's rules).
 */
export function saveItems(store: ImageStore, names: string[]): SaveItem[] {
  if (names.length === 0) throw new TockerError('no image names given', { code: 'EINVALID', daemon: true })
  const items = new Map<string, SaveItem>()
  for (const name of names) {
    const img = store.resolve(name)
    if (!img) throw noSuchImage(name)
    const item = items.get(img.id) ?? { image: img, tags: [] }
    items.set(img.id, item)
    if (img.id.startsWith(name) || img.id.slice(7).startsWith(name)) continue
    const r = parseReference(name)
    const wanted = r.digest !== undefined ? [] : r.tag === undefined ? img.repoTags.filter((t) => fullName(parseReference(t)) === fullName(r)) : [fullString(r)]
    for (const t of wanted) if (!item.tags.includes(t)) item.tags.push(t)
  }
  return [...items.values()]
}

export async function saveToStream(store: ImageStore, items: SaveItem[], out: Writable): Promise<void> {
  await saveImages(store, items, out)
}

/** Load an archive; `send` gets Docker's messages (progress only without `quiet`). Returns what was loaded. */
export async function loadFromStream(store: ImageStore, input: Readable, quiet: boolean, send: (m: JSONMessage) => void): Promise<{ id: string; tags: string[] }[]> {
  const loaded = await loadArchive(store, input, {
    layer: (diffID, status) => {
      if (quiet || status !== 'loaded') return
      const size = store.layerInfo(diffID)?.tarSize ?? 0
      send(layerMessage(digestHex(diffID).slice(0, 12), 'Loading layer', size, size))
    },
    retagged: (ref, previous) => send({ stream: `The image ${familiar(ref)} already exists, renaming the old one with ID ${previous} to empty string\n` }),
  })
  for (const img of loaded) {
    if (img.tags.length === 0) send({ stream: `Loaded image ID: ${img.id}\n` })
    for (const t of img.tags) send({ stream: `Loaded image: ${familiar(t)}\n` })
  }
  return loaded
}
