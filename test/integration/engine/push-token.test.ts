// `tocker push` to a registry with token auth (Debian's docker-registry, `auth: token`, its realm a
// small token server of this test on 127.0.0.1), with the credentials of `tocker login`:
//   - a wrong password: Docker's error line, exit 1, nothing saved; a push without login refused;
//   - a push asks the realm for push scope on its repository ("repository:alice/web:pull,push");
//   - a cross-repository mount under token auth: one token for both repositories, as Docker asks
//     ("repository:alice/web:pull,push" + "repository:alice/base:pull"), the base layer "Mounted from";
//   - a built image pushed on top (its new layer "Pushed", the base "Layer already exists");
//   - skopeo, with its own credentials, reads what tocker pushed (inspect, copy), and without them
//     is refused; Docker's CLI logs in and pushes through tockerd; stored credentials gone bad
//     (another password) fail the push in Docker's words.
// Every client call is bounded; skopeo and tocker get private config files (never the user's).
// Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const work = mkdtempSync(join(tmpdir(), 'tocker-push-token-test-'))
// The CLI's `login` writes here, the engine reads its daemon.json here: never the user's ~/.tocker.
process.env.TOCKER_CONFIG = join(work, 'tocker-config')
mkdirSync(process.env.TOCKER_CONFIG)

const { dockerCli, engineTestBed, layerLines } = await import('./harness.js')
const { runClient, clientEnv } = await import('../../helpers/clients.js')
const { startRegistry, push, registryToolsMissing } = await import('../../helpers/registry.js')
const { fixture } = await import('../../helpers/fixtures.js')

const missing = registryToolsMissing()
if (missing) {
  t.skip(`needs ${missing}`, () => {})
  process.exit(0)
}

const { env, cleanup } = await engineTestBed([])
t.teardown(cleanup)
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const reg = await startRegistry({ auth: 'token', users: { alice: 'wonderland' } })
t.teardown(() => reg.stop())
const REG = reg.addr
const requests = reg.token!.requests

/** skopeo with a private auth file, plain HTTP, and a time limit (it must never hang the file). */
const skopeoEnv = clientEnv({ REGISTRY_AUTH_FILE: join(work, 'skopeo-auth.json') })
const skopeo = (args: string[]) => runClient('skopeo', args, { env: skopeoEnv, timeoutMs: 60_000 })
const tocker = (args: string[], input?: string) => env.tocker(args, { input, timeoutMs: 90_000 })

const configFile = join(process.env.TOCKER_CONFIG, 'config.json')

t.test("login: a wrong password in Docker's words, nothing saved; without login a push is refused", async (t) => {
  // The base image, in the registry only (put there by skopeo with alice's credentials).
  await push(await fixture('busybox'), `${REG}/alice/base:latest`, { creds: { username: 'alice', password: 'wonderland' } })
  const wrong = await tocker(['login', '-u', 'alice', '--password-stdin', REG], 'nope\n')
  t.equal(wrong.code, 1)
  t.equal(wrong.stderr, `Error response from daemon: Get "http://${REG}/v2/": unauthorized: incorrect username or password\n`)
  t.notOk(existsSync(configFile) && readFileSync(configFile, 'utf8').includes(REG), 'wrong credentials are not saved')

  const anonymous = await tocker(['pull', `${REG}/alice/base`])
  t.equal(anonymous.code, 1, 'an anonymous pull is refused')
  t.equal(anonymous.stderr, `Error response from daemon: Get "http://${REG}/v2/alice/base/manifests/latest": unauthorized: authentication required\n`)
})

let baseDiffIDs: string[] = []

t.test('login, then a push mounts the base layer from the repository it was pulled from, under one token for both', async (t) => {
  const login = await tocker(['login', '-u', 'alice', '--password-stdin', REG], 'wonderland\n')
  t.equal(login.code, 0, login.stderr)
  t.equal(login.stdout, 'Login Succeeded\n')
  t.match(readFileSync(configFile, 'utf8'), REG, 'credentials kept in the private config')

  const pulled = await tocker(['pull', `${REG}/alice/base`])
  t.equal(pulled.code, 0, pulled.stderr)
  const [base] = JSON.parse(await env.ok(['image', 'inspect', `${REG}/alice/base`]))
  baseDiffIDs = base.RootFS.Layers
  await env.ok(['tag', `${REG}/alice/base`, `${REG}/alice/web:1`])

  requests.length = 0
  const p = await tocker(['push', `${REG}/alice/web:1`])
  t.equal(p.code, 0, p.stderr)
  t.match(p.stdout, `The push refers to repository [${REG}/alice/web]`)
  const lines = layerLines(p.stdout)
  for (const d of baseDiffIDs) t.equal(lines.get(d.slice(7, 19)), 'Mounted from alice/base', `${d.slice(7, 19)}: mounted, not sent`)
  t.match(p.stdout, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m)
  t.ok(requests.length > 0 && requests.every((r) => r.user === 'alice' && r.status === 200), 'every token asked for as alice')
  t.ok(
    requests.some((r) => r.scopes.includes('repository:alice/web:pull,push') && r.scopes.includes('repository:alice/base:pull')),
    'the mount: one token for push on alice/web and pull on alice/base',
  )
  t.notOk(requests.some((r) => r.scopes.some((s) => s.startsWith('repository:alice/base:') && s.includes('push'))), 'never push scope on the repository mounted from')
})

