// `tocker pull` end to end: bin/tocker (built with `npx tsc -p .`) against Debian's docker-registry on
// 127.0.0.1, a fresh --root store and a fresh TOCKER_CONFIG per test file. Output compared with
// Docker's line for line; on every failure, nothing may be left in the store.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { hostPlatform } from '../../../src/image/registry/platform.js'
import { Engines, tmpLeftovers } from '../../helpers/engines.js'
import { fixture, layoutInfo, pushFixture } from '../../helpers/fixtures.js'
import { startProxy } from '../../helpers/http-proxy.js'
import { freePort, push, registryToolsMissing, startRegistry, type TestRegistry } from '../../helpers/registry.js'
import { REPO_ROOT } from '../../helpers/paths.js'

// The engines this file starts reconcile networking when they start: a private network namespace
// (tap is loaded only inside it: the parent must print nothing).
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()
const { default: t } = await import('tap')

const missing = registryToolsMissing()
if (missing) {
  t.skip(`pull tests need ${missing}`, () => {})
  process.exit(0)
}

const repoRoot = REPO_ROOT
const bin = join(repoRoot, 'bin', 'tocker')
const work = mkdtempSync(join(tmpdir(), 'tocker-pull-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const configDir = join(work, 'config')

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Run bin/tocker asynchronously (the token server and proxies live in this process). */
function tocker(root: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    // tap's process-info hook puts its --import into NODE_OPTIONS of every child it sees spawned, and
    // under it Node loads the extensionless bin/tocker as CommonJS (ERR_REQUIRE_CYCLE_MODULE): run the
    // CLI through `env -u NODE_OPTIONS`, as a user's shell would.
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--root', root, ...args], {
      env: { ...process.env, TOCKER_CONFIG: configDir, TOCKER_NO_AUTOSTART: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(opts.input ?? '')
  })
}

let roots = 0
// The engine pulls (the one owner of the store): one engine per fresh store.
const engines = new Engines()
t.teardown(() => engines.stopAll())
async function freshRoot(): Promise<string> {
  const root = join(work, `root-${++roots}`)
  await engines.start(root)
  return root
}

/** What a store holds: committed layers, image records, tags; and leftovers in tmp. */
function storeContents(root: string) {
  const list = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => !n.startsWith('.')) : [])
  const repos = join(root, 'repositories.json')
  const tags = existsSync(repos) ? Object.keys(JSON.parse(readFileSync(repos, 'utf8') || '{}')) : []
  const links = list(join(root, 'layers', 'l'))
  return { layers: list(join(root, 'layers')).filter((n) => n !== 'l'), links, images: list(join(root, 'images')), tags, tmp: tmpLeftovers(root) }
}

function assertEmptyStore(t: Test, root: string, what: string) {
  const c = storeContents(root)
  t.strictSame({ layers: c.layers, links: c.links, images: c.images, tags: c.tags, tmp: c.tmp }, { layers: [], links: [], images: [], tags: [], tmp: [] }, `${what}: nothing left in the store`)
}

const short = (digest: string) => digest.slice(7, 19)
const hex = (digest: string) => digest.slice(7)

if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) {
  t.fail('build first: npx tsc -p .')
  process.exit(1)
}

let reg: TestRegistry
t.before(async () => {
  reg = await startRegistry()
  await pushFixture(reg.addr, 'busybox', 'busybox:latest')
  await pushFixture(reg.addr, 'httpd', 'httpd:latest')
  await pushFixture(reg.addr, 'busybox', 'lab/tools/busybox:1.35')
  await pushFixture(reg.addr, 'busybox-v2s2', 'v2s2/busybox:latest')
  await pushFixture(reg.addr, 'multiarch', 'multi/oci:latest', { all: true })
  await pushFixture(reg.addr, 'multiarch-docker', 'multi/docker:latest', { all: true })
})
t.teardown(() => reg?.stop())

