// `tocker diff` and `tocker commit` through a real engine and the real kernel's overlayfs: the
// container's upper directory read back as Docker's A/C/D lines (a whiteout for a deleted file, the
// parents the kernel copied up), and made into an image (-m, -a, -c), run again; a container that
// changed nothing commits to an empty_layer step. Docker's own CLI reads and commits the same.
// Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdtempSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { dockerCli, engineTestBed } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const work = mkdtempSync(join(tmpdir(), 'tocker-commit-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const docker = dockerCli(env.socket, join(work, 'docker-config'))

const EXPECTED = ['C /etc', 'D /etc/group', 'C /etc/passwd', 'A /newdir', 'A /newdir/f', 'C /tmp', 'A /tmp/new', ''].join('\n')

t.test('diff: A, C and D from the upper directory, as Docker prints them', async (t) => {
  const r = await env.tocker(['run', '--name', 'c1', BUSYBOX, 'sh', '-c', 'echo hi > /tmp/new && rm /etc/group && echo x:x:9:9::/:/bin/sh >> /etc/passwd && mkdir /newdir && touch /newdir/f'])
  t.equal(r.code, 0, r.stderr)
  t.equal(await env.ok(['diff', 'c1']), EXPECTED)
  const d = await docker(['diff', 'c1'])
  t.equal(d.stdout, EXPECTED, "Docker's CLI reads the same")
  const none = await env.tocker(['diff', 'nosuch'])
  t.equal(none.code, 1)
  t.equal(none.stderr.split('\n')[0], 'Error response from daemon: No such container: nosuch')
})

t.test('commit: the changes become a layer on the image; -m, -a, -c; the image runs', async (t) => {
  const r = await env.tocker(['commit', '-m', 'add a greeting', '-a', 'Me <me@example.com>', '-c', 'CMD ["cat", "/tmp/new"]', '-c', 'ENV GREETING=hi', 'c1', 'me/committed:1'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/)
  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'me/committed:1']))
  const [base] = JSON.parse(await env.ok(['image', 'inspect', BUSYBOX]))
  t.equal(img.Id, r.stdout.trim())
  t.equal(img.RootFS.Layers.length, base.RootFS.Layers.length + 1, 'one new layer')
  t.same(img.Config.Cmd, ['cat', '/tmp/new'])
  t.ok(img.Config.Env.includes('GREETING=hi'))
  t.equal(img.Author, 'Me <me@example.com>')
  t.equal(img.Parent, base.Id, "the container's image is the parent")
  const hist = JSON.parse(await env.ok(['history', '--no-trunc', '--format', '{{json .}}', 'me/committed:1']).then((s) => `[${s.trim().split('\n').join(',')}]`))
  t.equal(hist[0].Comment, 'add a greeting')
  t.match(hist[0].CreatedBy, /^sh -c echo hi > \/tmp\/new/, "created_by: the container's command")
  t.equal(await env.ok(['run', '--rm', 'me/committed:1']), 'hi\n')
  const check = await env.ok(['run', '--rm', 'me/committed:1', 'sh', '-c', 'test -e /etc/group || echo no-group; ls /newdir; tail -1 /etc/passwd'])
  t.equal(check, 'no-group\nf\nx:x:9:9::/:/bin/sh\n', 'the whiteout hides /etc/group in the new image')
  const clean = await env.tocker(['run', '--rm', 'me/committed:1', 'true'])
  t.equal(clean.code, 0)
  // Docker's CLI commits through tockerd too.
  const d = await docker(['commit', 'c1', 'me/by-docker'])
  t.equal(d.code, 0, d.stderr)
  t.match(d.stdout, /^sha256:[0-9a-f]{64}\n$/)
})

t.test('commit of a container that changed nothing: an empty_layer step; bad input', async (t) => {
  await env.ok(['create', '--name', 'c2', BUSYBOX, 'true'])
  const r = await env.tocker(['commit', 'c2', 'me/empty'])
  t.equal(r.code, 0, r.stderr)
  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'me/empty']))
  const [base] = JSON.parse(await env.ok(['image', 'inspect', BUSYBOX]))
  t.same(img.RootFS.Layers, base.RootFS.Layers, 'no new layer')
  const bad = await env.tocker(['commit', '-c', 'FROM busybox', 'c2'])
  t.equal(bad.code, 1)
  t.equal(bad.stderr.split('\n')[0], 'Error response from daemon: from is not a valid change command')
  const none = await env.tocker(['commit', 'nosuch'])
  t.equal(none.code, 1)
  t.equal(none.stderr.split('\n')[0], 'Error response from daemon: No such container: nosuch')
  await env.ok(['rm', 'c1', 'c2'])
})

t.test('cleanup', async () => {
  await cleanup()
})
