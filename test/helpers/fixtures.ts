// Test images as OCI layouts, built from real files with the rootfs-cache writer and cached under
// test/.tmp/fixtures/ (busybox and httpd come from rootfs-cache/out/). Every layout holds its image
// under the tag "latest" (`oci:DIR:latest`), so tests can push it with skopeo:
//
//   const dir = await fixture('whiteout')
//   await pushFixture(registry.addr, 'whiteout', 'lab/whiteout:latest', { format: 'v2s2' })
//
// Fixtures:
//   busybox                  the offline image (rootfs-cache), OCI media types
//   httpd                    rootfs-cache's httpd:busybox (busybox's httpd, starts in milliseconds)
//                            named httpd:latest; the learners' httpd:latest is Apache, too big for tests
//   busybox-v2s2             busybox with Docker schema2 media types
//   two-layer                busybox's base layer (same digest) + a layer with /etc/two-layer
//   whiteout                 layer 1: /a/file, /a/keep, /dir/x, /opq/old
//                            layer 2: /a/.wh.file, /.wh.dir, /opq/.wh..wh..opq, /opq/new
//   whiteout-opaque-last     the same, with the opaque marker AFTER /opq/new in layer 2's tar
//   multiarch                OCI index: linux/amd64 (busybox + /etc/arch "amd64") and
//                            linux/arm64/v8 (one layer, /etc/arch "arm64")
//   multiarch-docker         the same as a Docker manifest list (schema2 media types)
//   hostile-dotdot           layer with "ok" then "../escape"
//   hostile-absolute         layer with "ok" then "/escape"
//   hostile-symlink          "link" -> /tmp, then "link/pwned" (writes through the symlink)
//   hostile-hardlink         "hostname" hardlinked to "../../etc/hostname"
//   hostile-symlink-chain    "d/up" -> "..", "d/up2" -> "up/..", then "d/up2/pwned": no path has a
//                            ".." component, but d/up2 resolves to the layer dir's parent
//   layers-125               125 layers: busybox's base layer at the bottom, 123 layers each adding
//                            /layers/NNN and rewriting /order ("NNN"), and /top ("top") on top
//   bench                    2 layers, ~170 MB uncompressed: busybox + host libraries, + host /usr/share files
//   bench-sibling            bench's first layer (shared) + a different second layer
import { execFile } from 'node:child_process'
import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
// A tar entry as the rootfs-cache writer takes it (typed in tar-writer.d.mts).
import type { TarEntry } from '../../rootfs-cache/lib/tar-writer.mjs'
// @ts-ignore: plain JavaScript modules shared with the offline image build and the benchmarks
import { busyboxBaseEntries, buildRootfsCache, DEFAULT_OUT } from '../../rootfs-cache/build.mjs'
// @ts-ignore
import { retagLayout } from '../../rootfs-cache/lib/oci-layout.mjs'
// @ts-ignore
import { BUSYBOX_CONFIG } from '../../rootfs-cache/recipes/busybox.mjs'
// @ts-ignore
import { benchFixture } from '../bench/fixtures.mjs'
// @ts-ignore
import { cachedLayout, FIXTURE_TAG as TAG, FIXTURES_DIR as DIR, withLock } from './layout-cache.mjs'

const run = promisify(execFile)
export const FIXTURES_DIR: string = DIR
/** The tag every fixture layout holds its image under. */
export const FIXTURE_TAG: string = TAG
// Bump when a recipe below changes, so cached layouts are rebuilt.
const FIXTURE_VERSION = 1

export type FixtureName =
  | 'busybox'
  | 'httpd'
  | 'busybox-v2s2'
  | 'two-layer'
  | 'whiteout'
  | 'whiteout-opaque-last'
  | 'multiarch'
  | 'multiarch-docker'
  | 'hostile-dotdot'
  | 'hostile-absolute'
  | 'hostile-symlink'
  | 'hostile-hardlink'
  | 'hostile-symlink-chain'
  | 'layers-125'
  | 'bench'
  | 'bench-sibling'

