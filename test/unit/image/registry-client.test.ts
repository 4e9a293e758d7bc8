// The registry client's flows against an in-memory registry behind its transport seam
// (RegistryClientOptions.fetch; test/unit/fakes/registry.ts): token auth, redirects, retries,
// digest checks and Docker's wording of failures. No server, no root. The same client against a
// real registry (Debian's docker-registry) is tested in test/image/registry.test.ts.
import t from 'tap'
import { parseReference } from '../../../src/image/reference.js'
import { RegistryClient } from '../../../src/image/registry/client.js'
import { FakeRegistry, MANIFEST_V2, sha256 } from '../fakes/registry.js'

let n = 0
/** A registry of its own for each test: its own host and token service (tokens are cached per process). */
function setup() {
  const host = `registry${++n}.test`
  const registry = new FakeRegistry(host)
  const client = new RegistryClient({ fetch: registry.fetch, config: { insecureRegistries: [], mirrors: [], credentials: () => undefined } })
  return { host, registry, client, ref: (s: string) => parseReference(`${host}/${s}`) }
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

t.test('token auth: a 401 challenge, one token for the scope, then every request with it (cached for the blob)', async (t) => {
  const { host, registry, client, ref } = setup()
  registry.requireToken(`svc-${host}`)
  const img = registry.addImage('team/app', 'v1')
  const resolved = await client.resolveImage(ref('team/app:v1'))
  t.equal(resolved.digest, img.manifest)
  t.same(await client.getBlob(ref('team/app:v1'), { mediaType: MANIFEST_V2, digest: img.config, size: img.configBytes.length }), img.configBytes)
  const flow = registry.requests.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}${r.authorization ? ` [${r.authorization.split(' ')[0]}]` : ''}`)
  t.same(flow, [
    `GET https://${host}/v2/`,
    'GET https://auth.test/token',
    `GET https://${host}/v2/team/app/manifests/v1 [Bearer]`,
    `GET https://${host}/v2/team/app/blobs/${img.config} [Bearer]`,
  ])
  const token = new URL(registry.requests[1]!.url)
  t.equal(token.searchParams.get('service'), `svc-${host}`)
  t.same(token.searchParams.getAll('scope'), ['repository:team/app:pull'], 'the scope Docker asks for a pull')
})

t.test('a cached token the registry refuses is replaced once, then the request is repeated', async (t) => {
  const { host, registry, client, ref } = setup()
  registry.requireToken(`svc-${host}`)
  const img = registry.addImage('app', 'latest')
  await client.getManifest(ref('app'), 'latest')
  registry.auth!.tokens = [] // the registry forgets every token (expired early)
  const again = await client.getManifest(ref('app'), img.manifest)
  t.equal(again.digest, img.manifest)
  t.equal(registry.requests.filter((r) => r.url.startsWith('https://auth.test/')).length, 2, 'a second token was fetched')
})

t.test('a blob redirected to another host: followed, and the registry token is not sent there', async (t) => {
  const { host, registry, client, ref } = setup()
  registry.requireToken(`svc-${host}`)
  registry.redirectBlobs = true
  const img = registry.addImage('app', 'latest')
  const stream = await client.openBlob(ref('app'), { mediaType: 'x', digest: img.layer, size: img.layerBytes.length })
  t.same(await readAll(stream), img.layerBytes)
  const storage = registry.requests.filter((r) => r.url.startsWith('https://storage.test/'))
  t.equal(storage.length, 1)
  t.notOk(storage[0]!.authorization, 'no Authorization header on the storage host')
  t.ok(registry.requests.some((r) => r.url.includes('/blobs/') && r.authorization?.startsWith('Bearer ')), 'the registry itself got the token')
})

