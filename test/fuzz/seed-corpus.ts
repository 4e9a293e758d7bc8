// Writes the seed corpus of the fuzz targets (test/fuzz/corpus/<target>/): small valid inputs of
// each format, so the fuzzer starts from the shapes that reach deep code. Run once after changing
// a format; the files are committed. Usage (from the repository root):
//   node --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs test/fuzz/seed-corpus.ts
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { base256, buildTar } from '../helpers/tar-builder.js'

const dir = new URL('./corpus/', import.meta.url).pathname
const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex')
function put(target: string, name: string, data: Buffer | string): void {
  mkdirSync(join(dir, target), { recursive: true })
  writeFileSync(join(dir, target, name), data)
}

// tar: the first byte picks the chunk size (see targets/tar.mjs).
const tars: Record<string, Buffer> = {
  'plain': buildTar([{ name: 'etc/', type: 'dir' }, { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' }, { name: 'bin/sh', type: 'symlink', linkname: 'busybox' }]),
  'pax-long-xattr': buildTar([{ name: `${'deep/'.repeat(30)}file`, data: 'x', pax: { 'SCHILY.xattr.security.capability': Buffer.from('0100000200200000', 'hex'), mtime: '1700000000.5' } }]),
  'gnu-long': buildTar([{ name: `${'long/'.repeat(30)}name`, type: 'symlink', linkname: `${'target/'.repeat(20)}x`, gnuLong: true }]),
  'base256': buildTar([{ name: 'big-uid', data: 'y', uid: 2 ** 31, base256: ['uid', 'size', 'mtime'] }]),
  'devices-hardlink': buildTar([{ name: 'null', type: 'char', devmajor: 1, devminor: 3 }, { name: 'f', data: 'z' }, { name: 'g', type: 'hardlink', linkname: 'f' }, { name: 'p', type: 'fifo' }]),
}
for (const [name, tar] of Object.entries(tars)) put('tar', name, Buffer.concat([Buffer.from([3]), tar]))
put('tar', 'base256-raw', Buffer.concat([Buffer.from([0]), base256(-1536, 12)]))

// references
for (const [i, r] of ['busybox', 'busybox:1.36', 'lab/tools/busybox:1.35', '127.0.0.1:5000/x/y:tag', `ghcr.io/a-b/c__d/e.f@sha256:${'a'.repeat(64)}`, '[::1]:5000/x', 'localhost:5000'].entries()) put('reference', `ref-${i}`, r)

// documents
const layer = buildTar([{ name: 'hello', data: 'hi' }])
const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: null }, rootfs: { type: 'layers', diff_ids: [sha(layer)] }, history: [{ created_by: 'seed' }] }
const desc = (mediaType: string, data: Buffer | string) => ({ mediaType, digest: sha(data), size: Buffer.byteLength(data) })
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: desc('application/vnd.oci.image.config.v1+json', JSON.stringify(config)),
  layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(layer))],
}
const index = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [{ ...desc(manifest.mediaType, JSON.stringify(manifest)), platform: { architecture: 'amd64', os: 'linux' } }, { ...desc(manifest.mediaType, 'x'), platform: { architecture: 'arm', os: 'linux', variant: 'v7' } }],
}
put('documents', 'config', JSON.stringify(config))
put('documents', 'manifest', JSON.stringify(manifest))
put('documents', 'index', JSON.stringify(index))
put('documents', 'archive-manifest', JSON.stringify([{ Config: 'config.json', RepoTags: ['busybox:latest'], Layers: ['layer.tar'] }]))
put('documents', 'oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }))

// archives: a docker-archive and an OCI layout, plain and gzip'd
const dockerArchive = buildTar([
  { name: 'config.json', data: JSON.stringify(config) },
  { name: 'abc/layer.tar', data: layer },
  { name: 'def/layer.tar', type: 'symlink', linkname: '../abc/layer.tar' },
  { name: 'manifest.json', data: JSON.stringify([{ Config: 'config.json', RepoTags: ['seed/image:1'], Layers: ['def/layer.tar'] }]) },
])
const blob = (data: Buffer | string) => ({ name: `blobs/sha256/${sha(data).slice(7)}`, data })
const m = JSON.stringify(manifest)
const ociArchive = buildTar([
  { name: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
  blob(JSON.stringify(config)),
  blob(gzipSync(layer)),
  blob(m),
  { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ ...desc(manifest.mediaType, m), annotations: { 'org.opencontainers.image.ref.name': 'seed/oci:1' } }] }) },
])
put('archive', 'docker-archive', dockerArchive)
put('archive', 'oci-layout', ociArchive)
put('archive', 'docker-archive-gz', gzipSync(dockerArchive))

// api: "METHOD PATH\nBODY" (the first character picks the method)
put('api', 'create', `A /v1.43/containers/create?name=web\n${JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 0, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } })}`)
put('api', 'exec', `A /containers/abc/exec\n${JSON.stringify({ Cmd: ['sh'], Tty: true, Env: ['A=1'] })}`)
put('api', 'path', 'B /containers/%E0%A4%A4/json?filters=%7B%7D&limit=3\n')
put('api', 'image', `C /images/127.0.0.1:5000/x/y:1/json\n`)
put('api', 'auth', `A /auth\n${JSON.stringify({ username: 'u', password: 'p', serveraddress: 'r' })}`)
console.log(`seed corpus written under ${dir}`)
