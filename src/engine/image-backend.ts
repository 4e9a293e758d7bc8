// The engine's view of the image store: resolve what `run` names into an image ID, its config and
// its layer directories (overlay lower dirs, top first). Reads the store's shared layout
// (src/store/layout.ts): repositories.json (tags), blobs/sha256/<config>, layers/<diffID>/diff.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ImageSummary } from '../api/types.js'
import { fullString, parseReference, withDefaultTag, familiarString } from '../image/reference.js'
import type { ImageConfig } from '../image/types.js'
import { storeLayout, type StoreLayout } from '../store/layout.js'
import type { ImageBackend, ResolvedImage } from './backend.js'

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

export class StoreImages implements ImageBackend {
  readonly layout: StoreLayout
  constructor(root: string) {
    this.layout = storeLayout(root)
  }

  #tags(): Record<string, string> {
    const r = readJson<Record<string, unknown>>(this.layout.repositories) ?? {}
    // Either {"ref": "sha256:…"} or {"Repositories": {...}}-like nesting: accept the flat form.
    const flat: Record<string, string> = {}
    for (const [k, v] of Object.entries(r)) if (typeof v === 'string') flat[k] = v
    return flat
  }

  #config(id: string): ImageConfig | undefined {
    return readJson<ImageConfig>(join(this.layout.blobs, id.replace(/^sha256:/, '')))
  }

  /** A tag ("busybox", "busybox:1.36", "127.0.0.1:5000/x") or an image ID / unique ID prefix. */
  resolveId(name: string): string | undefined {
    const tags = this.#tags()
    try {
      const ref = withDefaultTag(parseReference(name))
      const key = fullString(ref)
      if (tags[key]) return tags[key]
      if (ref.digest) {
        // name@sha256:… (a manifest digest): the store may record it as a tag too.
        const hit = Object.entries(tags).find(([k]) => k.endsWith(`@${ref.digest}`))
        if (hit) return hit[1]
      }
    } catch {
      /* not a reference: maybe an ID */
    }
    const hex = name.replace(/^sha256:/, '')
    if (/^[0-9a-f]{4,64}$/.test(hex) && existsSync(this.layout.blobs)) {
      const ids = new Set(Object.values(tags))
      for (const f of (existsSync(this.layout.images) ? readdirSync(this.layout.images) : []).map((f) => f.replace(/\.json$/, ''))) ids.add(`sha256:${f}`)
      const matches = [...ids].filter((id) => id.slice(7).startsWith(hex))
      if (matches.length === 1) return matches[0]
    }
    return undefined
  }

  async resolve(name: string): Promise<ResolvedImage | undefined> {
    const id = this.resolveId(name)
    if (!id) return undefined
    const config = this.#config(id)
    if (!config) return undefined
    const layerDirs = config.rootfs.diff_ids.map((d) => join(this.layout.layers, d.replace(/^sha256:/, ''), 'diff')).reverse()
    return { id, layerDirs, config: config.config ?? {} }
  }

  async list(): Promise<ImageSummary[]> {
    const byId = new Map<string, string[]>()
    for (const [ref, id] of Object.entries(this.#tags())) {
      if (ref.includes('@')) continue
      const list = byId.get(id) ?? []
      try {
        list.push(familiarString(parseReference(ref)))
      } catch {
        list.push(ref)
      }
      byId.set(id, list)
    }
    const out: ImageSummary[] = []
    for (const [id, tags] of byId) {
      const config = this.#config(id)
      if (!config) continue
      let size = 0
      for (const d of config.rootfs.diff_ids) {
        const rec = readJson<{ size?: number }>(join(this.layout.layers, d.replace(/^sha256:/, ''), 'layer.json'))
        size += rec?.size ?? 0
      }
      out.push({
        Id: id,
        ParentId: '',
        RepoTags: tags,
        RepoDigests: [],
        Created: config.created ? Math.floor(Date.parse(config.created) / 1000) : Math.floor(statSync(join(this.layout.blobs, id.slice(7))).mtimeMs / 1000),
        Size: size,
        SharedSize: -1,
        Labels: config.config?.Labels ?? null,
        Containers: 0,
      })
    }
    return out
  }
}

export async function createImageBackend(root: string): Promise<ImageBackend> {
  return new StoreImages(root)
}