t.test('5xx answers are retried with backoff; a refused connection is not', async (t) => {
  const { host, registry, client, ref } = setup()
  const img = registry.addImage('app', 'latest')
  registry.fault((r) => r.url.includes('/manifests/'), { status: 503 }, 2)
  const m = await client.getManifest(ref('app'), 'latest')
  t.equal(m.digest, img.manifest, 'the third attempt answered')
  t.equal(registry.requests.filter((r) => r.url.includes('/manifests/')).length, 3)

  const before = registry.requests.length
  registry.fault((r) => r.url.includes('/manifests/'), { code: 'ECONNREFUSED' }, 10)
  await t.rejects(client.getManifest(ref('app'), 'latest'), { message: `Get "https://${host}/v2/app/manifests/latest": dial tcp ${host}:443: connect: connection refused` })
  t.equal(registry.requests.length - before, 1, 'one attempt: waiting does not make a server listen')
})

t.test('5xx every time: Docker\'s "received unexpected HTTP status" after the retries', async (t) => {
  const { host, registry, client, ref } = setup()
  registry.addImage('app', 'latest')
  registry.fault((r) => r.url.includes('/manifests/'), { status: 502 }, 10)
  await t.rejects(client.getManifest(ref('app'), 'latest'), { message: `Get "https://${host}/v2/app/manifests/latest": received unexpected HTTP status: 502 Bad Gateway` })
  t.equal(registry.requests.filter((r) => r.url.includes('/manifests/')).length, 4, 'the first attempt and 3 retries')
})

t.test('a connection reset in the middle is retried', async (t) => {
  const { registry, client, ref } = setup()
  const img = registry.addImage('app', 'latest')
  registry.fault((r) => r.url.includes('/manifests/'), { code: 'ECONNRESET' }, 1)
  t.equal((await client.getManifest(ref('app'), 'latest')).digest, img.manifest)
})

t.test("not found and denied, in Docker's words", async (t) => {
  const { host, registry, client, ref } = setup()
  await t.rejects(client.getManifest(ref('nothere'), 'v9'), { message: `manifest for ${host}/nothere:v9 not found: manifest unknown: manifest unknown`, status: 404 })
  registry.fault((r) => r.url.includes('/secret/'), { status: 403, body: JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }) })
  await t.rejects(client.getManifest(ref('secret'), 'latest'), {
    message: `pull access denied for ${host}/secret, repository does not exist or may require 'tocker login': denied: requested access to the resource is denied`,
    status: 403,
  })
})

t.test('digests are checked: a manifest that does not hash to what was asked, a layer that does not hash to its descriptor', async (t) => {
  const { registry, client, ref } = setup()
  const img = registry.addImage('app', 'latest')
  const tampered = Buffer.from(registry.manifests.get(`app@${img.manifest}`)!.bytes.toString().replace('"schemaVersion":2', '"schemaVersion":2 '))
  registry.manifests.set(`app@${img.manifest}`, { bytes: tampered, mediaType: MANIFEST_V2 })
  await t.rejects(client.getManifest(ref('app'), img.manifest), { message: `manifest verification failed for digest ${img.manifest}: the registry sent content hashing to ${sha256(tampered)}`, code: 'EDIGEST' })

  registry.blobs.set(img.layer, Buffer.from('something else, same length?'.padEnd(img.layerBytes.length, '.').slice(0, img.layerBytes.length)))
  const stream = await client.openBlob(ref('app'), { mediaType: 'x', digest: img.layer, size: img.layerBytes.length })
  await t.rejects(readAll(stream), { message: new RegExp(`^filesystem layer verification failed for digest ${img.layer}`) })
})

t.test('a registry that names another digest in Docker-Content-Digest than its bytes hash to is refused', async (t) => {
  const { registry, client, ref } = setup()
  registry.addImage('app', 'latest')
  const real = registry.fetch
  const lying = async (url: string, init: RequestInit) => {
    const res = await real(url, init)
    if (!url.includes('/manifests/')) return res
    const h = new Headers(res.headers)
    h.set('docker-content-digest', sha256('something else'))
    return new Response(await res.arrayBuffer(), { status: res.status, headers: h })
  }
  const c = new RegistryClient({ fetch: lying, config: client.config })
  await t.rejects(c.getManifest(ref('app'), 'latest'), { code: 'EDIGEST' })
})
