// Writes OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
//
//   DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
//   DIR/index.json          the entry point: descriptors of manifests (or of image indexes)
//   DIR/blobs/sha256/<hex>  layers (gzip), configs, manifests, indexes, named by their digest
//
// A layer has two digests: `digest` of the compressed blob (what manifests and registries use)
// and `diffId` of the uncompressed tar (what the image config's rootfs.diff_ids lists).
// Manifests can use OCI or Docker schema2 media types: the JSON shapes are the same.
//
// Everything is deterministic: JSON is serialised in a fixed key order, layers are compressed by
// GNU gzip with -n (no name, no timestamp in the gzip header), so the same input gives the same
// digests. Node's zlib is not used for layers: its deflate output may differ between CPUs.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sortEntries, writeTar } from './tar-writer.mjs'

// The media types are tocker's own table (src/image/types.ts), from its build, as the tar headers are.
const { MediaType } = await import(new URL('../../dist/src/image/types.js', import.meta.url).href).catch((err) => {
  throw new Error(`rootfs-cache uses tocker's media types; build tocker first (npm run build): ${err.message}`)
})
export { MediaType }
// index.json's naming annotations and manifest.json's entries: the same code as `tocker save`'s.
const { archiveManifestEntry, nameAnnotations } = await import(new URL('../../dist/src/image/archive/layout-documents.js', import.meta.url).href)
export { nameAnnotations }

const sha256hex = (buf) => createHash('sha256').update(buf).digest('hex')
const json = (value) => Buffer.from(JSON.stringify(value))

export class OciLayoutWriter {
  /** @param {string} dir the layout directory (created if missing) */
  constructor(dir) {
    this.dir = dir
    this.blobs = join(dir, 'blobs', 'sha256')
  }

