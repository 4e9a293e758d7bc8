// `tocker export` and `tocker import` through a real engine: a container's file system (its image's
// layers and what it changed, a deleted file stays deleted, its volumes left out) as one tar that
// tar and umoci-free readers list; imported back as a one-layer image (Docker's "Imported from -"
// history, -c and -m), which runs and holds the same files. gzip'd tars import too; Docker's CLI
// exports and imports through tockerd. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdtempSync, rmSync, statSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { dockerCli, engineTestBed, tockerShell } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const work = mkdtempSync(join(tmpdir(), 'tocker-export-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const docker = dockerCli(env.socket, join(work, 'docker-config'))

/** A shell pipeline with $TOCKER meaning this engine's CLI. */
const sh = (script: string) => tockerShell(env, script)

const tarFile = join(work, 'c1.tar')

t.test('export: the merged file system as one tar (changes in, deleted files out, volumes out)', async (t) => {
  await env.ok(['run', '-d', '--name', 'c1', '-v', '/vol', BUSYBOX, 'sh', '-c', 'echo exported > /hello.txt && rm /etc/group && echo in-volume > /vol/v.txt && sleep 600'])
  await env.ok(['exec', 'c1', 'sh', '-c', 'test -e /vol/v.txt'])
  const r = await env.tocker(['export', '-o', tarFile, 'c1'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, '')
  const list = await sh(`tar -tf ${tarFile}`)
  t.equal(list.code, 0, list.stderr)
  const names = list.stdout.split('\n')
  t.ok(names.includes('hello.txt'), "the container's new file")
  t.ok(names.includes('bin/busybox') || names.includes('bin/sh'), "the image's files")
  t.notOk(names.includes('etc/group'), 'a deleted file is not there')
  t.ok(names.includes('etc/passwd'))
  t.notOk(names.includes('vol/v.txt'), 'the volume is not exported')
  t.notOk(names.some((n) => n.startsWith('/') || n.startsWith('./')), 'names as Docker writes them ("bin/sh")')
  t.equal((await sh(`tar -xOf ${tarFile} hello.txt`)).stdout, 'exported\n')
  const stdout = await sh(`$TOCKER export c1 | tar -tf - | wc -l`)
  t.equal(stdout.stdout.trim(), String(names.filter(Boolean).length), 'to stdout: the same entries')
  const tty = await env.tocker(['export', 'nosuch'])
  t.equal(tty.code, 1)
  t.equal(tty.stderr, 'Error response from daemon: No such container: nosuch\n')
})

let imported = ''
t.test('import: the tar as a one-layer image that runs with the same files', async (t) => {
  const r = await env.tocker(['import', '-c', 'CMD ["cat", "/hello.txt"]', '-c', 'ENV FROM_IMPORT=yes', '-m', 'from c1', tarFile, 'me/imported:1'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/, "Docker's output: the image ID")
  imported = r.stdout.trim()
  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'me/imported:1']))
  t.equal(img.Id, imported)
  t.equal(img.RootFS.Layers.length, 1, 'one layer')
  t.same(img.Config.Cmd, ['cat', '/hello.txt'])
  t.ok(img.Config.Env.includes('FROM_IMPORT=yes'))
  t.equal(img.Comment, 'from c1')
  t.equal(await env.ok(['run', '--rm', 'me/imported:1']), 'exported\n')
  t.equal(await env.ok(['run', '--rm', 'me/imported:1', 'sh', '-c', 'test -e /etc/group || echo no-group; echo $FROM_IMPORT']), 'no-group\nyes\n')
  const hist = await env.ok(['history', '--format', '{{.Comment}}', 'me/imported:1'])
  t.equal(hist, 'from c1\n')
  const plain = await sh(`gzip -c ${tarFile} | $TOCKER import - me/gz`)
  t.equal(plain.code, 0, plain.stderr)
  t.equal(await env.ok(['history', '--format', '{{.Comment}}', 'me/gz']), 'Imported from -\n', "Docker's default comment")
  t.equal(await env.ok(['run', '--rm', 'me/gz', 'cat', '/hello.txt']), 'exported\n', 'a gzip tar imports too')
  const bad = await sh(`echo not-a-tar | $TOCKER import - me/bad`)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^Error response from daemon: /)
  const badChange = await env.tocker(['import', '-c', 'FROM x', tarFile])
  t.equal(badChange.stderr.split('\n')[0], 'Error response from daemon: from is not a valid change command')
  const none = await env.tocker(['import', join(work, 'nosuch.tar')])
  t.equal(none.code, 1)
  t.equal(none.stderr, `open ${join(work, 'nosuch.tar')}: no such file or directory\n`)
})

t.test("Docker's CLI exports and imports through tockerd", async (t) => {
  const out = join(work, 'docker.tar')
  const r = await docker(['export', '-o', out, 'c1'])
  t.equal(r.code, 0, r.stderr)
  t.equal(statSync(out).size, statSync(tarFile).size, 'the same archive size as tocker export')
  const i = await docker(['import', '-m', 'by docker', out, 'me/docker-imported'])
  t.equal(i.code, 0, i.stderr)
  t.match(i.stdout, /^sha256:[0-9a-f]{64}\n$/)
  t.equal(await env.ok(['run', '--rm', 'me/docker-imported', 'cat', '/hello.txt']), 'exported\n')
})

t.test('cleanup', async () => {
  await env.ok(['rm', '-f', '-v', 'c1'])
})