t.test('pull: Docker\'s output, layers in the store, then "up to date"', async (t) => {
  const root = await freshRoot()
  const info = await layoutInfo(await fixture('busybox'))
  const layer = short(info.layers![0].digest)
  const first = await tocker(root, ['pull', `${reg.addr}/busybox`])
  t.equal(first.code, 0, first.stderr)
  t.equal(
    first.stdout,
    [
      'Using default tag: latest',
      'latest: Pulling from busybox',
      `${layer}: Pulling fs layer`,
      `${layer}: Verifying Checksum`,
      `${layer}: Download complete`,
      `${layer}: Pull complete`,
      `Digest: ${info.digest}`,
      `Status: Downloaded newer image for ${reg.addr}/busybox:latest`,
      `${reg.addr}/busybox:latest`,
      '',
    ].join('\n'),
  )
  const c = storeContents(root)
  t.strictSame(c.layers, [hex(info.diffIds![0])], 'the layer is stored under its DiffID')
  t.ok(existsSync(join(root, 'layers', hex(info.diffIds![0]), 'diff', 'bin', 'busybox')), 'unpacked, ready as an overlay lowerdir')
  t.strictSame(c.images, [`${hex(info.configDigest!)}.json`], 'one image record, named by its config digest')
  t.ok(c.tags.includes(`${reg.addr}/busybox:latest`), 'tagged')
  t.strictSame(c.tmp, [], 'no leftovers')

  const again = await tocker(root, ['pull', `${reg.addr}/busybox:latest`])
  t.equal(again.code, 0, again.stderr)
  t.equal(
    again.stdout,
    ['latest: Pulling from busybox', `Digest: ${info.digest}`, `Status: Image is up to date for ${reg.addr}/busybox:latest`, `${reg.addr}/busybox:latest`, ''].join('\n'),
    'a second pull touches no layer',
  )

  // httpd shares busybox's layer: "Already exists" for it, and only the new one downloaded.
  const httpd = await layoutInfo(await fixture('httpd'))
  t.equal(httpd.layers![0].digest, info.layers![0].digest, 'the fixtures share the base layer')
  const second = await tocker(root, ['pull', `${reg.addr}/httpd`])
  t.equal(second.code, 0, second.stderr)
  const lines = second.stdout.split('\n')
  t.ok(lines.includes(`${layer}: Already exists`), 'the shared layer already exists')
  t.notOk(lines.includes(`${layer}: Pull complete`), 'and is not downloaded again')
  t.ok(lines.includes(`${short(httpd.layers![1].digest)}: Pull complete`), 'the new layer is pulled')
  t.equal(lines.at(-2), `${reg.addr}/httpd:latest`, 'the full reference comes last')
  t.equal(storeContents(root).layers.length, 2, 'two layers in the store, the base once')

  const quiet = await tocker(root, ['pull', '-q', `${reg.addr}/httpd`])
  t.equal(quiet.code, 0)
  t.equal(quiet.stdout, `${reg.addr}/httpd:latest\n`, '-q prints only the reference')
})

t.test('media types, nested paths, digests, platforms', async (t) => {
  const root = await freshRoot()
  const bb = await layoutInfo(await fixture('busybox'))

  const v2s2 = await tocker(root, ['pull', `${reg.addr}/v2s2/busybox`])
  t.equal(v2s2.code, 0, v2s2.stderr)
  t.match(v2s2.stdout, 'Status: Downloaded newer image for', 'Docker schema2 image pulled')

  const nested = await tocker(root, ['pull', `${reg.addr}/lab/tools/busybox:1.35`])
  t.equal(nested.code, 0, nested.stderr)
  t.match(nested.stdout, /^1\.35: Pulling from lab\/tools\/busybox$/m, 'nested repository path')
  t.match(nested.stdout, /: Already exists$/m, 'same layer as the schema2 busybox: content addressed')

  const byDigest = await tocker(root, ['pull', `${reg.addr}/busybox@${bb.digest}`])
  t.equal(byDigest.code, 0, byDigest.stderr)
  t.equal(
    byDigest.stdout.split('\n').filter((l) => !l.includes(': Already exists')).join('\n'),
    [
      `${bb.digest}: Pulling from busybox`,
      `Digest: ${bb.digest}`,
      `Status: Downloaded newer image for ${reg.addr}/busybox@${bb.digest}`,
      `${reg.addr}/busybox@${bb.digest}`,
      '',
    ].join('\n'),
    'pull by digest: new under this name, though its layer was there already',
  )
  const byDigestAgain = await tocker(root, ['pull', `${reg.addr}/busybox@${bb.digest}`])
  t.match(byDigestAgain.stdout, `Status: Image is up to date for ${reg.addr}/busybox@${bb.digest}`, 'and up to date the second time')

  const wrongDigest = 'sha256:' + '0'.repeat(64)
  const unknown = await tocker(root, ['pull', `${reg.addr}/busybox@${wrongDigest}`])
  t.equal(unknown.code, 1)
  t.equal(unknown.stderr, `Error response from daemon: manifest for ${reg.addr}/busybox@${wrongDigest} not found: manifest unknown: manifest unknown\n`)

  for (const repo of ['multi/oci', 'multi/docker']) {
    const info = await layoutInfo(await fixture(repo === 'multi/oci' ? 'multiarch' : 'multiarch-docker'))
    const r = await freshRoot()
    const host = await tocker(r, ['pull', `${reg.addr}/${repo}`])
    t.equal(host.code, 0, host.stderr)
    t.match(host.stdout, `Digest: ${info.digest}`, `${repo}: the index digest is reported`)
    if (hostPlatform().architecture === 'amd64') {
      const layers = storeContents(r).layers
      const arch = layers.map((l) => join(r, 'layers', l, 'diff', 'etc', 'arch')).find((p) => existsSync(p))
      t.equal(arch && readFileSync(arch, 'utf8').trim(), 'amd64', `${repo}: the host's platform was pulled`)
    }
    const arm = await tocker(r, ['pull', '--platform', 'linux/arm64', `${reg.addr}/${repo}`])
    t.equal(arm.code, 0, arm.stderr)
    const armArch = storeContents(r)
      .layers.map((l) => join(r, 'layers', l, 'diff', 'etc', 'arch'))
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p, 'utf8').trim())
    t.ok(armArch.includes('arm64'), `${repo}: --platform linux/arm64 pulled the arm64 image`)

    const none = await freshRoot()
    const s390 = await tocker(none, ['pull', '--platform', 'linux/s390x', `${reg.addr}/${repo}`])
    t.equal(s390.code, 1)
    t.equal(
      s390.stderr,
      'Error response from daemon: no matching manifest for linux/s390x in the manifest list entries (available: linux/amd64, linux/arm64)\n',
    )
    assertEmptyStore(t, none, `${repo} unmatched platform`)
  }

  const single = await tocker(await freshRoot(), ['pull', '--platform', 'linux/arm64', `${reg.addr}/busybox`])
  t.equal(single.code, 1, 'a single-platform image of another platform is refused')
  t.match(single.stderr, /was found but does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/)
})

