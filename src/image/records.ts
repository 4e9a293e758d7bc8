// The store's image records and names:
//   <root>/images/<config hex>.json  one record per image; the image ID is its config's digest
//   <root>/repositories.json         {"docker.io/library/busybox:latest": "sha256:<image id>",
//                                     "docker.io/library/busybox@sha256:<manifest>": "sha256:<image id>"}
// Both are changed only under one lock (locks/images.lock, held for microseconds), by a rename.
// A record that cannot be read is an error, never "no image" (see read()).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../sys/atomic-file.js'
import { readJsonRecord } from '../sys/record-file.js'
import { digestHex, type BlobStore } from '../content/blobs.js'
import { TockerError } from '../errors.js'
import type { StoreLayout } from '../store/layout.js'
import { familiarString, fullName, fullString, parseReference, withDefaultTag, type Reference } from './reference.js'
import type { ImageConfig } from './types.js'

export interface ImageRecord {
  /** "sha256:<hex>": the digest of the image config. */
  id: string
  /** Full references: "docker.io/library/busybox:latest". */
  repoTags: string[]
  /** Full references: "docker.io/library/busybox@sha256:<manifest digest>". */
  repoDigests: string[]
  /** From the config (RFC 3339), '' when the config has none. */
  created: string
  /** Bytes of file content in all its layers. */
  size: number
  diffIDs: string[]
  config: ImageConfig
  manifestDigest?: string
  /** When a name last moved to this image. */
  lastTagTime?: string
  /** The image this one was built on, step by step (`build`, `commit`): Docker's Parent. */
  parent?: string
}

/** What the store keeps in images/<hex>.json (the rest comes from the config blob and the tags). */
export interface ImageFile {
  id: string
  manifestDigest?: string
  diffIDs: string[]
  size: number
  added: string
  lastTagTime?: string
  /** Local images (build steps, commit): the image they were made on. */
  parent?: string
  /** A build step's cache key (see engine/build/cache.ts): what made this image from its parent. */
  buildKey?: string
}

export type Tags = Record<string, string>

/** images/ and repositories.json; `tmpDir` is the process's session dir (atomic writes). */
export class ImageRecords {
  constructor(
    readonly layout: StoreLayout,
    private readonly blobs: BlobStore,
    private readonly tmpDir: () => string,
  ) {}

  /** The lock under which records, tags and garbage collection change. */
  get lock(): string {
    return join(this.layout.locks, 'images.lock')
  }

  hexes(): string[] {
    let names: string[]
    try {
      names = readdirSync(this.layout.images)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw unreadableState(this.layout.images, err)
    }
    return names.filter((f) => /^[a-f0-9]{64}\.json$/.test(f)).map((f) => f.slice(0, 64))
  }

  path(hex: string): string {
    return join(this.layout.images, `${hex}.json`)
  }

  /**
   * An image's record; undefined only when there is none. A record that cannot be read is an
   * error, never "no image": rmi would otherwise count that image's layers as unused and delete them.
   */
  read(hex: string): ImageFile | undefined {
    const path = this.path(hex)
    return readJsonRecord<ImageFile>(path, {
      isRecord: (f) => typeof f.id === 'string' && Array.isArray(f.diffIDs),
      notRecord: () => new TockerError('not an image record', { code: 'EBADRECORD', internal: true }),
      unreadable: (cause) => unreadableState(path, cause),
    })
  }

  /** Only under the lock. */
  write(hex: string, file: ImageFile): void {
    writeFileAtomic(this.path(hex), JSON.stringify(file, null, 2) + '\n', { tmpDir: this.tmpDir() })
  }

  exists(hex: string): boolean {
    return existsSync(this.path(hex))
  }

  /** The record with its config and names, as ImageStore.get() answers. */
  record(file: ImageFile, tags: Tags): ImageRecord | undefined {
    const raw = this.blobs.get(file.id)
    if (!raw) throw unreadableState(join(this.layout.blobs, digestHex(file.id)), new TockerError(`the config of image ${file.id} is missing`, { code: 'EBADRECORD', internal: true }))
    let config: ImageConfig
    try {
      config = JSON.parse(raw.toString('utf8')) as ImageConfig
    } catch (err) {
      throw unreadableState(join(this.layout.blobs, digestHex(file.id)), err)
    }
    const refs = refsOf(tags, file.id)
    return {
      id: file.id,
      repoTags: refs.filter((r) => !r.includes('@')),
      repoDigests: refs.filter((r) => r.includes('@')),
      created: config.created ?? '',
      size: file.size,
      diffIDs: file.diffIDs,
      config,
      manifestDigest: file.manifestDigest,
      lastTagTime: file.lastTagTime,
      parent: file.parent,
    }
  }

  readTags(): Tags {
    try {
      const raw = JSON.parse(readFileSync(this.layout.repositories, 'utf8')) as Record<string, unknown>
      const tags: Tags = {}
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') tags[k] = v
      return tags
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw err
    }
  }

  /** Only under the lock. */
  writeTags(tags: Tags): void {
    const sorted: Tags = {}
    for (const k of Object.keys(tags).sort()) sorted[k] = tags[k]
    mkdirSync(this.layout.root, { recursive: true })
    writeFileAtomic(this.layout.repositories, JSON.stringify(sorted, null, 2) + '\n', { tmpDir: this.tmpDir() })
  }

  /** An image ID by full or familiar reference ("busybox", "busybox:1.36", "x@sha256:…"), ID or unique ID prefix. */
  resolveId(nameOrId: string): string | undefined {
    const tags = this.readTags()
    const m = /^(?:sha256:)?([a-f0-9]{64})$/.exec(nameOrId)
    if (m) return this.exists(m[1]) ? `sha256:${m[1]}` : undefined
    if (!nameOrId.startsWith('sha256:')) {
      let key: string | undefined
      try {
        key = refKey(withDefaultTag(parseReference(nameOrId)))
      } catch {
        // not a reference: maybe an ID prefix
      }
      if (key !== undefined && tags[key] !== undefined && this.read(digestHex(tags[key]))) return tags[key]
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(nameOrId)?.[1]
    if (prefix === undefined) return undefined
    const matches = this.hexes().filter((h) => h.startsWith(prefix))
    return matches.length === 1 ? `sha256:${matches[0]}` : undefined
  }
}

/** The repositories.json key of a reference: with a digest, the tag is dropped (as Docker does). */
export function refKey(ref: Reference): string {
  return ref.digest !== undefined ? `${fullName(ref)}@${ref.digest}` : fullString(ref)
}

/** "docker.io/library/busybox" of "docker.io/library/busybox:latest" or "...@sha256:…". */
export function refName(key: string): string {
  return fullName(parseReference(key))
}

export function refsOf(tags: Tags, id: string): string[] {
  return Object.keys(tags)
    .filter((k) => tags[k] === id)
    .sort()
}

export function noSuchImage(name: string): TockerError {
  let shown = name
  try {
    if (!/^(sha256:)?[a-f0-9]+$/.test(name)) shown = familiarString(withDefaultTag(parseReference(name)))
  } catch {
    // shown as typed
  }
  return new TockerError(`No such image: ${shown}`, { code: 'ENOSUCHIMAGE', status: 404, daemon: true })
}

/** A file of the store that exists but cannot be read: an error that stops the operation. */
function unreadableState(path: string, cause: unknown): TockerError {
  return new TockerError(`cannot read the image store's ${path}: ${(cause as Error)?.message ?? cause}`, {
    code: 'ESTATE',
    status: 500,
    cause,
    hint: 'The image store is damaged; nothing was removed. Restore that file, or remove it by hand and pull or load the image again.',
  })
}
