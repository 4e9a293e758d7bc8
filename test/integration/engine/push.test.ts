// Build, share, run — the tutorials' whole loop through a real engine and a real registry (Debian's
// docker-registry on 127.0.0.1): `tocker build -t REG/me/web .` FROM the httpd image, `tocker push`
// (the base layers mounted from library/httpd, the new ones pushed), read back by independent
// readers (skopeo inspect, skopeo copy + umoci unpack), `rmi`, then `run -p` pulls it back and serves
// the page. The layer lesson: a rebuild after changing one file reuses the cached steps before it,
// and its push sends only the changed layer ("Layer already exists" for the rest). Docker's own CLI
// pushes through tockerd too; Docker's wording for what cannot be pushed.
// Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { dockerCli, engineTestBed, layerLines, until } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['httpd'])
t.teardown(cleanup)
const HTTPD = ref('httpd')
const REG = HTTPD.slice(0, HTTPD.indexOf('/'))
const WEB = `${REG}/me/web`
const work = mkdtempSync(join(tmpdir(), 'tocker-push-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

const ctx = join(work, 'web')
mkdirSync(ctx)
function page(text: string) {
  writeFileSync(join(ctx, 'index.html'), `<h1>${text}</h1>\n`)
}
writeFileSync(join(ctx, 'Dockerfile'), `FROM ${HTTPD}\nRUN echo built > /built.txt\nCOPY index.html /usr/local/apache2/htdocs/\n`)
page('hello from tocker')

const docker = dockerCli(env.socket, join(work, 'docker-config'))

let firstDigest = ''
let baseLayers = 0

t.test('build, then push: base layers mounted from the repository they came from, new ones pushed', async (t) => {
  const b = await env.tocker(['build', '-t', WEB, ctx])
  t.equal(b.code, 0, b.stderr)
  const [img] = JSON.parse(await env.ok(['image', 'inspect', WEB]))
  const [base] = JSON.parse(await env.ok(['image', 'inspect', HTTPD]))
  baseLayers = base.RootFS.Layers.length
  t.equal(img.RootFS.Layers.length, baseLayers + 2, 'RUN and COPY each made a layer')
  t.same(img.RepoDigests, [], 'a built image has no repo digest before its push')

  const p = await env.tocker(['push', WEB])
  t.equal(p.code, 0, p.stderr)
  const out = p.stdout
  t.match(out, new RegExp(`^Using default tag: latest\\nThe push refers to repository \\[${WEB.replace(/[.]/g, '\\.')}\\]\\n`))
  const lines = layerLines(out)
  const ids = (img.RootFS.Layers as string[]).map((d) => d.slice(7, 19))
  for (const id of ids.slice(0, baseLayers)) t.equal(lines.get(id), 'Mounted from library/httpd', `${id}: base layer mounted, not sent`)
  for (const id of ids.slice(baseLayers)) t.equal(lines.get(id), 'Pushed', `${id}: new layer pushed`)
  const m = /^latest: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/m.exec(out)
  t.ok(m, 'the digest line')
  firstDigest = m![1]
  const [after] = JSON.parse(await env.ok(['image', 'inspect', WEB]))
  t.same(after.RepoDigests, [`${WEB}@${firstDigest}`], 'the image has its repo digest now')

  // An independent reader: skopeo sees the manifest and its digest, umoci unpacks the same tree.
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${WEB}:latest`]).toString())
  t.equal(inspect.Digest, firstDigest)
  t.equal(inspect.Layers.length, baseLayers + 2)
  const oci = join(work, 'oci')
  execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${WEB}:latest`, `oci:${oci}:web`], { stdio: 'pipe' })
  const bundle = join(work, 'bundle')
  execFileSync('umoci', ['unpack', '--rootless', '--image', `${oci}:web`, bundle], { stdio: 'pipe' })
  t.equal(readFileSync(join(bundle, 'rootfs/usr/local/apache2/htdocs/index.html'), 'utf8'), '<h1>hello from tocker</h1>\n')
  t.equal(readFileSync(join(bundle, 'rootfs/built.txt'), 'utf8'), 'built\n')
  rmSync(bundle, { recursive: true, force: true })

  const again = await env.tocker(['push', `${WEB}:latest`])
  t.equal(again.code, 0, again.stderr)
  t.same([...layerLines(again.stdout).values()], Array(baseLayers + 2).fill('Layer already exists'), 'a second push sends nothing')
  t.match(again.stdout, `latest: digest: ${firstDigest} size: `, 'and gives the same digest')
})

