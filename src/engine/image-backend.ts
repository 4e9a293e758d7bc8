// The engine's view of the image store (src/image/store.ts): resolve what `run` names into an
// image ID, its config and its layer directories (overlay lower dirs, top first); list images for
// GET /images/json.
import type { ImageSummary } from '../api/types.js'
import { familiarString, parseReference } from '../image/reference.js'
import { ImageStore } from '../image/store.js'
import type { ImageBackend, ResolvedImage } from './backend.js'

export class StoreImages implements ImageBackend {
  readonly store: ImageStore
  constructor(root: string) {
    this.store = new ImageStore(root)
  }

  async resolve(name: string): Promise<ResolvedImage | undefined> {
    const rec = this.store.resolve(name)
    if (!rec) return undefined
    return { id: rec.id, layerDirs: this.store.layerDirs(rec.id), config: rec.config.config ?? {} }
  }

  async list(): Promise<ImageSummary[]> {
    const familiar = (ref: string) => {
      try {
        return familiarString(parseReference(ref))
      } catch {
        return ref
      }
    }
    return this.store.list().map((r) => ({
      Id: r.id,
      ParentId: '',
      RepoTags: r.repoTags.map(familiar),
      RepoDigests: r.repoDigests.map(familiar),
      Created: r.created ? Math.floor(Date.parse(r.created) / 1000) : 0,
      Size: r.size,
      SharedSize: -1,
      Labels: r.config.config?.Labels ?? null,
      Containers: 0,
    }))
  }
}

export async function createImageBackend(root: string): Promise<ImageBackend> {
  return new StoreImages(root)
}