interface Layer {
  digest: string
  size: number
  diffId: string
  uncompressedSize: number
}
interface ManifestDescriptor {
  mediaType: string
  digest: string
  size: number
  platform: { os: string; architecture: string; variant?: string }
  configDigest: string
  layerDigests: string[]
}
interface Writer {
  layer(entries: Iterable<TarEntry>, opts?: { sort?: boolean; level?: number }): Promise<Layer>
  image(img: {
    layers: Layer[]
    config: object
    created: number
    format?: 'oci' | 'docker'
    platform?: { os: string; architecture: string; variant?: string }
    history?: string[]
  }): Promise<ManifestDescriptor>
  platformIndex(manifests: ManifestDescriptor[], format?: 'oci' | 'docker'): Promise<{ mediaType: string; digest: string; size: number }>
  indexJson(refs: { descriptor: { mediaType: string; digest: string; size: number }; name?: string; tag?: string }[]): Promise<void>
}

type Inputs = { busybox: string; version: string; mtime: number }
type Recipe = (w: Writer, inputs: Inputs) => Promise<{ mediaType: string; digest: string; size: number }>

const file = (path: string, data: string, mtime: number, mode = 0o644): TarEntry => ({ path, type: 'file', data, mode, mtime })
const dir = (path: string, mtime: number, mode = 0o755): TarEntry => ({ path, type: 'dir', mode, mtime })

async function baseLayer(w: Writer, inputs: Inputs): Promise<Layer> {
  return w.layer(await busyboxBaseEntries(inputs))
}

/** A one-layer image whose layer is exactly `entries`, in that order (hostile layers). */
function rawImage(entries: (mtime: number) => TarEntry[]): Recipe {
  return async (w, inputs) => {
    const layer = await w.layer(entries(inputs.mtime))
    return w.image({ layers: [layer], config: BUSYBOX_CONFIG, created: inputs.mtime, history: ['hostile layer'] })
  }
}

function whiteoutImage(opaqueLast: boolean): Recipe {
  return async (w, { mtime }) => {
    const lower = await w.layer(
      [dir('a', mtime), file('a/file', 'lower a/file\n', mtime), file('a/keep', 'lower a/keep\n', mtime), dir('dir', mtime), file('dir/x', 'lower dir/x\n', mtime), dir('opq', mtime), file('opq/old', 'lower opq/old\n', mtime)],
      { sort: true },
    )
    // Whiteouts in a layer tar are empty regular files (the OCI spec's form); the store turns them
    // into overlayfs' 0/0 character devices and trusted.overlay.opaque xattrs.
    const opaque = file('opq/.wh..wh..opq', '', mtime)
    const upper = await w.layer([
      dir('a', mtime),
      file('a/.wh.file', '', mtime),
      file('.wh.dir', '', mtime),
      dir('opq', mtime),
      ...(opaqueLast ? [file('opq/new', 'upper opq/new\n', mtime), opaque] : [opaque, file('opq/new', 'upper opq/new\n', mtime)]),
    ])
    return w.image({ layers: [lower, upper], config: BUSYBOX_CONFIG, created: mtime, history: ['lower', opaqueLast ? 'whiteouts, opaque marker last' : 'whiteouts'] })
  }
}

function multiarchImage(format: 'oci' | 'docker'): Recipe {
  return async (w, inputs) => {
    const { mtime } = inputs
    const base = await baseLayer(w, inputs)
    const archLayer = (arch: string) => w.layer([dir('etc', mtime), file('etc/arch', `${arch}\n`, mtime)])
    const amd64 = await w.image({
      layers: [base, await archLayer('amd64')],
      config: BUSYBOX_CONFIG,
      created: mtime,
      format,
      platform: { os: 'linux', architecture: 'amd64' },
    })
    const arm64 = await w.image({
      layers: [await archLayer('arm64')],
      config: BUSYBOX_CONFIG,
      created: mtime,
      format,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    })
    return w.platformIndex([amd64, arm64], format)
  }
}

