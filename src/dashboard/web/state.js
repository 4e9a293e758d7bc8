// What the page knows: the container and image lists as the engine last answered them. They are
// read again only when the engine's /events stream says something changed (main.js), never on a
// timer: an open, idle page costs the engine nothing.
import { json } from './api.js'

export const state = {
  containers: [],
  images: [],
  /** Image inspect by ID: an image never changes, so it is asked for once. */
  imageInspect: new Map(),
}

const listeners = new Set()
export const onChange = (f) => (listeners.add(f), () => listeners.delete(f))
export const changed = (what) => {
  for (const f of listeners) f(what)
}

export async function loadContainers() {
  state.containers = await json('GET', '/containers/json', { query: { all: 1 } })
  changed('containers')
}

export async function loadImages() {
  state.images = await json('GET', '/images/json')
  const ids = new Set(state.images.map((i) => i.Id))
  for (const id of state.imageInspect.keys()) if (!ids.has(id)) state.imageInspect.delete(id)
  changed('images')
}

/** Every image's inspect (for the layer stacks and what they share), asked for once per image. */
export async function inspectAllImages() {
  const missing = state.images.filter((i) => !state.imageInspect.has(i.Id))
  await Promise.all(
    missing.map(async (i) => {
      state.imageInspect.set(i.Id, await json('GET', `/images/${encodeURIComponent(i.Id)}/json`))
    }),
  )
  if (missing.length) changed('layers')
}

/** The names an image goes by ("busybox:latest"), or its short ID. */
export function imageNames(id) {
  const img = state.images.find((i) => i.Id === id)
  const tags = (img?.RepoTags ?? []).filter((t) => t !== '<none>:<none>')
  return tags.length ? tags : [id.replace(/^sha256:/, '').slice(0, 12)]
}
