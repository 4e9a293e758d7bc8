// Small synthetic images written as OCI image layouts, for the registry and pull tests: a few files
// per layer, an uncompressed tar (src/image/diff/tar-header.ts's headers), gzip-compressed, digests computed on the spot.
// Deterministic for the same input (mtime 0), so two builds share layers byte for byte.
//
//   const img = await writeImageLayout(dir, { layers: [[{ path: 'etc/hello', content: 'hi' }]] })
//   const idx = await writeImageLayout(dir, { platforms: [{ architecture: 'amd64', layers }, { architecture: 'arm64', layers }] })
//   await push(dir, `${reg.addr}/x/y:1`, { all: true })
//
// (test/helpers/fixtures.ts builds the real busybox/httpd fixtures; these are just enough for the client.)
import { createCipheriv, createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { encodeHeader, END_OF_ARCHIVE, padding } from '../../src/image/diff/tar-header.js'
import { OciLayoutWriter } from '../../rootfs-cache/lib/oci-layout.mjs'

export interface TinyFile {
  path: string
  content?: string | Buffer
  type?: 'file' | 'dir' | 'symlink'
  linkname?: string
  mode?: number
}

export interface TinyImage {
  layers: TinyFile[][]
  architecture?: string // default amd64
  variant?: string
  os?: string // default linux
  cmd?: string[]
}

export interface WrittenImage {
  manifestDigest: string
  manifestSize: number
  configDigest: string
  layerDigests: string[]
  diffIDs: string[]
  platform: string // "linux/amd64"
}

export interface WrittenLayout {
  /** The digest of what index.json points at: the image manifest, or the nested index if multi-arch. */
  digest: string
  images: WrittenImage[]
}

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex')
}

/** A tar of `files` (owner 0:0, mtime 0), headers encoded as tocker encodes its own (tar-header.ts). */
export function tarOf(files: TinyFile[]): Buffer {
  const blocks: Buffer[] = []
  for (const f of files) {
    const type = f.type ?? 'file'
    const body = type === 'file' ? Buffer.from(f.content ?? '') : Buffer.alloc(0)
    const name = f.path + (type === 'dir' && !f.path.endsWith('/') ? '/' : '')
    const mode = f.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644)
    blocks.push(encodeHeader({ name, type, mode, uid: 0, gid: 0, size: body.length, mtime: 0, linkname: f.linkname }), body, padding(body.length))
  }
  blocks.push(END_OF_ARCHIVE)
  return Buffer.concat(blocks)
}

type Written = WrittenImage & { manifestMediaType: string; manifestPlatform: object }

async function writeImage(w: OciLayoutWriter, img: TinyImage): Promise<Written> {
  const layers = await Promise.all(
    img.layers.map(async (files) => {
      const tar = tarOf(files)
      return { ...(await w.blob(gzipSync(tar, { level: 1 }))), diffId: sha256(tar) }
    }),
  )
  const platform = { os: img.os ?? 'linux', architecture: img.architecture ?? 'amd64', ...(img.variant ? { variant: img.variant } : {}) }
  const m = await w.image({
    layers,
    config: { Cmd: img.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    created: Date.parse('2024-01-01T00:00:00Z') / 1000,
    platform,
    history: layers.map((_, i) => `tiny-images layer ${i}`),
  })
  return {
    manifestDigest: m.digest,
    manifestSize: m.size,
    manifestMediaType: m.mediaType,
    manifestPlatform: m.platform,
    configDigest: m.configDigest,
    layerDigests: m.layerDigests,
    diffIDs: layers.map((l) => l.diffId),
    platform: [platform.os, platform.architecture, img.variant].filter(Boolean).join('/'),
  }
}

/**
 * Write an OCI layout at `dir` holding one image (or, with `platforms`, a multi-arch index) under
 * the ref name `refName` (default "latest"), with the layout writer rootfs-cache and the fixtures use
 * (rootfs-cache/lib/oci-layout.mjs). Push it with push(dir, …) or push(`oci:${dir}:${refName}`, …).
 */
export async function writeImageLayout(dir: string, spec: TinyImage | { platforms: TinyImage[] }, refName = 'latest'): Promise<WrittenLayout> {
  const w = await new OciLayoutWriter(dir).init()
  const images: Written[] = []
  for (const img of 'platforms' in spec ? spec.platforms : [spec]) images.push(await writeImage(w, img))
  const top = 'platforms' in spec
    ? await w.platformIndex(images.map((i) => ({ mediaType: i.manifestMediaType, digest: i.manifestDigest, size: i.manifestSize, platform: i.manifestPlatform })))
    : { mediaType: images[0]!.manifestMediaType, digest: images[0]!.manifestDigest, size: images[0]!.manifestSize }
  await w.indexJson([{ descriptor: top, tag: refName }])
  return { digest: top.digest, images: images.map(({ manifestMediaType: _t, manifestPlatform: _p, ...i }) => i) }
}

/** Deterministic incompressible bytes (AES-CTR keystream of the seed), for layers of a given size. */
export function noise(size: number, seed = 'tocker'): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size))
}