  async init() {
    await mkdir(this.blobs, { recursive: true })
    await writeFile(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
    return this
  }

  /** Stores bytes as a blob; returns { digest, size }. */
  async blob(bytes) {
    const hex = sha256hex(bytes)
    await writeFile(join(this.blobs, hex), bytes)
    return { digest: `sha256:${hex}`, size: bytes.length }
  }

  /**
   * Writes a layer from tar entries, compressed with `gzip -n`, streaming (the tar is never held whole).
   * @param {Iterable<import('./tar-writer.mjs').TarEntry>|AsyncIterable<import('./tar-writer.mjs').TarEntry>} entries
   *   written in the given order (use sortEntries, or { sort: true }, for canonical layers)
   * @param {{ sort?: boolean, level?: number }} [opts]
   * @returns {Promise<{ digest: string, size: number, diffId: string, uncompressedSize: number }>}
   */
  async layer(entries, { sort = false, level = 6 } = {}) {
    if (sort) entries = sortEntries([...entries])
    const tmp = join(this.blobs, `.tmp-layer-${process.pid}-${Math.random().toString(36).slice(2)}`)
    const gzip = spawn('gzip', ['-n', `-${level}`, '-c'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const gzipDone = new Promise((resolve, reject) => {
      gzip.on('error', reject)
      gzip.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gzip exited with ${code}`))))
    })
    const out = createWriteStream(tmp)
    const compressedHash = createHash('sha256')
    let size = 0
    const written = new Promise((resolve, reject) => {
      out.on('finish', resolve)
      out.on('error', reject)
    })
    gzip.stdout.on('data', (chunk) => {
      compressedHash.update(chunk)
      size += chunk.length
      if (!out.write(chunk)) {
        gzip.stdout.pause()
        out.once('drain', () => gzip.stdout.resume())
      }
    })
    gzip.stdout.on('end', () => out.end())

    const tarHash = createHash('sha256')
    let uncompressedSize = 0
    try {
      await writeTar(entries, (chunk) => {
        tarHash.update(chunk)
        uncompressedSize += chunk.length
        if (gzip.stdin.write(chunk)) return Promise.resolve()
        return new Promise((resolve) => gzip.stdin.once('drain', resolve))
      })
      gzip.stdin.end()
      await Promise.all([gzipDone, written])
    } catch (err) {
      gzip.kill()
      await rm(tmp, { force: true })
      throw err
    }
    const hex = compressedHash.digest('hex')
    await rename(tmp, join(this.blobs, hex))
    return { digest: `sha256:${hex}`, size, diffId: `sha256:${tarHash.digest('hex')}`, uncompressedSize }
  }

  /**
   * Writes an image config and manifest.
   * @param {object} img
   * @param {{ digest: string, size: number, diffId: string }[]} img.layers bottom first
   * @param {object} img.config         the runtime config (Env, Cmd, WorkingDir, ExposedPorts, ...)
   * @param {number} img.created        seconds since the epoch
   * @param {'oci'|'docker'} [img.format]
   * @param {{ os: string, architecture: string, variant?: string }} [img.platform] default linux/amd64
   * @param {string[]} [img.history]    one created_by per layer
   * @returns {Promise<{ mediaType: string, digest: string, size: number, platform: object, configDigest: string, layerDigests: string[] }>}
   */
  async image({ layers, config, created, format = 'oci', platform = { os: 'linux', architecture: 'amd64' }, history = [] }) {
    const docker = format === 'docker'
    const createdIso = new Date(created * 1000).toISOString().replace('.000Z', 'Z')
    const imageConfig = {
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      created: createdIso,
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: createdIso, created_by: history[i] ?? `layer ${i + 1}`, comment: 'tocker rootfs-cache' })),
    }
    const cfg = await this.blob(json(imageConfig))
    const manifest = {
      schemaVersion: 2,
      mediaType: docker ? MediaType.DockerManifest : MediaType.OciManifest,
      config: { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
      layers: layers.map((l) => ({ mediaType: docker ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip, digest: l.digest, size: l.size })),
    }
    const m = await this.blob(json(manifest))
    return { mediaType: manifest.mediaType, ...m, platform, configDigest: cfg.digest, layerDigests: layers.map((l) => l.digest) }
  }

  /**
   * Writes an image index (OCI) or manifest list (Docker) over several platform manifests.
   * @param {{ mediaType: string, digest: string, size: number, platform: object }[]} manifests
   * @param {'oci'|'docker'} [format]
   */
  async platformIndex(manifests, format = 'oci') {
    const index = {
      schemaVersion: 2,
      mediaType: format === 'docker' ? MediaType.DockerManifestList : MediaType.OciIndex,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
    }
    const b = await this.blob(json(index))
    return { mediaType: index.mediaType, ...b }
  }

  /**
   * Writes index.json, the layout's entry point.
   * @param {{ descriptor: { mediaType: string, digest: string, size: number, platform?: object }, name?: string, tag?: string }[]} refs
   *   name (e.g. "docker.io/library/busybox:latest") sets both naming annotations; tag alone sets ref.name
   */
  async indexJson(refs) {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: refs.map(({ descriptor, name, tag }) => {
        const annotations = name ? nameAnnotations(name) : tag ? { 'org.opencontainers.image.ref.name': tag } : undefined
        const d = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size }
        if (descriptor.platform && descriptor.mediaType !== MediaType.OciIndex && descriptor.mediaType !== MediaType.DockerManifestList) d.platform = descriptor.platform
        if (annotations) d.annotations = annotations
        return d
      }),
    }
    await writeFile(join(this.dir, 'index.json'), json(index))
  }

  /**
   * Writes manifest.json, the docker-archive index that `docker save` writes beside index.json
   * (Docker >= 25 writes both), so older `docker load` and docker-archive readers accept the tarball.
   * @param {{ configDigest: string, layerDigests: string[], repoTags: string[] }[]} images
   */
  async dockerArchiveManifest(images) {
    const manifest = images.map((i) => archiveManifestEntry(i.configDigest, i.layerDigests, i.repoTags))
    await writeFile(join(this.dir, 'manifest.json'), json(manifest))
  }
}

/**
 * Tars a layout directory (files sorted, fixed mtime, root-owned) into `outFile`, uncompressed like
 * `docker save`, with the TarWriter `tocker save` streams its layout through. Written under a
 * temporary name and renamed, so a reader never sees half a file.
 */
export async function tarLayout(dir, outFile, mtime) {
  const { TarWriter } = await import(new URL('../../dist/src/image/archive/tar-writer.js', import.meta.url).href)
  const entries = []
  async function walk(rel) {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name
      if (name.startsWith('.tmp-')) continue
      const st = await stat(join(dir, r))
      if (st.isDirectory()) {
        entries.push({ path: r, type: 'dir' })
        await walk(r)
      } else entries.push({ path: r, type: 'file', size: st.size })
    }
  }
  await walk('')
  const tmp = `${outFile}.tmp-${process.pid}`
  const out = createWriteStream(tmp)
  try {
    const tar = new TarWriter(out, new Date(mtime * 1000))
    for (const e of sortEntries(entries)) {
      if (e.type === 'dir') await tar.dir(e.path)
      else await tar.stream(e.path, e.size, createReadStream(join(dir, e.path)))
    }
    await tar.end()
    await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())))
    await rename(tmp, outFile)
  } catch (err) {
    out.destroy()
    await rm(tmp, { force: true })
    throw err
  }
}

/** Reads a layout's index.json and the manifests it points to (for tests and the build's report). */
export async function readLayout(dir) {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'))
  const blob = async (digest) => JSON.parse(await readFile(join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8'))
  return { index, blob }
}

/** Digest (sha256:hex) of a file on disk. */
export async function fileDigest(path) {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk)
  return `sha256:${h.digest('hex')}`
}

export { sortEntries, writeTar }
export const exists = (p) => stat(p).then(() => true, () => false)

/**
 * A copy of a single-image layout at `dst` under another name (index.json's annotations and
 * manifest.json's RepoTags); the blobs, and so every digest, stay the same. Up to date when `dst`
 * already holds the same manifest under that name.
 */
export async function retagLayout(src, dst, imageName) {
  const { cp } = await import('node:fs/promises')
  const srcIndex = JSON.parse(await readFile(join(src, 'index.json'), 'utf8'))
  const dstIndex = await readFile(join(dst, 'index.json'), 'utf8').then(JSON.parse, () => undefined)
  const annotations = nameAnnotations(imageName)
  const same = dstIndex?.manifests?.length === 1 && dstIndex.manifests[0].digest === srcIndex.manifests[0].digest && dstIndex.manifests[0].annotations?.['io.containerd.image.name'] === imageName
  if (same) return dst
  const tmp = `${dst}.tmp-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  await cp(src, tmp, { recursive: true })
  await writeFile(join(tmp, 'index.json'), json({ ...srcIndex, manifests: [{ ...srcIndex.manifests[0], annotations }] }))
  const archive = await readFile(join(tmp, 'manifest.json'), 'utf8').then(JSON.parse, () => undefined)
  if (archive) await writeFile(join(tmp, 'manifest.json'), json([{ ...archive[0], RepoTags: [imageName.replace(/^docker\.io\/(library\/)?/, '')] }]))
  await rm(dst, { recursive: true, force: true })
  await rename(tmp, dst)
  return dst
}
