// Where everything lives under the store root (--root, default /var/lib/tocker). One place, so that
// the image store, the runtime and the engine agree on paths.
import { join } from 'node:path'

/** The store when no --root (or TOCKER_ROOT) is given. */
export const DEFAULT_ROOT = '/var/lib/tocker'

export interface StoreLayout {
  root: string
  /** Content-addressed manifests, indexes and image configs: blobs/sha256/<hex>. */
  blobs: string
  /** One directory per unpacked layer, keyed by its DiffID hex: layers/<hex>/diff is an overlay lowerdir. */
  layers: string
  /** Image records, one JSON per image ID (config digest hex): images/<hex>.json. */
  images: string
  /** Tags: {"docker.io/library/busybox:latest": "sha256:<config>"}, rewritten atomically. */
  repositories: string
  /** Per-container state, bundles and writable layers: containers/<id>/. */
  containers: string
  /** Work in progress (downloads, unpacks); anything here is garbage once its owner is gone. */
  tmp: string
  /** Removed containers' directories, moved here to be deleted after the answer (engine/trash.ts). */
  trash: string
  /** flock(2) files that serialise work on one layer / the tag file / one container. */
  locks: string
}

export function storeLayout(root: string): StoreLayout {
  return {
    root,
    blobs: join(root, 'blobs', 'sha256'),
    layers: join(root, 'layers'),
    images: join(root, 'images'),
    repositories: join(root, 'repositories.json'),
    containers: join(root, 'containers'),
    tmp: join(root, 'tmp'),
    trash: join(root, 'trash'),
    locks: join(root, 'locks'),
  }
}