const RECIPES: Record<Exclude<FixtureName, 'busybox' | 'httpd' | 'bench' | 'bench-sibling'>, Recipe> = {
  'busybox-v2s2': async (w, inputs) => w.image({ layers: [await baseLayer(w, inputs)], config: BUSYBOX_CONFIG, created: inputs.mtime, format: 'docker', history: ['busybox'] }),

  'two-layer': async (w, inputs) => {
    const base = await baseLayer(w, inputs)
    const top = await w.layer([dir('etc', inputs.mtime), file('etc/two-layer', 'second layer\n', inputs.mtime)])
    return w.image({ layers: [base, top], config: BUSYBOX_CONFIG, created: inputs.mtime, history: ['busybox', 'etc/two-layer'] })
  },

  'layers-125': async (w, inputs) => {
    const { mtime } = inputs
    const layers = [await baseLayer(w, inputs)]
    for (let i = 2; i <= 124; i++) {
      const n = String(i).padStart(3, '0')
      layers.push(await w.layer([dir('layers', mtime), file(`layers/${n}`, `${n}\n`, mtime), file('order', `${n}\n`, mtime)]))
    }
    layers.push(await w.layer([file('top', 'top\n', mtime), file('order', '125\n', mtime)]))
    return w.image({ layers, config: BUSYBOX_CONFIG, created: mtime, history: layers.map((_, i) => `layer ${i + 1}`) })
  },

  whiteout: whiteoutImage(false),
  'whiteout-opaque-last': whiteoutImage(true),
  multiarch: multiarchImage('oci'),
  'multiarch-docker': multiarchImage('docker'),

  'hostile-dotdot': rawImage((m) => [file('ok', 'ok\n', m), file('../escape', 'escaped\n', m)]),
  'hostile-absolute': rawImage((m) => [file('ok', 'ok\n', m), file('/escape', 'escaped\n', m)]),
  'hostile-symlink': rawImage((m) => [
    { path: 'link', type: 'symlink', linkname: '/tmp', mode: 0o777, mtime: m },
    file('link/pwned', 'written through a symlink\n', m),
  ]),
  'hostile-hardlink': rawImage((m) => [file('ok', 'ok\n', m), { path: 'hostname', type: 'hardlink', linkname: '../../etc/hostname', mtime: m }]),
  'hostile-symlink-chain': rawImage((m) => [
    dir('d', m),
    { path: 'd/up', type: 'symlink', linkname: '..', mode: 0o777, mtime: m },
    { path: 'd/up2', type: 'symlink', linkname: 'up/..', mode: 0o777, mtime: m },
    file('d/up2/pwned', 'written through a symlink chain\n', m),
  ]),
}

/** The OCI layout directory of a fixture, built on first use and cached. Its tag is "latest". */
export async function fixture(name: FixtureName): Promise<string> {
  if (name === 'busybox') {
    return withLock(join(FIXTURES_DIR, '.lock-rootfs-cache'), async () => {
      const built = await buildRootfsCache({ outDir: DEFAULT_OUT, only: [name] })
      return built[name].layout as string
    })
  }
  if (name === 'httpd') {
    return withLock(join(FIXTURES_DIR, '.lock-rootfs-cache'), async () => {
      const built = await buildRootfsCache({ outDir: DEFAULT_OUT, only: ['httpd-busybox'] })
      return retagLayout(built['httpd-busybox'].layout, join(FIXTURES_DIR, 'httpd'), 'docker.io/library/httpd:latest') as Promise<string>
    })
  }
  if (name === 'bench' || name === 'bench-sibling') return benchFixture(name)
  const recipe = RECIPES[name]
  if (!recipe) throw new Error(`no fixture named ${name}`)
  return cachedLayout(name, FIXTURE_VERSION, recipe)
}

export interface LayoutInfo {
  /** Digest of what index.json points to: a manifest, or an index / manifest list. */
  digest: string
  mediaType: string
  /** For a single-image layout: the manifest's config and layers. */
  configDigest?: string
  layers?: { digest: string; size: number; mediaType: string }[]
  diffIds?: string[]
  /** For an index: its platform manifests. */
  manifests?: { digest: string; mediaType: string; platform: { os: string; architecture: string; variant?: string } }[]
}