t.test('bad input: one clear line, exit 1, nothing in the store', async (t) => {
  const root = await freshRoot()
  const upper = await tocker(root, ['pull', 'UPPER'])
  t.equal(upper.code, 1)
  t.equal(upper.stderr, 'invalid reference format: repository name (library/UPPER) must be lowercase\n')

  const unknown = await tocker(root, ['pull', `${reg.addr}/nope`])
  t.equal(unknown.code, 1)
  t.equal(unknown.stdout, 'Using default tag: latest\n')
  t.equal(unknown.stderr, `Error response from daemon: manifest for ${reg.addr}/nope:latest not found: manifest unknown: manifest unknown\n`)

  const port = await freePort()
  const unreachable = await tocker(root, ['pull', `127.0.0.1:${port}/busybox`])
  t.equal(unreachable.code, 1)
  t.equal(
    unreachable.stderr,
    `Error response from daemon: Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
  )
  assertEmptyStore(t, root, 'unknown image and unreachable registry')
})

t.test('corrupted and truncated blobs: error, nothing stored', async (t) => {
  const own = await startRegistry()
  t.teardown(own.stop)
  await pushFixture(own.addr, 'busybox', 'busybox:latest')
  const info = await layoutInfo(await fixture('busybox'))
  const layer = info.layers![0]

  // Truncated: a proxy drops the connection in the middle of the layer.
  const proxy = await startProxy(own.addr, {
    handle: (req, _res, forward) => {
      if (!req.url?.endsWith(layer.digest)) return false
      forward({ cutAfter: Math.floor(layer.size / 2), mode: 'reset' })
      return true
    },
  })
  t.teardown(proxy.stop)
  const root1 = await freshRoot()
  const cut = await tocker(root1, ['pull', `${proxy.addr}/busybox`])
  t.equal(cut.code, 1)
  // After the first progress line the engine reports failures in the stream: Docker's CLI prints
  // those bare (no "Error response from daemon:").
  t.match(cut.stderr, /^(?!Error response from daemon).*unexpected EOF.*\n$/, 'said in one line')
  t.equal(cut.stderr.split('\n').length, 2, 'one line')
  assertEmptyStore(t, root1, 'truncated blob')

  // Corrupted: one byte flipped in the registry's storage.
  const path = own.blobPath(layer.digest)
  const bytes = readFileSync(path)
  bytes[Math.floor(bytes.length / 2)] ^= 0xff
  writeFileSync(path, bytes)
  const root2 = await freshRoot()
  const bad = await tocker(root2, ['pull', `${own.addr}/busybox`])
  t.equal(bad.code, 1)
  t.equal(bad.stderr, `filesystem layer verification failed for digest ${layer.digest}\n`)
  assertEmptyStore(t, root2, 'corrupted blob')
})

t.test('a failed multi-layer pull takes back the layers it completed', async (t) => {
  const own = await startRegistry()
  t.teardown(own.stop)
  await pushFixture(own.addr, 'httpd', 'httpd:latest')
  const info = await layoutInfo(await fixture('httpd'))
  t.equal(info.layers!.length, 2)
  // The big base layer is corrupted; the small page layer completes first, then must go again.
  const base = info.layers![0]
  const path = own.blobPath(base.digest)
  const bytes = readFileSync(path)
  bytes[Math.floor(bytes.length / 2)] ^= 0xff
  writeFileSync(path, bytes)
  const root = await freshRoot()
  const bad = await tocker(root, ['pull', `${own.addr}/httpd`])
  t.equal(bad.code, 1)
  t.match(bad.stdout, `${short(info.layers![1].digest)}: Pull complete`, 'the page layer was completed before the failure')
  t.equal(bad.stderr, `filesystem layer verification failed for digest ${base.digest}\n`)
  assertEmptyStore(t, root, 'failed multi-layer pull')
})

t.test('token auth: refused anonymously, login, pull with one token, logout', async (t) => {
  const users = { alice: 'wonderland' }
  const own = await startRegistry({ auth: 'token', users })
  t.teardown(own.stop)
  await push(await fixture('busybox'), `${own.addr}/private/busybox:latest`, { creds: { username: 'alice', password: 'wonderland' } })
  const root = await freshRoot()
  const ref = `${own.addr}/private/busybox`

  const refused = await tocker(root, ['pull', ref])
  t.equal(refused.code, 1)
  t.equal(refused.stderr, `Error response from daemon: Get "http://${own.addr}/v2/private/busybox/manifests/latest": unauthorized: authentication required\n`)
  assertEmptyStore(t, root, 'anonymous pull refused')

  const wrong = await tocker(root, ['login', '-u', 'alice', '--password-stdin', own.addr], { input: 'nope\n' })
  t.equal(wrong.code, 1)
  t.equal(wrong.stderr, `Error response from daemon: Get "http://${own.addr}/v2/": unauthorized: incorrect username or password\n`)
  t.notOk(existsSync(join(configDir, 'config.json')) && readFileSync(join(configDir, 'config.json'), 'utf8').includes(own.addr), 'wrong credentials are not saved')

  const login = await tocker(root, ['login', '-u', 'alice', '--password-stdin', own.addr], { input: 'wonderland\n' })
  t.equal(login.code, 0, login.stderr)
  t.equal(login.stdout, 'Login Succeeded\n')

  own.token!.requests.length = 0
  const pulled = await tocker(root, ['pull', ref])
  t.equal(pulled.code, 0, pulled.stderr)
  t.match(pulled.stdout, `Status: Downloaded newer image for ${ref}:latest`)
  t.equal(own.token!.requests.length, 1, 'one token request for the whole pull (manifest, config, layers)')
  t.strictSame(own.token!.requests[0].scopes, ['repository:private/busybox:pull'])

  const logout = await tocker(root, ['logout', own.addr])
  t.equal(logout.stdout, `Removing login credentials for ${own.addr}\n`)
  const again = await tocker(root, ['logout', own.addr])
  t.equal(again.stdout, `Not logged in to ${own.addr}\n`)
  const afterLogout = await tocker(await freshRoot(), ['pull', ref])
  t.equal(afterLogout.code, 1, 'refused again after logout')
})

t.test('htpasswd (Basic) auth through login', async (t) => {
  const own = await startRegistry({ auth: 'htpasswd', users: { bob: 'builder' } })
  t.teardown(own.stop)
  await push(await fixture('busybox'), `${own.addr}/busybox:latest`, { creds: { username: 'bob', password: 'builder' } })
  const root = await freshRoot()
  const refused = await tocker(root, ['pull', `${own.addr}/busybox`])
  t.equal(refused.code, 1)
  t.equal(refused.stderr, `Error response from daemon: Get "http://${own.addr}/v2/busybox/manifests/latest": no basic auth credentials\n`)

  const wrong = await tocker(root, ['login', '-u', 'bob', '-p', 'nope', own.addr])
  t.equal(wrong.code, 1)
  t.equal(
    wrong.stderr,
    `WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nError response from daemon: login attempt to http://${own.addr}/v2/ failed with status: 401 Unauthorized\n`,
  )
  const login = await tocker(root, ['login', '-u', 'bob', '-p', 'builder', own.addr])
  t.equal(login.code, 0, login.stderr)
  const pulled = await tocker(root, ['pull', `${own.addr}/busybox`])
  t.equal(pulled.code, 0, pulled.stderr)
  await tocker(root, ['logout', own.addr])
})
