// The documents that name a layout's images, shared by `save` and rootfs-cache's layout writer.
import t from 'tap'
import { archiveManifestEntry, nameAnnotations } from '../../../src/image/archive/layout-documents.js'
import { nameAnnotations as rootfsCacheNames } from '../../../rootfs-cache/lib/oci-layout.mjs'

const HEX = 'a'.repeat(64)

t.test('index.json annotations: the full name, and the tag as ref.name (latest when none)', async (t) => {
  t.same(nameAnnotations('docker.io/library/busybox:1.36'), { 'io.containerd.image.name': 'docker.io/library/busybox:1.36', 'org.opencontainers.image.ref.name': '1.36' })
  t.equal(nameAnnotations('localhost:5000/lab/web')['org.opencontainers.image.ref.name'], 'latest', 'a registry port is not a tag')
  // The old rootfs-cache copy split at the last ":" and took the digest's hex for the tag.
  t.equal(nameAnnotations(`localhost:5000/lab/web@sha256:${HEX}`)['org.opencontainers.image.ref.name'], 'latest', 'a digest is not a tag')
  // rootfs-cache's layout writer (its copy from dist/) names images the same way.
  for (const ref of ['docker.io/library/busybox:1.36', 'localhost:5000/lab/web', `localhost:5000/lab/web@sha256:${HEX}`]) t.same(rootfsCacheNames(ref), nameAnnotations(ref), ref)
})

t.test('manifest.json entries name blobs by path, RepoTags null when untagged', async (t) => {
  t.same(archiveManifestEntry(`sha256:${HEX}`, [`sha256:${'b'.repeat(64)}`], null), { Config: `blobs/sha256/${HEX}`, RepoTags: null, Layers: [`blobs/sha256/${'b'.repeat(64)}`] })
  t.same(archiveManifestEntry(`sha256:${HEX}`, [], ['busybox:latest']).RepoTags, ['busybox:latest'])
})
