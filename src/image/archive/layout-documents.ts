// The small documents of an image layout that name its images, built here for every layout tocker
// writes: `save`'s tar stream (save.ts) and the offline images and test fixtures of rootfs-cache
// (rootfs-cache/lib/oci-layout.mjs, which imports this from dist/). Each caller serialises them.
import { digestHex } from '../../content/blobs.js'
import { parseReference } from '../reference.js'

/**
 * index.json's annotations for a full reference ("docker.io/library/busybox:latest"): containerd's
 * full name, which `load` tags the image with, and the OCI ref.name (the tag), which `oci:DIR:TAG`
 * finds. A reference without a tag is "latest".
 */
export function nameAnnotations(full: string): Record<string, string> {
  return { 'io.containerd.image.name': full, 'org.opencontainers.image.ref.name': parseReference(full).tag ?? 'latest' }
}

/** One image of manifest.json, the docker-archive index that Docker 25+ writes beside index.json. */
export function archiveManifestEntry(configDigest: string, layerDigests: string[], repoTags: string[] | null): { Config: string; RepoTags: string[] | null; Layers: string[] } {
  return { Config: `blobs/sha256/${digestHex(configDigest)}`, RepoTags: repoTags, Layers: layerDigests.map((d) => `blobs/sha256/${digestHex(d)}`) }
}
