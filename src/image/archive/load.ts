// `load`: import images from a tar archive (a file or stdin, optionally gzip'd), in either format:
//   - docker-archive: manifest.json [{Config, RepoTags, Layers}] (docker save, all versions);
//   - OCI image layout: oci-layout + index.json + blobs/<alg>/<hex> (skopeo, buildkit, docker 25+).
// The archive's members are first extracted into this process's tmp/ session (as Docker does: the
// manifest may come last), then each layer streams from there into the layer store, which verifies
// its DiffID. OCI blobs are also checked against their (compressed) digest. Names come from
// RepoTags, or from the annotations io.containerd.image.name / org.opencontainers.image.ref.name.
import { closeSync, createReadStream, fstatSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline as pipelineCb, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { digestHex, sha256 } from '../../content/blobs.js'
import { isUserFacing, TockerError } from '../../errors.js'
import { DockerArchiveManifestDoc, ImageConfigDoc, ImageIndexDoc, ImageManifestDoc, OciLayoutDoc, parseDocument, type DockerArchiveEntry } from '../documents.js'
import { fullString, parseReference, type Reference, withDefaultTag } from '../reference.js'
import { hostPlatform, platformRank } from '../registry/platform.js'
import { VerifyingStream } from '../registry/verify.js'
import { note } from '../../trace/trace.js'
import type { ImageStore } from '../store.js'
import { MediaType, type Descriptor } from '../types.js'
import { decompressor, peek, sniffCompression } from '../unpack/decompress.js'
import { checkedPath } from '../unpack/layer-writer.js'
import { TarReader, type TarEntry } from '../unpack/tar-reader.js'

export interface LoadedImage {
  id: string
  /** Full references now pointing at it. */
  tags: string[]
}

export interface LoadEvents {
  /** A tag moved away from another image ("The image … already exists, renaming the old one …"). */
  retagged?: (ref: string, previousId: string) => void
  layer?: (diffID: string, status: 'exists' | 'loaded') => void
}

/** Extracted archive members: name -> file in our tmp/, with symlinks and hard links resolved. */
class ArchiveFiles {
  files = new Map<string, string>()
  links = new Map<string, string>()

  path(name: string): string | undefined {
    let n = checkedPathOrUndefined(name)
    for (let hops = 0; n !== undefined && hops < 16; hops++) {
      const f = this.files.get(n)
      if (f) return f
      n = this.links.get(n)
    }
    return undefined
  }

  /** A small member (a JSON document) read whole: its size is checked before it is read. */
  read(name: string, what: string, max: number): Buffer {
    const p = this.path(name)
    if (!p) throw invalidArchive(`${what} ${JSON.stringify(name)} is not in the archive`)
    return readCapped(p, max, `${what} ${JSON.stringify(name)}`)
  }
}

export async function loadArchive(store: ImageStore, input: Readable, events: LoadEvents = {}): Promise<LoadedImage[]> {
  // The extracted archive goes as soon as the load ends: in the engine the session (and its tmp
  // dir) lives as long as the engine, so leaving it to the session would keep a copy of every
  // archive ever loaded.
  const work = store.session().mkdtemp('load-')
  const track: LayerTrack = { pinned: new Set(), added: [] }
  try {
    const files = await extract(input, work)
    if (files.path('manifest.json')) return await loadDockerArchive(store, files, events, track)
    if (files.path('index.json')) return await loadOciLayout(store, files, events, track)
    throw invalidArchive('no manifest.json (docker-archive) or index.json (OCI layout) in the archive')
  } catch (err) {
    // Nothing of a failed load stays: the layers it added go (unless an image uses them), and the
    // layers it pinned are free again for rmi to collect (a pin left in the engine's long-lived
    // session would keep them forever).
    store.discardLayers(track.added)
    store.unpinLayers([...track.pinned])
    throw err
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Members of one archive: docker save writes about three per layer. */
const MAX_MEMBERS = 65_536

async function extract(input: Readable, work: string): Promise<ArchiveFiles> {
  const files = new ArchiveFiles()
  let count = 0
  let fd: number | undefined
  const reader = new TarReader(
    {
      entry(e: TarEntry) {
        const name = checkedPathOrUndefined(e.path)
        if (name === undefined) throw invalidArchive(`member ${JSON.stringify(e.path)} has an absolute or ".." path`)
        if (e.type === 'file') {
          const p = join(work, String(count++))
          fd = openSync(p, 'wx', 0o600)
          files.files.set(name, p)
        } else if (e.type === 'symlink') {
          // Old `docker save` links duplicate layers: "<id>/layer.tar" -> "../<other id>/layer.tar".
          const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/') + 1) : ''
          const target = resolveRelative(e.linkpath.startsWith('/') ? e.linkpath : dir + e.linkpath)
          if (target !== undefined) files.links.set(name, target)
        } else if (e.type === 'hardlink') {
          const target = checkedPathOrUndefined(e.linkpath)
          if (target !== undefined) files.links.set(name, target)
        }
      },
      data(chunk) {
        if (fd === undefined) return
        let off = 0
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off)
      },
      endEntry() {
        if (fd !== undefined) closeSync(fd)
        fd = undefined
      },
    },
    { maxEntries: MAX_MEMBERS },
  )
  const head = await peek(input)
  if (head === null) throw new TockerError('requested load from stdin, but stdin is empty', { code: 'ELOAD' })
  const compression = sniffCompression(head)
  const sink = reader.sink({ highWaterMark: 1 << 20 })
  try {
    await pipeline(input, decompressor(compression), sink)
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    if (isUserFacing(err)) throw err
    throw invalidArchive((err as Error).message)
  }
  return files
}

/** Layers a load has pinned (hasLayer) and added, to take back if it fails. */
interface LayerTrack {
  pinned: Set<string>
  added: string[]
}

async function loadDockerArchive(store: ImageStore, files: ArchiveFiles, events: LoadEvents, track: LayerTrack): Promise<LoadedImage[]> {
  const manifest = document<DockerArchiveEntry[]>(DockerArchiveManifestDoc, files.read('manifest.json', 'file', DockerArchiveManifestDoc.max), 'manifest.json')
  const loaded: LoadedImage[] = []
  for (const m of manifest) {
    const tags = (m.RepoTags ?? []).map((t) => normalizeTag(t))
    const config = files.read(m.Config, 'image config', ImageConfigDoc.max)
    const diffIDs = diffIDsOf(config, m.Config)
    const layers = m.Layers
    if (layers.length !== diffIDs.length) throw invalidArchive(`image ${m.Config}: ${layers.length} layers but ${diffIDs.length} diff_ids in its config`)
    const descs: Descriptor[] = []
    for (let i = 0; i < layers.length; i++) {
      const p = files.path(layers[i])
      if (!p) throw invalidArchive(`layer ${JSON.stringify(layers[i])} is not in the archive`)
      const mediaType = layerMediaType(p)
      await addLayerFrom(store, { mediaType, digest: diffIDs[i], size: 0 }, diffIDs[i], () => createReadStream(p), events, track)
      descs.push({ mediaType, digest: diffIDs[i], size: 0 })
    }
    loaded.push(commit(store, config, tags, syntheticManifest(config, descs), undefined, events))
  }
  return loaded
}

async function loadOciLayout(store: ImageStore, files: ArchiveFiles, events: LoadEvents, track: LayerTrack): Promise<LoadedImage[]> {
  // oci-layout is required by the spec; old writers left it out, so only a wrong one is refused.
  if (files.path('oci-layout')) {
    const layout = document(OciLayoutDoc, files.read('oci-layout', 'file', OciLayoutDoc.max), 'oci-layout')
    if (!/^1\.\d+\.\d+$/.test(layout.imageLayoutVersion)) throw invalidArchive(`oci-layout: unsupported imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}`)
  }
  const index = document(ImageIndexDoc, files.read('index.json', 'file', ImageIndexDoc.max), 'index.json')
  const loaded: LoadedImage[] = []
  for (const top of index.manifests) {
    const desc = pickManifest(files, top)
    const manifestBytes = blob(files, desc, ImageManifestDoc.max)
    const manifest = document(ImageManifestDoc, manifestBytes, `image manifest ${desc.digest}`)
    const config = blob(files, manifest.config, ImageConfigDoc.max)
    const diffIDs = diffIDsOf(config, manifest.config.digest)
    if (diffIDs.length !== manifest.layers.length) throw invalidArchive(`manifest ${desc.digest}: ${manifest.layers.length} layers but ${diffIDs.length} diff_ids in its config`)
    for (let i = 0; i < diffIDs.length; i++) {
      const l = manifest.layers[i]
      const p = blobPath(files, l)
      // The compressed bytes are checked against the manifest's digest as they stream by.
      await addLayerFrom(store, l, diffIDs[i], () => pipelineCb(createReadStream(p), new VerifyingStream({ digest: l.digest, size: l.size }), () => {}), events, track)
    }
    const tags = ociNames(top.annotations)
    loaded.push(commit(store, config, tags, manifestBytes, desc.digest, events))
  }
  return loaded
}

async function addLayerFrom(store: ImageStore, desc: Descriptor, diffID: string, open: () => Readable, events: LoadEvents, track: LayerTrack): Promise<void> {
  track.pinned.add(diffID)
  const id = digestHex(diffID).slice(0, 12)
  if (store.hasLayer(diffID)) {
    events.layer?.(diffID, 'exists')
    note('layer', 'explain.note.layer.shared', { id })
    return
  }
  const status = await store.addLayer(desc, diffID, open())
  if (status === 'added') track.added.push(diffID)
  note('layer', status === 'added' ? 'explain.note.layer.loaded' : 'explain.note.layer.shared', { id })
  events.layer?.(diffID, status === 'added' ? 'loaded' : 'exists')
}

function commit(store: ImageStore, config: Buffer, tags: string[], manifest: Buffer, manifestDigest: string | undefined, events: LoadEvents): LoadedImage {
  const configDigest = sha256(config)
  const first = store.commitImage({ config, configDigest, manifest, manifestDigest: manifestDigest ?? sha256(manifest), tag: tags[0] })
  if (tags[0] !== undefined && first.previousId) events.retagged?.(tags[0], first.previousId)
  for (const t of tags.slice(1)) {
    const before = store.resolveId(t)
    store.tag(first.id, t)
    if (before && before !== first.id) events.retagged?.(t, before)
  }
  return { id: first.id, tags }
}

/** For a docker-archive image: the OCI manifest describing its (uncompressed) layers. */
function syntheticManifest(config: Buffer, layers: Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  )
}

/** An index entry may itself be an index (multi-platform): take this machine's platform. */
function pickManifest(files: ArchiveFiles, desc: Descriptor, depth = 0): Descriptor {
  if (desc.mediaType !== MediaType.OciIndex && desc.mediaType !== MediaType.DockerManifestList) return desc
  if (depth > 4) throw invalidArchive('index nesting too deep')
  const idx = document(ImageIndexDoc, blob(files, desc, ImageIndexDoc.max), `image index ${desc.digest}`)
  const want = hostPlatform()
  const ranked = (idx.manifests ?? [])
    .map((m) => ({ m, rank: platformRank(want, m.platform) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
  if (ranked.length === 0) throw new TockerError(`no matching manifest for ${want.os}/${want.architecture} in the archive's index ${desc.digest}`, { code: 'ELOAD' })
  return pickManifest(files, { ...ranked[0].m, annotations: desc.annotations }, depth + 1)
}

function blobPath(files: ArchiveFiles, desc: Descriptor): string {
  const hex = digestHex(desc.digest)
  const p = files.path(`blobs/sha256/${hex}`)
  if (!p) throw invalidArchive(`blob ${desc.digest} is not in the archive`)
  return p
}

/** A small blob (manifest, config), at most `max` bytes, verified against its size and digest. */
function blob(files: ArchiveFiles, desc: Descriptor, max: number): Buffer {
  const data = readCapped(blobPath(files, desc), max, `blob ${desc.digest}`)
  if (data.length !== desc.size) throw invalidArchive(`blob ${desc.digest} has ${data.length} bytes, its descriptor says ${desc.size}`)
  if (sha256(data) !== desc.digest) throw invalidArchive(`blob ${desc.digest} does not match its digest`)
  return data
}

/** Read a whole extracted member, refusing one larger than `max` before reading it. */
function readCapped(path: string, max: number, what: string): Buffer {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    if (size > max) throw invalidArchive(`${what} is too large (${size} bytes, at most ${max})`)
    const buf = Buffer.alloc(size)
    let off = 0
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

function ociNames(annotations: Record<string, string> | undefined): string[] {
  const candidates = [annotations?.['io.containerd.image.name'], annotations?.['org.opencontainers.image.ref.name']]
  for (const c of candidates) {
    if (!c) continue
    try {
      const ref = parseReference(c)
      // A bare tag ("latest") parses as a repository named "latest": only a name with a tag or a
      // path counts as a name here.
      if (ref.tag === undefined && !c.includes('/')) continue
      if (ref.digest !== undefined) continue
      return [fullString(withDefaultTag(ref))]
    } catch {
      // not a reference
    }
  }
  return []
}

function normalizeTag(t: string): string {
  let ref: Reference
  try {
    ref = parseReference(t)
  } catch (err) {
    throw invalidArchive(`invalid tag ${JSON.stringify(t)} in manifest.json`, err)
  }
  if (ref.digest !== undefined) throw invalidArchive(`invalid tag ${JSON.stringify(t)} in manifest.json`)
  return fullString(withDefaultTag(ref))
}

function diffIDsOf(config: Buffer, name: string): string[] {
  const d = document(ImageConfigDoc, config, `image config ${name}`).rootfs.diff_ids
  for (const x of d) digestHex(x)
  return d
}

function layerMediaType(path: string): string {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(4)
    const n = readSync(fd, head, 0, head.length, 0)
    switch (sniffCompression(head.subarray(0, n))) {
      case 'gzip':
        return MediaType.DockerLayerGzip
      case 'zstd':
        return MediaType.OciLayerZstd
      default:
        return MediaType.OciLayerTar
    }
  } finally {
    closeSync(fd)
  }
}

/** Parse and check one of the archive's JSON documents (documents.ts). */
function document<T>(kind: Parameters<typeof parseDocument<T>>[0], data: Buffer, what: string): T {
  return parseDocument(kind, data, what, invalidArchive)
}

function checkedPathOrUndefined(name: string): string | undefined {
  try {
    return checkedPath(name, name)
  } catch {
    return undefined
  }
}

/** "a/b/../c" -> "a/c"; undefined when it climbs out of the archive. */
function resolveRelative(p: string): string | undefined {
  const out: string[] = []
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length === 0) return undefined
      out.pop()
    } else out.push(part)
  }
  return out.join('/')
}

function invalidArchive(why: string, cause?: unknown): TockerError {
  return new TockerError(`invalid archive: ${why}`, { code: 'ELOAD', cause })
}
