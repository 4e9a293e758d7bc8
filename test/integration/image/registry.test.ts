// The registry client against Debian's docker-registry on 127.0.0.1 (open, token auth, htpasswd),
// with small proxies to break things on purpose: truncated bodies, 503s, redirects to another host.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { TockerError } from '../../../src/errors.js'
import { parseReference, type Reference } from '../../../src/image/reference.js'
import { RegistryClient } from '../../../src/image/registry/client.js'
import { loadRegistryConfig, removeCredentials, saveCredentials, type Credentials, type RegistryConfig } from '../../../src/image/registry/config.js'
import { endpointsFor } from '../../../src/image/registry/endpoints.js'
import { hostPlatform, parsePlatform } from '../../../src/image/registry/platform.js'
import { BlobVerificationError } from '../../../src/image/registry/verify.js'
import { MediaType } from '../../../src/image/types.js'
import { startProxy } from '../../helpers/http-proxy.js'
import { freePort, push, registryToolsMissing, startRegistry } from '../../helpers/registry.js'
import { noise, writeImageLayout } from '../../helpers/tiny-images.js'

const missing = registryToolsMissing()
if (missing) {
  t.skip(`registry tests need ${missing}`, () => {})
  process.exit(0)
}

const work = mkdtempSync(join(tmpdir(), 'tocker-registry-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
process.env.TOCKER_CONFIG = join(work, 'config')

const one = await writeImageLayout(join(work, 'one'), {
  layers: [[{ path: 'etc/hello', content: 'hello\n' }], [{ path: 'big', content: noise(300_000) }]],
})
const multi = await writeImageLayout(join(work, 'multi'), {
  platforms: [
    { architecture: 'amd64', layers: [[{ path: 'etc/arch', content: 'amd64\n' }]] },
    { architecture: 'arm64', variant: 'v8', layers: [[{ path: 'etc/arch', content: 'arm64\n' }]] },
  ],
})

function config(creds?: Credentials, extra: Partial<RegistryConfig> = {}): RegistryConfig {
  return { insecureRegistries: [], mirrors: [], credentials: () => creds, ...extra }
}

function ref(addr: string, path: string, tag = 'latest'): Reference {
  return { domain: addr, path, tag }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<{ data: Buffer; ended: boolean; error?: Error }> {
  const chunks: Buffer[] = []
  let ended = false
  stream.on('end', () => (ended = true))
  try {
    for await (const c of stream) chunks.push(c as Buffer)
    return { data: Buffer.concat(chunks), ended }
  } catch (error) {
    return { data: Buffer.concat(chunks), ended, error: error as Error }
  }
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex')
const isAmd64Host = hostPlatform().architecture === 'amd64'

t.test('open registry: every manifest media type, platforms, digests', async (t) => {
  const reg = await startRegistry()
  t.teardown(reg.stop)
  await push(join(work, 'one'), `${reg.addr}/x/one:oci`)
  await push(join(work, 'one'), `${reg.addr}/x/one:v2s2`, { format: 'v2s2' })
  await push(join(work, 'multi'), `${reg.addr}/x/multi:oci`, { all: true })
  await push(join(work, 'multi'), `${reg.addr}/x/multi:list`, { all: true, format: 'v2s2' })
  const client = new RegistryClient({ config: config() })

  const oci = await client.getManifest(ref(reg.addr, 'x/one'), 'oci')
  t.equal(oci.mediaType, MediaType.OciManifest)
  t.equal(oci.digest, one.digest, 'the manifest is byte for byte what was pushed')
  const v2 = await client.getManifest(ref(reg.addr, 'x/one'), 'v2s2')
  t.equal(v2.mediaType, MediaType.DockerManifest)
  t.equal(sha(v2.bytes), v2.digest)
  const byDigest = await client.getManifest(ref(reg.addr, 'x/one'), v2.digest)
  t.equal(byDigest.digest, v2.digest, 'fetch by digest')

  for (const tag of ['oci', 'list']) {
    const r = ref(reg.addr, 'x/multi', tag)
    const host = await client.resolveImage(r)
    t.equal(host.mediaType, tag === 'oci' ? MediaType.OciIndex : MediaType.DockerManifestList, `${tag}: an index`)
    t.equal(host.digest, host.index!.digest, `${tag}: the reported digest is the index's`)
    if (isAmd64Host) t.equal(host.parsed.config.digest, multi.images[0].configDigest, `${tag}: the host's platform (amd64) is picked`)
    const arm = await client.resolveImage(r, { platform: parsePlatform('linux/arm64') })
    t.equal(arm.parsed.config.digest, multi.images[1].configDigest, `${tag}: --platform linux/arm64 picks arm64/v8`)
    t.equal(arm.platform?.architecture, 'arm64')
    const armShort = await client.resolveImage(r, { platform: parsePlatform('arm64') })
    t.equal(armShort.parsed.config.digest, multi.images[1].configDigest, `${tag}: "arm64" alone means linux/arm64`)
    await t.rejects(
      client.resolveImage(r, { platform: parsePlatform('linux/s390x') }),
      { message: 'no matching manifest for linux/s390x in the manifest list entries (available: linux/amd64, linux/arm64)' },
      `${tag}: an unmatched platform names the ones available`,
    )
  }
  t.throws(() => parsePlatform('linux/amd64/v2/extra'), { message: /invalid platform "linux\/amd64\/v2\/extra"/ })

  await t.rejects(client.getManifest(ref(reg.addr, 'x/one'), 'nope'), {
    message: `manifest for ${reg.addr}/x/one:nope not found: manifest unknown: manifest unknown`,
  })
  await t.rejects(client.getManifest(ref(reg.addr, 'x/never-pushed'), 'latest'), {
    message: `manifest for ${reg.addr}/x/never-pushed:latest not found: manifest unknown: manifest unknown`,
  })

  // A registry whose stored manifest was altered: the bytes no longer hash to the digest it announces.
  const path = reg.blobPath(v2.digest)
  const original = readFileSync(path)
  writeFileSync(path, Buffer.concat([original, Buffer.from('\n')]))
  t.not(readFileSync(path).equals(original), true, 'the stored manifest was changed')
  await t.rejects(client.getManifest(ref(reg.addr, 'x/one'), v2.digest), { message: /^manifest verification failed for digest sha256:/ })
  writeFileSync(path, original)
})

t.test('blobs: streamed, verified, corrupted and truncated bodies fail before the end', async (t) => {
  const reg = await startRegistry()
  t.teardown(reg.stop)
  await push(join(work, 'one'), `${reg.addr}/x/one:1`)
  const client = new RegistryClient({ config: config() })
  const resolved = await client.resolveImage(ref(reg.addr, 'x/one', '1'))
  const big = resolved.parsed.layers[1]

  let progress = 0
  const good = await readAll(await client.openBlob(ref(reg.addr, 'x/one'), big, { onProgress: (n) => (progress = n) }))
  t.equal(good.error, undefined)
  t.equal(sha(good.data), big.digest, 'the blob is what the manifest names')
  t.equal(progress, big.size, 'progress reaches the blob size')
  const configBytes = await client.getBlob(ref(reg.addr, 'x/one'), resolved.parsed.config)
  t.equal(JSON.parse(configBytes.toString()).rootfs.diff_ids.length, 2)

  // Corrupted: one byte changed in the registry's own storage, same length.
  const path = reg.blobPath(big.digest)
  const original = readFileSync(path)
  const bad = Buffer.from(original)
  bad[Math.floor(bad.length / 2)] ^= 0xff
  writeFileSync(path, bad)
  const corrupted = await readAll(await client.openBlob(ref(reg.addr, 'x/one'), big))
  t.ok(corrupted.error instanceof BlobVerificationError, 'a corrupted blob is an error')
  t.equal((corrupted.error as BlobVerificationError).problem, 'digest')
  t.equal(corrupted.error?.message, `filesystem layer verification failed for digest ${big.digest}`)
  t.equal(corrupted.ended, false, "no 'end' for a corrupted blob")
  writeFileSync(path, original)

  // Truncated: a proxy cuts the body after 10 000 bytes, once by dropping the connection, once by
  // ending a chunked response early (only the size check can notice that one).
  for (const mode of ['reset', 'short'] as const) {
    const proxy = await startProxy(reg.addr, {
      handle: (req, _res, forward) => {
        if (!req.url?.includes('/blobs/')) return false
        forward({ cutAfter: 10_000, mode })
        return true
      },
    })
    t.teardown(proxy.stop) // also when an assertion below throws: a listening proxy keeps the file alive
    const viaProxy = new RegistryClient({ config: config() })
    // The reset can reach the client before it has read the response headers: then openBlob itself
    // rejects, with the same error. Either way no byte past the cut and no 'end'.
    const cut = await viaProxy
      .openBlob(ref(proxy.addr, 'x/one'), big)
      .then(readAll, (error: Error) => ({ error, ended: false, data: Buffer.alloc(0) }))
    t.ok(cut.error, `${mode}: a truncated blob is an error`)
    t.match(cut.error?.message, /unexpected EOF/, `${mode}: said as Docker says it`)
    t.equal(cut.ended, false, `${mode}: no 'end'`)
    t.ok(cut.data.length <= 10_000, `${mode}: only the bytes sent came through`)
    await proxy.stop()
  }

  // 503 twice, then the real answer: retried with backoff, and the blob arrives.
  let failures = 0
  const flaky = await startProxy(reg.addr, {
    handle: (req, res) => {
      if (!req.url?.includes('/blobs/') || failures >= 2) return false
      failures++
      res.writeHead(503).end()
      return true
    },
  })
  t.teardown(flaky.stop)
  const retried = await readAll(await new RegistryClient({ config: config() }).openBlob(ref(flaky.addr, 'x/one'), big))
  t.equal(retried.error, undefined, 'the blob arrives after two 503s')
  t.equal(flaky.requests.filter((r) => r.url.includes('/blobs/')).length, 3, 'three attempts')
})

t.test('token auth: anonymous refused, credentials accepted, one token per scope', async (t) => {
  const users = { alice: 'wonderland' }
  const reg = await startRegistry({ auth: 'token', users })
  t.teardown(reg.stop)
  await push(join(work, 'one'), `${reg.addr}/x/one:1`, { creds: { username: 'alice', password: 'wonderland' } })
  const requests = reg.token!.requests
  requests.length = 0

  const anonymous = new RegistryClient({ config: config() })
  await t.rejects(anonymous.getManifest(ref(reg.addr, 'x/one', '1'), '1'), {
    message: `Get "http://${reg.addr}/v2/x/one/manifests/1": unauthorized: authentication required`,
  })
  t.equal(requests.length, 1, 'one anonymous token request')
  t.equal(requests[0].user, undefined)

  requests.length = 0
  const alice = new RegistryClient({ config: config(users && { username: 'alice', password: 'wonderland' }) })
  const r = ref(reg.addr, 'x/one', '1')
  const resolved = await alice.resolveImage(r)
  await alice.getBlob(r, resolved.parsed.config)
  for (const layer of resolved.parsed.layers) {
    const got = await readAll(await alice.openBlob(r, layer))
    t.equal(got.error, undefined, `layer ${layer.digest.slice(7, 19)} downloaded`)
  }
  await alice.resolveImage(r)
  t.equal(requests.length, 1, 'one token for the manifest, config and layers of a whole pull, and a second resolve')
  t.strictSame(requests[0], { user: 'alice', scopes: ['repository:x/one:pull'], service: 'tocker-test-registry', status: 200 })

  // A cached token the registry stops accepting (revoked, or expired early): one fresh token, one retry.
  let revoked: string | undefined = undefined
  const front = await startProxy(reg.addr, {
    handle: (req, res) => {
      if (!revoked || req.headers.authorization !== `Bearer ${revoked}`) return false
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="http://${reg.token!.addr}/token",service="tocker-test-registry",scope="repository:x/one:pull"`,
      })
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }))
      return true
    },
  })
  t.teardown(front.stop)
  const viaFront = new RegistryClient({ config: config({ username: 'alice', password: 'wonderland' }) })
  // (a token of its own: since 2599d9b the token cache is keyed by the registry's endpoint and transport)
  await viaFront.getManifest(ref(front.addr, 'x/one'), '1')
  revoked = front.requests.at(-1)!.authorization!.slice('Bearer '.length)
  requests.length = 0
  await viaFront.getManifest(ref(front.addr, 'x/one'), '1')
  t.equal(requests.length, 1, 'the refused cached token was replaced once')
  t.not(front.requests.at(-1)!.authorization, `Bearer ${revoked}`, 'and the retry carried the new one')

  const wrong = new RegistryClient({ config: config({ username: 'alice', password: 'nope' }) })
  await t.rejects(wrong.getManifest(r, '1'), {
    message: `Get "http://${reg.addr}/v2/x/one/manifests/1": unauthorized: incorrect username or password`,
  })

  await new RegistryClient({ config: config() }).checkLogin(reg.addr, { username: 'alice', password: 'wonderland' })
  await t.rejects(new RegistryClient({ config: config() }).checkLogin(reg.addr, { username: 'alice', password: 'nope' }), {
    message: `Get "http://${reg.addr}/v2/": unauthorized: incorrect username or password`,
  })
})

t.test('htpasswd (Basic) auth', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd', users: { bob: 'builder' } })
  t.teardown(reg.stop)
  await push(join(work, 'one'), `${reg.addr}/x/one:1`, { creds: { username: 'bob', password: 'builder' } })
  const r = ref(reg.addr, 'x/one', '1')
  await t.rejects(new RegistryClient({ config: config() }).getManifest(r, '1'), {
    message: `Get "http://${reg.addr}/v2/x/one/manifests/1": no basic auth credentials`,
  })
  await t.rejects(new RegistryClient({ config: config({ username: 'bob', password: 'nope' }) }).getManifest(r, '1'), {
    message: `Get "http://${reg.addr}/v2/x/one/manifests/1": unauthorized: authentication required`,
  })
  const resolved = await new RegistryClient({ config: config({ username: 'bob', password: 'builder' }) }).resolveImage(r)
  t.equal(resolved.digest, one.digest)
  await new RegistryClient({ config: config() }).checkLogin(reg.addr, { username: 'bob', password: 'builder' })
  await t.rejects(new RegistryClient({ config: config() }).checkLogin(reg.addr, { username: 'bob', password: 'nope' }), {
    message: `login attempt to http://${reg.addr}/v2/ failed with status: 401 Unauthorized`,
  })
})

t.test('a blob redirect to another host does not carry Authorization', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd', users: { bob: 'builder' } })
  t.teardown(reg.stop)
  await push(join(work, 'one'), `${reg.addr}/x/one:1`, { creds: { username: 'bob', password: 'builder' } })
  // "Storage" on 127.0.0.2: serves blob files straight from the registry's storage, records headers.
  const storageSeen: { url: string; authorization?: string }[] = []
  const storage = createServer((req, res) => {
    storageSeen.push({ url: req.url ?? '', authorization: req.headers.authorization })
    const digest = (req.url ?? '').split('/').pop()!
    try {
      const data = readFileSync(reg.blobPath(digest))
      res.writeHead(200, { 'content-length': data.length }).end(data)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.2', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        // close() waits for every connection to end; the client's keep-alive one may never do so.
        storage.closeAllConnections()
        storage.close(() => resolve())
      }),
  )
  const storageAddr = `127.0.0.2:${(storage.address() as AddressInfo).port}`
  const front = await startProxy(reg.addr, {
    handle: (req, res) => {
      const m = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')
      if (!m) return false
      res.writeHead(307, { location: `http://${storageAddr}/blobs/${m[1]}` }).end()
      return true
    },
  })
  t.teardown(front.stop)

  const client = new RegistryClient({ config: config({ username: 'bob', password: 'builder' }) })
  const r = ref(front.addr, 'x/one', '1')
  const resolved = await client.resolveImage(r)
  await client.getBlob(r, resolved.parsed.config)
  const got = await readAll(await client.openBlob(r, resolved.parsed.layers[1]))
  t.equal(got.error, undefined, 'the redirected blob arrives, verified')
  t.ok(front.requests.some((q) => q.url.includes('/manifests/') && q.authorization?.startsWith('Basic ')), 'the registry itself got the credentials')
  t.ok(front.requests.some((q) => q.url.includes('/blobs/') && q.authorization?.startsWith('Basic ')), 'the blob request to the registry carried them too')
  t.equal(storageSeen.length, 2, 'config and layer were fetched from the other host')
  t.ok(storageSeen.every((q) => q.authorization === undefined), 'the other host never saw Authorization')
})

t.test('an unreachable registry is one clear line', async (t) => {
  const port = await freePort()
  const client = new RegistryClient({ config: config() })
  const err = await client.getManifest(ref(`127.0.0.1:${port}`, 'x/one'), 'latest').catch((e) => e)
  t.ok(err instanceof TockerError)
  t.equal(err.message, `Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`)
  t.equal(err.daemon, true, 'printed as "Error response from daemon: …"')
})

t.test('config: credentials file, insecure registries, mirrors', async (t) => {
  const dir = process.env.TOCKER_CONFIG!
  t.equal(loadRegistryConfig().credentials('127.0.0.1:5000'), undefined, 'nothing before login')
  saveCredentials('127.0.0.1:5000', { username: 'alice', password: 'wonder:land' })
  saveCredentials('docker.io', { username: 'hub', password: 'pw' })
  const file = join(dir, 'config.json')
  t.equal(statSync(file).mode & 0o777, 0o600, 'config.json is readable by its owner only')
  const json = JSON.parse(readFileSync(file, 'utf8'))
  t.strictSame(json.auths['127.0.0.1:5000'], { auth: Buffer.from('alice:wonder:land').toString('base64') }, "Docker's format")
  t.ok(json.auths['https://index.docker.io/v1/'], "Docker Hub under Docker's key")
  t.strictSame(loadRegistryConfig().credentials('127.0.0.1:5000'), { username: 'alice', password: 'wonder:land' })
  t.strictSame(loadRegistryConfig().credentials('docker.io'), { username: 'hub', password: 'pw' })
  // A file written by `docker login` with a scheme in the key is understood too.
  writeFileSync(file, JSON.stringify({ auths: { 'http://10.0.0.1:5000/v2/': { auth: Buffer.from('u:p').toString('base64') } } }))
  t.strictSame(loadRegistryConfig().credentials('10.0.0.1:5000'), { username: 'u', password: 'p' })
  t.equal(removeCredentials('10.0.0.1:5000'), true)
  t.equal(removeCredentials('10.0.0.1:5000'), false, 'already gone')

  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'insecure-registries': ['myreg.lab:5000', '10.1.0.0/16'], 'registry-mirrors': ['https://mirror.lab'] }))
  const cfg = loadRegistryConfig()
  const base = (d: string) => endpointsFor(d, cfg).map((e) => e.base)
  t.strictSame(base('myreg.lab:5000'), ['http://myreg.lab:5000'], 'listed as insecure')
  t.strictSame(base('myreg.lab'), ['https://myreg.lab'], 'another port of the same host is not')
  t.strictSame(base('10.1.2.3:5000'), ['http://10.1.2.3:5000'], 'inside an insecure CIDR')
  t.strictSame(base('10.2.0.1'), ['https://10.2.0.1'])
  t.strictSame(base('localhost:5000'), ['http://localhost:5000'])
  t.strictSame(base('127.0.0.5:80'), ['http://127.0.0.5:80'], '127.0.0.0/8 is plain HTTP')
  t.strictSame(base('ghcr.io'), ['https://ghcr.io'], 'HTTPS by default')
  t.strictSame(base('docker.io'), ['https://mirror.lab', 'https://registry-1.docker.io'], 'mirrors first for docker.io')
  rmSync(join(dir, 'daemon.json'))

  // A docker.io image through a mirror (the local registry stands in for it; nothing leaves 127.0.0.1).
  const reg = await startRegistry()
  t.teardown(reg.stop)
  await push(join(work, 'one'), `${reg.addr}/library/tiny:latest`)
  const viaMirror = new RegistryClient({ config: config(undefined, { mirrors: [`http://${reg.addr}`] }) })
  const resolved = await viaMirror.resolveImage({ ...parseReference('tiny'), tag: 'latest' })
  t.equal(resolved.digest, one.digest, 'docker.io/library/tiny came from the mirror')
})
