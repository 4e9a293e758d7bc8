// Small synthetic images written as OCI image layouts, for the registry and pull tests: a few files
// per layer, an uncompressed tar (src/image/diff/tar-header.ts's headers), gzip-compressed, digests computed on the spot.
// Deterministic for the same input (mtime 0), so two builds share layers byte for byte.
//
//   const img = writeImageLayout(dir, { layers: [[{ path: 'etc/hello', content: 'hi' }]] })
//   const idx = writeImageLayout(dir, { platforms: [{ architecture: 'amd64', layers }, { architecture: 'arm64', layers }] })
//   await push(dir, `${reg.addr}/x/y:1`, { all: true })
//
// (test/helpers/fixtures.ts builds the real busybox/httpd fixtures; these are just enough for the client.)
import { createCipheriv, createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { encodeHeader, END_OF_ARCHIVE, padding } from '../../src/image/diff/tar-header.js'

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

function writeBlob(dir: string, data: Buffer | string): { digest: string; size: number } {
  const digest = sha256(data)
  const blobs = join(dir, 'blobs', 'sha256')
  mkdirSync(blobs, { recursive: true })
  writeFileSync(join(blobs, digest.slice(7)), data)
  return { digest, size: Buffer.byteLength(data) }
}

function writeImage(dir: string, img: TinyImage): WrittenImage & { manifestMediaType: string } {
  const layers = img.layers.map((files) => {
    const tar = tarOf(files)
    const gz = gzipSync(tar, { level: 1 })
    return { diffID: sha256(tar), ...writeBlob(dir, gz) }
  })
  const os = img.os ?? 'linux'
  const architecture = img.architecture ?? 'amd64'
  const config = {
    architecture,
    os,
    ...(img.variant ? { variant: img.variant } : {}),
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: img.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `tiny-images layer ${i}` })),
  }
  const cfg = writeBlob(dir, JSON.stringify(config))
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg.digest, size: cfg.size },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  }
  const m = writeBlob(dir, JSON.stringify(manifest))
  return {
    manifestDigest: m.digest,
    manifestSize: m.size,
    manifestMediaType: manifest.mediaType,
    configDigest: cfg.digest,
    layerDigests: layers.map((l) => l.digest),
    diffIDs: layers.map((l) => l.diffID),
    platform: [os, architecture, img.variant].filter(Boolean).join('/'),
  }
}

/**
 * Write an OCI layout at `dir` holding one image (or, with `platforms`, a multi-arch index) under
 * the ref name `refName` (default "latest"). Push it with push(dir, …) or push(`oci:${dir}:${refName}`, …).
 */
export function writeImageLayout(dir: string, spec: TinyImage | { platforms: TinyImage[] }, refName = 'latest'): WrittenLayout {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  let top: { mediaType: string; digest: string; size: number }
  let images: WrittenImage[]
  if ('platforms' in spec) {
    const written = spec.platforms.map((p) => writeImage(dir, p))
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: written.map((w, i) => ({
        mediaType: w.manifestMediaType,
        digest: w.manifestDigest,
        size: w.manifestSize,
        platform: {
          architecture: spec.platforms[i].architecture ?? 'amd64',
          os: spec.platforms[i].os ?? 'linux',
          ...(spec.platforms[i].variant ? { variant: spec.platforms[i].variant } : {}),
        },
      })),
    }
    top = { mediaType: index.mediaType, ...writeBlob(dir, JSON.stringify(index)) }
    images = written
  } else {
    const w = writeImage(dir, spec)
    top = { mediaType: w.manifestMediaType, digest: w.manifestDigest, size: w.manifestSize }
    images = [w]
  }
  const outer = {
    schemaVersion: 2,
    manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': refName } }],
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify(outer))
  return { digest: top.digest, images }
}

/** Deterministic incompressible bytes (AES-CTR keystream of the seed), for layers of a given size. */
export function noise(size: number, seed = 'tocker'): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size))
}