/** What a layout holds (digests a test can compare with what tocker stored). */
export async function layoutInfo(layoutDir: string): Promise<LayoutInfo> {
  const blob = async (digest: string) => JSON.parse(await readFile(join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8'))
  const top = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')).manifests[0]
  const doc = await blob(top.digest)
  if (doc.manifests) return { digest: top.digest, mediaType: top.mediaType, manifests: doc.manifests }
  const config = await blob(doc.config.digest)
  return { digest: top.digest, mediaType: top.mediaType, configDigest: doc.config.digest, layers: doc.layers, diffIds: config.rootfs.diff_ids }
}

export interface PushOptions {
  /**
   * Manifest media types in the registry: by default as in the layout; 'oci' or 'v2s2' (Docker
   * schema2) makes skopeo convert. Layouts with Docker media types (busybox-v2s2, multiarch-docker)
   * are pushed as they are.
   */
  format?: 'oci' | 'v2s2'
  /** For an index: push every platform (skopeo --all); without it skopeo pushes the host's only. */
  all?: boolean
}

const DOCKER_TYPES = new Set(['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json'])

/**
 * Pushes a fixture to a registry on 127.0.0.1.
 * OCI layouts go through skopeo (a real third-party client reads our layouts). skopeo's oci:
 * transport refuses index.json entries with Docker media types, so those layouts are pushed by
 * pushLayoutRaw below, byte for byte (the registry then serves the layout's exact digests).
 * @param registryAddr "127.0.0.1:PORT"
 * @param destRepoTag  "repo/path:tag"
 * @returns the digest of the pushed manifest (or index), as the registry serves it
 */
export async function pushFixture(registryAddr: string, name: FixtureName, destRepoTag: string, opts: PushOptions = {}): Promise<string> {
  const layout = await fixture(name)
  const top = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')).manifests[0]
  if (DOCKER_TYPES.has(top.mediaType)) {
    if (opts.format === 'oci') throw new Error(`pushFixture: ${name} has Docker media types; converting it to OCI is not supported`)
    return pushLayoutRaw(registryAddr, layout, destRepoTag)
  }
  const digestFile = join(FIXTURES_DIR, `.digest-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const args = ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile]
  if (opts.format) args.push('--format', opts.format)
  if (opts.all) args.push('--all')
  args.push(`oci:${layout}:${FIXTURE_TAG}`, `docker://${registryAddr}/${destRepoTag}`)
  try {
    await run('skopeo', args, { maxBuffer: 16 << 20 })
    return (await readFile(digestFile, 'utf8')).trim()
  } catch (err) {
    const e = err as Error & { stderr?: string }
    throw new Error(`skopeo ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err })
  } finally {
    await rm(digestFile, { force: true })
  }
}

/**
 * Pushes everything a layout's index.json points to, unchanged, with the distribution API:
 * blobs by monolithic upload (POST /v2/REPO/blobs/uploads/, then PUT LOCATION?digest=), platform
 * manifests by digest, the top manifest (or list) by tag.
 */
export async function pushLayoutRaw(registryAddr: string, layout: string, destRepoTag: string): Promise<string> {
  const colon = destRepoTag.lastIndexOf(':')
  const [repo, tag] = colon > destRepoTag.lastIndexOf('/') ? [destRepoTag.slice(0, colon), destRepoTag.slice(colon + 1)] : [destRepoTag, 'latest']
  const base = `http://${registryAddr}/v2/${repo}`
  const read = (digest: string) => readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)))
  const check = async (res: Response, what: string) => {
    if (!res.ok) throw new Error(`pushLayoutRaw: ${what}: HTTP ${res.status} ${await res.text()}`)
    return res
  }
  const pushBlob = async (digest: string) => {
    if ((await fetch(`${base}/blobs/${digest}`, { method: 'HEAD' })).ok) return
    const started = await check(await fetch(`${base}/blobs/uploads/`, { method: 'POST' }), `start upload of ${digest}`)
    const location = new URL(started.headers.get('location') ?? '', base)
    location.searchParams.set('digest', digest)
    await check(await fetch(location, { method: 'PUT', body: await read(digest), headers: { 'content-type': 'application/octet-stream' } }), `upload ${digest}`)
  }
  const pushManifest = async (desc: { digest: string; mediaType: string }, ref: string) => {
    const body = await read(desc.digest)
    const doc = JSON.parse(body.toString('utf8'))
    if (doc.manifests) { for (const m of doc.manifests) await pushManifest(m, m.digest) }
    else for (const b of [doc.config, ...doc.layers]) await pushBlob(b.digest)
    await check(await fetch(`${base}/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': desc.mediaType } }), `put manifest ${ref}`)
  }
  const top = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')).manifests[0]
  await pushManifest(top, tag)
  return top.digest
}

/** Size on disk of a fixture's blobs (for the bench's report). */
export async function blobBytes(layoutDir: string, digest: string): Promise<number> {
  return (await stat(join(layoutDir, 'blobs', 'sha256', digest.slice(7)))).size
}