let webDigest = ''

t.test('a built image pushed with push scope: the new layer Pushed, the rest already there', async (t) => {
  const ctx = join(work, 'ctx')
  mkdirSync(ctx)
  writeFileSync(join(ctx, 'page.html'), '<h1>token</h1>\n')
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${REG}/alice/base\nRUN echo built > /built.txt\nCOPY page.html /www/index.html\n`)
  const b = await tocker(['build', '-t', `${REG}/alice/web:2`, ctx])
  t.equal(b.code, 0, b.stderr)
  requests.length = 0
  const p = await tocker(['push', `${REG}/alice/web:2`])
  t.equal(p.code, 0, p.stderr)
  const statuses = [...layerLines(p.stdout).values()]
  t.equal(statuses.filter((s) => s === 'Pushed').length, 2, 'RUN and COPY layers sent')
  t.equal(statuses.filter((s) => s === 'Layer already exists').length, baseDiffIDs.length, 'the base is there since the mount')
  const m = /^2: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(p.stdout)
  t.ok(m, 'the digest line')
  webDigest = m![1]
  // (the engine may reuse the token of the push before: same realm, scope and user)
  t.ok(requests.every((r) => r.user === 'alice' && r.scopes.includes('repository:alice/web:pull,push')), 'push scope, as alice', { requests })
})

t.test('skopeo reads what tocker pushed with its own credentials, and is refused without them', async (t) => {
  const target = `docker://${REG}/alice/web:2`
  const refused = await skopeo(['inspect', '--tls-verify=false', target])
  t.not(refused.code, 0, 'anonymous skopeo inspect refused')
  const inspect = await skopeo(['inspect', '--tls-verify=false', '--creds', 'alice:wonderland', target])
  t.equal(inspect.code, 0, inspect.stderr)
  const info = JSON.parse(inspect.stdout)
  t.equal(info.Digest, webDigest, 'the digest tocker printed')
  t.equal(info.Layers.length, baseDiffIDs.length + 2)
  const oci = join(work, 'oci')
  const copy = await skopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-creds', 'alice:wonderland', target, `oci:${oci}:web`])
  t.equal(copy.code, 0, copy.stderr)
  const bundle = join(work, 'bundle')
  const unpack = await runClient('umoci', ['unpack', '--rootless', '--image', `${oci}:web`, bundle], { env: clientEnv({}), timeoutMs: 60_000 })
  t.equal(unpack.code, 0, unpack.stderr)
  t.equal(readFileSync(join(bundle, 'rootfs/www/index.html'), 'utf8'), '<h1>token</h1>\n')
  t.equal(readFileSync(join(bundle, 'rootfs/built.txt'), 'utf8'), 'built\n')
})

t.test("Docker's CLI logs in and pushes through tockerd (X-Registry-Auth), and hears the same refusal", async (t) => {
  const docker = dockerCli(env.socket, join(work, 'docker-config'))
  const wrong = await docker(['login', '-u', 'alice', '--password-stdin', REG], 'nope\n')
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, `Error response from daemon: Get "http://${REG}/v2/": unauthorized: incorrect username or password`)
  const login = await docker(['login', '-u', 'alice', '--password-stdin', REG], 'wonderland\n')
  t.equal(login.code, 0, login.stderr)
  t.match(login.stdout, 'Login Succeeded')
  await env.ok(['tag', `${REG}/alice/web:2`, `${REG}/alice/web:docker`])
  const p = await docker(['push', `${REG}/alice/web:docker`])
  t.equal(p.code, 0, p.stderr)
  t.match(p.stdout, /Layer already exists/)
  t.match(p.stdout, `docker: digest: ${webDigest} size: `, 'the same manifest, under a new tag')
})

t.test("stored credentials gone bad: the push fails in Docker's words, exit 1", async (t) => {
  const auth = Buffer.from('alice:changed-since').toString('base64')
  writeFileSync(configFile, JSON.stringify({ auths: { [REG]: { auth } } }, null, '\t') + '\n')
  requests.length = 0
  const p = await tocker(['push', `${REG}/alice/web:2`])
  t.equal(p.code, 1)
  t.match(p.stdout, `The push refers to repository [${REG}/alice/web]`)
  t.equal(p.stderr, 'unauthorized: incorrect username or password\n')
  t.ok(requests.some((r) => r.user === 'alice' && r.status === 401), 'the realm refused the password')
  const logout = await tocker(['logout', REG])
  t.equal(logout.code, 0, logout.stderr)
  const anon = await tocker(['push', `${REG}/alice/web:2`])
  t.equal(anon.code, 1, 'without credentials: refused')
  t.match(anon.stderr, /unauthorized: authentication required|denied: requested access to the resource is denied/)
})

t.test('cleanup', async () => {
  await cleanup()
})