t.test('the layer lesson: one changed file, one new layer; the rest is cached and already there', async (t) => {
  page('version 2')
  const b = await env.tocker(['build', '-t', `${WEB}:2`, ctx])
  t.equal(b.code, 0, b.stderr)
  t.match(b.stdout, /Step 2\/3 : RUN echo built > \/built.txt\n ---> Using cache\n/, 'the RUN before the changed file comes from the cache')
  t.notMatch(b.stdout, /Step 3\/3 : COPY[^\n]*\n ---> Using cache/, 'the COPY of the changed file does not')
  const p = await env.tocker(['push', `${WEB}:2`])
  t.equal(p.code, 0, p.stderr)
  const statuses = [...layerLines(p.stdout).values()]
  t.equal(statuses.filter((s) => s === 'Layer already exists').length, baseLayers + 1, 'every shared layer: "Layer already exists"')
  t.equal(statuses.filter((s) => s === 'Pushed').length, 1, 'only the changed layer travels')
  t.match(p.stdout, /^2: digest: sha256:[0-9a-f]{64} size: \d+$/m)
})

t.test('rmi, then run pulls it back from the registry and serves the page', async (t) => {
  await env.ok(['rmi', WEB, `${WEB}:2`])
  t.equal((await env.ok(['images', '-q', WEB])).trim(), '', 'gone from the store')
  const r = await env.tocker(['run', '-d', '--name', 'web', '-p', '18090:80', WEB])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, `Unable to find image '${WEB}:latest' locally`)
  t.match(r.stderr, `Digest: ${firstDigest}`, 'the digest pushed is the digest pulled')
  const body = await until(
    async () => {
      try {
        return await (await fetch('http://127.0.0.1:18090/')).text()
      } catch {
        return undefined
      }
    },
    'the page',
    15_000,
  )
  t.equal(body, '<h1>hello from tocker</h1>\n')
  await env.ok(['rm', '-f', 'web'])
})

t.test("Docker's CLI pushes through tockerd; what cannot be pushed, in Docker's words", async (t) => {
  await env.ok(['tag', WEB, `${WEB}:docker`])
  const d = await docker(['push', `${WEB}:docker`])
  t.equal(d.code, 0, d.stderr)
  t.match(d.stdout, `The push refers to repository [${WEB}]`)
  t.match(d.stdout, /Layer already exists/)
  t.match(d.stdout, `docker: digest: ${firstDigest} size: `)

  const none = await env.tocker(['push', `${REG}/me/none`])
  t.equal(none.code, 1)
  t.equal(none.stdout, `Using default tag: latest\nThe push refers to repository [${REG}/me/none]\n`)
  t.equal(none.stderr, `An image does not exist locally with the tag: ${REG}/me/none\n`)
  const tag = await env.tocker(['push', `${WEB}:nope`])
  t.equal(tag.code, 1)
  t.match(tag.stderr, `tag does not exist: ${WEB}:nope`)
  const dn = await docker(['push', `${REG}/me/none`])
  t.equal(dn.code, 1)
  t.match(dn.stderr, `An image does not exist locally with the tag: ${REG}/me/none`)
  const digest = await env.tocker(['push', `${WEB}@${firstDigest}`])
  t.equal(digest.code, 1)
  t.match(digest.stderr, 'cannot push a digest reference')
})

t.test('cleanup', async () => {
  await cleanup()
})
