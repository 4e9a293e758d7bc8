// rootfs-cache/examples/web: the Dockerfile example of the lab guide (chapter 10), a small web page
// built FROM the offline Apache image (httpd:2.4, Debian's Apache). As a learner does it: load the
// offline image, `tocker build -t my-web rootfs-cache/examples/web`, `run -d -p`, fetch the page
// and the file the RUN step wrote; the image has httpd's layers plus one per RUN and COPY, and the
// LABEL is an empty layer in its history. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import { repoPath } from '../../helpers/paths.js'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { readFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { tockerEnv, until } = await import('./harness.js')
// @ts-ignore: plain JavaScript modules
const { buildRootfsCache, DEFAULT_OUT } = await import('../../../rootfs-cache/build.mjs')
// @ts-ignore
const { withLock, FIXTURES_DIR } = await import('../../helpers/layout-cache.mjs')

const EXAMPLE = repoPath('rootfs-cache', 'examples', 'web')
// The offline images are built once per machine (bin/lab does it; a no-op when their stamps match).
await withLock(join(FIXTURES_DIR, '.lock-rootfs-cache'), () => buildRootfsCache({ outDir: DEFAULT_OUT, only: ['httpd'] }))

const env = await tockerEnv('tocker-example-web-')
t.teardown(() => env.cleanup())
await env.startEngine()

t.test('build the example FROM the offline httpd, run it, get the page', async (t) => {
  const load = await env.tocker(['load', '-i', join(DEFAULT_OUT, 'httpd.tar')], { timeoutMs: 180_000 })
  t.equal(load.code, 0, load.stderr)
  t.match(load.stdout, 'Loaded image: httpd:2.4')

  const b = await env.tocker(['build', '-t', 'my-web', EXAMPLE], { timeoutMs: 180_000 })
  t.equal(b.code, 0, b.stderr)
  t.match(b.stdout, /^Step 1\/4 : FROM httpd:2\.4$/m)
  t.match(b.stdout, /^Step 3\/4 : RUN echo "built on Debian/m)
  t.match(b.stdout, /^Step 4\/4 : COPY index\.html \/usr\/local\/apache2\/htdocs\/$/m)
  t.match(b.stdout, /^Successfully tagged my-web:latest$/m)

  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'my-web']))
  const [base] = JSON.parse(await env.ok(['image', 'inspect', 'httpd:2.4']))
  t.equal(img.RootFS.Layers.length, base.RootFS.Layers.length + 2, 'RUN and COPY each added a layer')
  t.same(img.RootFS.Layers.slice(0, base.RootFS.Layers.length), base.RootFS.Layers, "on top of httpd's own")
  t.equal(img.Config.Labels['org.opencontainers.image.title'], 'my-web')
  const history = await env.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}\t{{.Size}}', 'my-web'])
  t.match(history.split('\n')[0], /COPY file:[0-9a-f]{64} in \/usr\/local\/apache2\/htdocs\/ ?\t\d/, 'the COPY on top')
  t.match(history, /LABEL org\.opencontainers\.image\.title=[^\t]*\t0B/, 'the LABEL: no layer (0B)')

  const r = await env.tocker(['run', '-d', '--name', 'web', '-p', '18092:80', 'my-web'])
  t.equal(r.code, 0, r.stderr)
  const page = await until(
    async () => {
      try {
        const res = await fetch('http://127.0.0.1:18092/')
        return res.ok ? await res.text() : undefined
      } catch {
        return undefined
      }
    },
    'the page',
    30_000,
  )
  t.equal(page, readFileSync(join(EXAMPLE, 'index.html'), 'utf8'), 'Apache serves the copied page')
  const built = await (await fetch('http://127.0.0.1:18092/build.txt')).text()
  t.match(built, /^built on Debian \d+/, 'and the file the RUN step wrote')
  await env.ok(['rm', '-f', 'web'])
})

t.test('cleanup', async () => {
  await env.cleanup()
})
