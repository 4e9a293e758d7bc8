// The JSON documents images are made of, as they arrive from registries and archives: image
// manifests, indexes (manifest lists), image configs, and an archive's manifest.json, index.json and
// oci-layout. None is trusted: each is size-capped BEFORE it is parsed (JSON.parse of a huge
// document costs many times its size in memory), then checked against its JSON Schema (the shapes
// of the OCI image spec, with the limits below) before any field is used. The error names the
// document and the field: `invalid image manifest sha256:…: layers[0].size must be >= 0`.
// Unknown fields are allowed, as the spec requires of readers.
import { dottedPath, schemaChecker, type JsonSchema } from '../json-schema.js'
import type { ImageConfig, ImageIndex, ImageManifest } from './types.js'

/** Registries answer manifests up to 4 MiB (distribution's own limit). */
export const MAX_MANIFEST_BYTES = 4 << 20
/** An image config is a few KiB; a long history makes it a few hundred. */
export const MAX_CONFIG_BYTES = 8 << 20
/** docker save's manifest.json and an OCI layout's index.json. */
export const MAX_ARCHIVE_INDEX_BYTES = 4 << 20
const MAX_OCI_LAYOUT_BYTES = 64 << 10
/** Layers of one image, entries of one index: Docker's own limit is 127 layers. */
const MAX_ITEMS = 4096

const string: JsonSchema = { type: 'string' }
const shortString: JsonSchema = { type: 'string', maxLength: 4096 }
const stringList: JsonSchema = { type: ['array', 'null'], items: string }
const stringMap: JsonSchema = { type: ['object', 'null'], additionalProperties: string }
const emptyObjectMap: JsonSchema = { type: ['object', 'null'], additionalProperties: { type: 'object' } }
// The OCI digest grammar: algorithm ":" encoded.
const digest: JsonSchema = { type: 'string', maxLength: 256, pattern: '^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$' }
// RFC 6838: type "/" subtype (media types may not carry parameters here).
const mediaType: JsonSchema = { type: 'string', maxLength: 255, pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$' }
const size: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }
const platform: JsonSchema = {
  type: 'object',
  required: ['architecture', 'os'],
  properties: { architecture: shortString, os: shortString, variant: shortString, 'os.version': shortString, 'os.features': { type: 'array', items: shortString }, features: { type: 'array', items: shortString } },
}
const descriptor: JsonSchema = {
  type: 'object',
  required: ['mediaType', 'digest', 'size'],
  properties: { mediaType, digest, size, urls: { type: ['array', 'null'], items: string }, annotations: stringMap, platform },
}
const schemaVersion: JsonSchema = { type: 'integer', enum: [2] }

const manifestSchema: JsonSchema = {
  type: 'object',
  required: ['config', 'layers'],
  properties: { schemaVersion, mediaType, config: descriptor, layers: { type: 'array', items: descriptor, maxItems: MAX_ITEMS }, annotations: stringMap },
}

const indexSchema: JsonSchema = {
  type: 'object',
  required: ['manifests'],
  properties: { schemaVersion, mediaType, manifests: { type: 'array', items: descriptor, maxItems: MAX_ITEMS }, annotations: stringMap },
}

const configSchema: JsonSchema = {
  type: 'object',
  required: ['rootfs'],
  properties: {
    architecture: shortString,
    os: shortString,
    variant: shortString,
    created: string,
    author: string,
    config: {
      type: ['object', 'null'],
      properties: {
        User: string,
        ExposedPorts: emptyObjectMap,
        Env: stringList,
        Entrypoint: stringList,
        Cmd: stringList,
        Volumes: emptyObjectMap,
        WorkingDir: string,
        Labels: stringMap,
        StopSignal: string,
      },
    },
    rootfs: { type: 'object', required: ['diff_ids'], properties: { type: string, diff_ids: { type: 'array', items: digest, maxItems: MAX_ITEMS } } },
    history: { type: ['array', 'null'], items: { type: 'object', properties: { created: string, created_by: string, empty_layer: { type: 'boolean' }, comment: string, author: string } } },
  },
}

const archiveManifestSchema: JsonSchema = {
  type: 'array',
  maxItems: MAX_ITEMS,
  items: {
    type: 'object',
    required: ['Config', 'Layers'],
    properties: { Config: shortString, RepoTags: { type: ['array', 'null'], items: shortString, maxItems: MAX_ITEMS }, Layers: { type: 'array', items: shortString, maxItems: MAX_ITEMS } },
  },
}

const ociLayoutSchema: JsonSchema = { type: 'object', required: ['imageLayoutVersion'], properties: { imageLayoutVersion: shortString } }

export interface DockerArchiveEntry {
  Config: string
  RepoTags?: string[] | null
  Layers: string[]
}

/** How a caller words a refusal (its error code, "invalid archive: …" or a registry error). */
export type Refuse = (message: string) => Error

export interface DocumentKind<T> {
  name: string
  max: number
  check: (v: unknown) => ReturnType<ReturnType<typeof schemaChecker>>
  _type?: T
}

function kind<T>(name: string, max: number, schema: JsonSchema): DocumentKind<T> {
  return { name, max, check: schemaChecker(schema) }
}

export const ImageManifestDoc = kind<ImageManifest>('image manifest', MAX_MANIFEST_BYTES, manifestSchema)
export const ImageIndexDoc = kind<ImageIndex>('image index', MAX_MANIFEST_BYTES, indexSchema)
export const ImageConfigDoc = kind<ImageConfig>('image config', MAX_CONFIG_BYTES, configSchema)
export const DockerArchiveManifestDoc = kind<DockerArchiveEntry[]>('manifest.json', MAX_ARCHIVE_INDEX_BYTES, archiveManifestSchema)
export const OciLayoutDoc = kind<{ imageLayoutVersion: string }>('oci-layout', MAX_OCI_LAYOUT_BYTES, ociLayoutSchema)

/**
 * Parse and check one document. `what` names it in messages ("image manifest sha256:…",
 * "manifest.json"); `refuse` makes the caller's error from the message.
 */
export function parseDocument<T>(k: DocumentKind<T>, bytes: Buffer, what: string, refuse: Refuse): T {
  if (bytes.length > k.max) throw refuse(`${what} is too large (${bytes.length} bytes, at most ${k.max})`)
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw refuse(`${what} is not valid JSON: ${(err as Error).message}`)
  }
  const problem = k.check(value)
  if (problem) {
    const at = problem.path.length ? `${dottedPath(problem.path)} ` : ''
    const extra = problem.keyword === 'enum' ? `: ${(problem.params.allowedValues as unknown[]).join(', ')}` : ''
    const message = problem.keyword === 'type' ? `must be ${String(problem.params.type).split(',').join(' or ')}` : problem.message
    throw refuse(`${what}: ${at}${message}${extra}`)
  }
  return value as T
}
