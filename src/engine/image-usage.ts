// The hook `rmi` calls before removing an image: which containers (running or not) use it, and
// Docker's conflict error. Reads the containers' records on disk, so it works with or without a
// running engine (the CLI's rmi can call it directly).
import { TockerError } from '../errors.js'
import { storeLayout } from '../store/layout.js'
import { loadRecords } from './state.js'

export interface ImageUser {
  id: string
  name: string
  running: boolean
}

/** Containers whose image is `imageId` ("sha256:<hex>"). */
export function imageUsers(root: string, imageId: string): ImageUser[] {
  const want = imageId.startsWith('sha256:') ? imageId : `sha256:${imageId}`
  return loadRecords(storeLayout(root).containers)
    .filter((r) => r.ImageID === want)
    .map((r) => ({ id: r.Id, name: r.Name, running: r.State.Running }))
}

/**
 * Docker's refusal for `rmi busybox` while a container uses it:
 *   conflict: unable to remove repository reference "busybox" (must force) - container 0f3b2c1d4e5f is using its referenced image 1a2b3c4d5e6f
 * With -f Docker untags anyway, but a *running* container's image is never deleted:
 *   conflict: unable to delete 1a2b3c4d5e6f (cannot be forced) - image is being used by running container 0f3b2c1d4e5f
 */
export function imageInUseError(reference: string, imageId: string, user: ImageUser, force: boolean): TockerError {
  const img = imageId.replace(/^sha256:/, '').slice(0, 12)
  const ctr = user.id.slice(0, 12)
  const message = force
    ? `conflict: unable to delete ${img} (cannot be forced) - image is being used by running container ${ctr}`
    : `conflict: unable to remove repository reference "${reference}" (must force) - container ${ctr} is using its referenced image ${img}`
  return new TockerError(message, { status: 409, daemon: true, code: 'ECONFLICT' })
}

/**
 * What rmi should do about containers: throws Docker's conflict error, or returns normally when the
 * image may go (untag or delete). `force`: rmi -f (untags even when stopped containers use it).
 */
export function checkImageRemovable(root: string, reference: string, imageId: string, force: boolean): void {
  const users = imageUsers(root, imageId)
  if (users.length === 0) return
  if (!force) throw imageInUseError(reference, imageId, users[0], false)
  const running = users.find((u) => u.running)
  if (running) throw imageInUseError(reference, imageId, running, true)
}
