// Which containers (running or not) use an image, for rmi's conflict check (the image store words
// Docker's conflict errors). Reads the containers' records on disk, so it works with or without a
// running engine.
import type { ImageUser } from '../image/store.js'
import { storeLayout } from '../store/layout.js'
import { loadRecords } from './state.js'

/** Containers whose image is `imageId` ("sha256:<hex>"). */
export function imageUsers(root: string, imageId: string): ImageUser[] {
  const want = imageId.startsWith('sha256:') ? imageId : `sha256:${imageId}`
  return loadRecords(storeLayout(root).containers)
    .filter((r) => r.ImageID === want)
    .map((r) => ({ id: r.Id, running: r.State.Running }))
}
