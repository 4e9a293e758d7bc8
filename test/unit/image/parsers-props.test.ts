// Property tests (fast-check, no root) of the image parsers that read what others send: image
// references (typed by people, and found in archives and API requests) and the JSON documents of
// registries and archives (manifests, indexes, configs, manifest.json, oci-layout). For any input:
// a result that keeps its invariants, or the parser's own clear refusal, never a TypeError from a
// field that was not what the code assumed, and never slow. Documents the schema accepts are also
// fed to the code that uses them (platform choice), which must cope with every one of them.
import fc from 'fast-check'
import t from 'tap'
import { TockerError } from '../../../src/errors.js'
import { DockerArchiveManifestDoc, ImageConfigDoc, ImageIndexDoc, ImageManifestDoc, OciLayoutDoc, parseDocument, type DocumentKind } from '../../../src/image/documents.js'
import { fullString, isValidTag, parseReference, validateDigest } from '../../../src/image/reference.js'
import { choosePlatform } from '../../../src/image/registry/client.js'
import { hostPlatform, parsePlatform } from '../../../src/image/registry/platform.js'

// ---- references ----

const lower = fc.stringMatching(/^[a-z0-9]{1,10}$/)
const sep = fc.constantFrom('.', '_', '__', '-', '--')
const component = fc.tuple(lower, fc.array(fc.tuple(sep, lower), { maxLength: 2 })).map(([a, rest]) => a + rest.map(([s, b]) => s + b).join(''))
const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'))
const host = fc.oneof(
  fc.constantFrom('localhost', 'docker.io', 'ghcr.io', '127.0.0.1', '[::1]', 'registry.example.com'),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/), fc.stringMatching(/^[a-z]{2,6}$/)).map(([a, b]) => `${a}.${b}`),
)
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/)
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`)
const validReference = fc
  .record({ host: fc.option(host, { nil: undefined }), port, path, tag: fc.option(tag, { nil: undefined }), digest: fc.option(digest, { nil: undefined }) })
  // Without a host, a first component with a '.' would be read as one (as Docker does): keep it plain.
  .map((r) => ({ ...r, path: r.host ? r.path : r.path.replace(/^[^/]*/, (c) => c.replace(/[.]/g, '-')) }))
  .map((r) => `${r.host ? r.host + (r.port ? `:${r.port}` : '') + '/' : ''}${r.path}${r.tag ? ':' + r.tag : ''}${r.digest ? '@' + r.digest : ''}`)

/** What any parsed reference must be. */
function checkReference(s: string): void {
  // CPU time, not wall time: on a loaded machine a preempted parse of 9 characters took 61 ms of
  // wall time. Catastrophic backtracking (what this bound is for) costs seconds of CPU.
  const started = process.cpuUsage()
  try {
    const r = parseReference(s)
    if (!r.domain || r.path.length === 0 || r.path.length > 255 || r.path !== r.path.toLowerCase()) throw new Error(`bad result for ${JSON.stringify(s)}: ${JSON.stringify(r)}`)
    if (r.tag !== undefined && !isValidTag(r.tag)) throw new Error(`bad tag from ${JSON.stringify(s)}`)
    if (r.digest !== undefined) validateDigest(r.digest)
    // Normalising is idempotent: the full form parses to the same reference.
    const again = parseReference(fullString(r))
    if (JSON.stringify(again) !== JSON.stringify(r)) throw new Error(`${JSON.stringify(s)} → ${fullString(r)} → ${JSON.stringify(again)}`)
  } catch (err) {
    if (!(err instanceof TockerError && err.code === 'EINVALIDREF')) throw err
  }
  const used = process.cpuUsage(started)
  const ms = (used.user + used.system) / 1000
  if (ms > 50) throw new Error(`parsing ${s.length} characters took ${ms.toFixed(0)} ms`)
}

t.test('property: valid references parse, and normalise idempotently', async (t) => {
  fc.assert(
    fc.property(validReference, (s) => {
      const r = parseReference(s)
      if (JSON.stringify(parseReference(fullString(r))) !== JSON.stringify(r)) throw new Error(`not idempotent: ${s}`)
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 references')
})

t.test('property: any string is a reference keeping its invariants or an EINVALIDREF, quickly', async (t) => {
  const alphabet = fc.constantFrom(...'abcXYZ019:/@._-[]+'.split(''))
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.string({ unit: alphabet, maxLength: 400 }),
        validReference.chain((v) => fc.tuple(fc.nat(v.length), fc.string({ unit: alphabet, maxLength: 3 })).map(([i, ins]) => v.slice(0, i) + ins + v.slice(i))),
      ),
      checkReference,
    ),
    { numRuns: 5000 },
  )
  // Long inputs built to make a backtracking regular expression work hard.
  for (const s of ['a'.repeat(100_000), 'a-'.repeat(20_000) + '!', 'a.'.repeat(20_000) + '/', `x@${'a'.repeat(50_000)}`, `${'a:'.repeat(10_000)}1`, `${'a/'.repeat(400)}A`]) {
    checkReference(s)
  }
  t.throws(() => parseReference('a'.repeat(1025)), { code: 'EINVALIDREF', message: /longer than 1024 characters/ })
  // Found by the property above: a first component that looks like a host but is not one left a
  // reference with an empty domain (pulled from "https:///v2/…").
  t.throws(() => parseReference('0_a.0/a'), { code: 'EINVALIDREF', message: 'invalid reference format' })
  t.pass()
})

// ---- documents ----

class Refused extends Error {}
const refuse = (m: string) => new Refused(m)

const mediaType = fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.oci.image.index.v1+json')
const platform = fc.record(
  { architecture: fc.constantFrom('amd64', 'arm64', 'arm', '386', 'riscv64', 's390x', ''), os: fc.constantFrom('linux', 'windows', 'unknown', ''), variant: fc.constantFrom('v5', 'v6', 'v7', 'v8', '') },
  { requiredKeys: ['architecture', 'os'] },
)
const descriptor = fc.record(
  { mediaType, digest, size: fc.maxSafeNat(), platform, annotations: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }) },
  { requiredKeys: ['mediaType', 'digest', 'size'] },
)
const manifest = fc.record({ schemaVersion: fc.constant(2), mediaType, config: descriptor, layers: fc.array(descriptor, { maxLength: 5 }) })
const index = fc.record({ schemaVersion: fc.constant(2), manifests: fc.array(descriptor, { maxLength: 6 }) })
const config = fc.record({
  architecture: fc.constantFrom('amd64', 'arm64'),
  os: fc.constant('linux'),
  config: fc.record({ Env: fc.array(fc.string(), { maxLength: 3 }), Cmd: fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: null }), WorkingDir: fc.string() }, { requiredKeys: [] }),
  rootfs: fc.record({ type: fc.constant('layers'), diff_ids: fc.array(digest, { maxLength: 5 }) }),
})

const kinds: DocumentKind<unknown>[] = [ImageManifestDoc, ImageIndexDoc, ImageConfigDoc, DockerArchiveManifestDoc, OciLayoutDoc]

/** Parse with every kind: a value, or our refusal; nothing else may come out. */
function parseAll(bytes: Buffer): void {
  for (const k of kinds) {
    try {
      parseDocument(k, bytes, k.name, refuse)
    } catch (err) {
      if (!(err instanceof Refused)) throw err
      if (!err.message.startsWith(k.name)) throw new Error(`refusal does not name the document: ${err.message}`)
    }
  }
}

t.test('property: generated documents are accepted as they are', async (t) => {
  fc.assert(
    fc.property(manifest, index, config, (m, i, c) => {
      const same = (kind: DocumentKind<unknown>, v: unknown) => {
        const got = parseDocument(kind, Buffer.from(JSON.stringify(v)), kind.name, refuse)
        if (JSON.stringify(got) !== JSON.stringify(v)) throw new Error(`${kind.name} changed`)
      }
      same(ImageManifestDoc, m)
      same(ImageIndexDoc, i)
      same(ImageConfigDoc, c)
    }),
    { numRuns: 500 },
  )
  t.pass()
})

t.test('property: any JSON (or not JSON) is parsed or refused with a message naming the document', async (t) => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => parseAll(Buffer.from(JSON.stringify(v) ?? 'null'))), { numRuns: 2000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => parseAll(Buffer.from(b))), { numRuns: 1000 })
  // A valid document with one field replaced by anything at all.
  const mutated = fc.tuple(fc.oneof(manifest, index, config), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })).map(([doc, picks, value]) => {
    let at: any = doc
    for (let i = 0; i < picks.length - 1 && at && typeof at === 'object'; i++) {
      const keys = Object.keys(at)
      if (!keys.length) break
      const next = at[keys[picks[i] % keys.length]]
      if (!next || typeof next !== 'object') break
      at = next
    }
    const keys = Object.keys(at)
    if (keys.length) at[keys[picks[picks.length - 1] % keys.length]] = value
    return doc
  })
  fc.assert(fc.property(mutated, (d) => parseAll(Buffer.from(JSON.stringify(d)))), { numRuns: 2000 })
  t.pass()
})

t.test('property: every index the schema accepts can be given to the platform choice', async (t) => {
  const anyPlatform = fc.record({ architecture: fc.string({ maxLength: 8 }), os: fc.string({ maxLength: 8 }), variant: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }), 'os.features': fc.array(fc.string(), { maxLength: 2 }) }, {
    requiredKeys: ['architecture', 'os'],
  })
  const wanted = fc.oneof(fc.constant(hostPlatform()), fc.constantFrom('linux/amd64', 'linux/arm/v7', 'linux/arm64/v8', 'windows/amd64').map(parsePlatform))
  fc.assert(
    fc.property(fc.array(fc.record({ mediaType, digest, size: fc.nat(), platform: fc.option(anyPlatform, { nil: undefined }) }, { requiredKeys: ['mediaType', 'digest', 'size'] }), { maxLength: 6 }), wanted, (manifests, want) => {
      const idx = parseDocument(ImageIndexDoc, Buffer.from(JSON.stringify({ schemaVersion: 2, manifests })), 'index', refuse)
      try {
        const d = choosePlatform(idx, want)
        if (!manifests.some((m) => m.digest === d.digest)) throw new Error('chose a descriptor that is not in the index')
      } catch (err) {
        if (!(err instanceof TockerError && err.code === 'ENOPLATFORM')) throw err
      }
    }),
    { numRuns: 1000 },
  )
  t.pass()
})

t.test('documents are size-capped before they are parsed', async (t) => {
  const big = Buffer.alloc((4 << 20) + 1, 0x20)
  t.throws(() => parseDocument(ImageManifestDoc, big, 'image manifest x', refuse), { message: 'image manifest x is too large (4194305 bytes, at most 4194304)' })
  t.throws(() => parseDocument(ImageConfigDoc, Buffer.alloc((8 << 20) + 1, 0x20), 'image config x', refuse), { message: /at most 8388608/ })
  const layers = Array.from({ length: 4097 }, () => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'sha256:' + 'a'.repeat(64), size: 1 }))
  t.throws(() => parseDocument(ImageManifestDoc, Buffer.from(JSON.stringify({ schemaVersion: 2, config: layers[0], layers })), 'm', refuse), { message: 'm: layers must NOT have more than 4096 items' })
  t.throws(() => parseDocument(ImageManifestDoc, Buffer.from(JSON.stringify({ schemaVersion: 2, config: { ...layers[0], size: -1 }, layers: [] })), 'm', refuse), { message: 'm: config.size must be >= 0' })
  t.throws(() => parseDocument(ImageManifestDoc, Buffer.from(JSON.stringify({ schemaVersion: 1, config: layers[0], layers: [] })), 'm', refuse), { message: 'm: schemaVersion must be equal to one of the allowed values: 2' })
})
