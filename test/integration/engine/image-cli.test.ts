// tocker's CLI commands added on the engine's API: history, container prune, image prune (with
// Docker's confirmation question), system df. Against a real engine, real images pulled from a
// real registry. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdtempSync, readdirSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed, spawnTocker } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-image-cli-')
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
await env.ok(['pull', '-q', BUSYBOX])
await env.ok(['pull', '-q', HTTPD])
const lines = (s: string) => s.split('\n').filter(Boolean)

t.test("history: Docker's columns, the top step names the image", async (t) => {
  const id = JSON.parse(await env.ok(['image', 'inspect', BUSYBOX]))[0].Id as string
  const out = lines(await env.ok(['history', BUSYBOX]))
  t.match(out[0], /^IMAGE {10}CREATED {8}CREATED BY {5,}SIZE {6}COMMENT$/)
  t.match(out[1], new RegExp(`^${id.slice(7, 19)}   \\S.* ago   .+   \\d[\\d.]*[kM]?B`))
  t.ok(out.slice(2).every((l) => l.startsWith('<missing>')), 'older steps are <missing>')
  t.ok(out.every((l) => !l.includes('…') || l.split('   ')[2].length <= 45), 'CREATED BY is cut at 45 characters')
  t.equal(lines(await env.ok(['image', 'history', '-q', '--no-trunc', BUSYBOX]))[0], id)
  t.match(await env.ok(['history', '-H=false', '--format', '{{.Size}}', BUSYBOX]), /^\d+\n/, '-H=false: bytes')
  const none = await env.tocker(['history', 'nope'])
  t.same([none.code, none.stderr], [1, 'Error response from daemon: No such image: nope:latest\n'])
})

t.test('container prune: asks first; -f removes every stopped container, says what and how much', async (t) => {
  await env.ok(['run', '--name', 'done', BUSYBOX, 'sh', '-c', 'echo x > /file'])
  const live = (await env.ok(['run', '-d', '--name', 'live', BUSYBOX, 'sleep', '60'])).trim()
  const no = await env.tocker(['container', 'prune'], { input: 'n\n' })
  t.same([no.code, no.stdout], [0, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '])
  t.match(await env.ok(['ps', '-a']), /done/, 'answered no: nothing removed')
  const id = (await env.ok(['ps', '-aq', '--no-trunc', '--filter', 'name=done'])).trim()
  const yes = await env.tocker(['container', 'prune'], { input: 'y\n' })
  t.equal(yes.code, 0, yes.stderr)
  t.match(yes.stdout, `Deleted Containers:\n${id}\n\nTotal reclaimed space: 2B\n`, 'the 2 bytes of /file in its writable layer')
  t.same(lines(await env.ok(['ps', '-aq', '--no-trunc'])), [live], 'the running one stays')
  t.equal(await env.ok(['container', 'prune', '-f']), 'Total reclaimed space: 0B\n', 'nothing more to remove')
  await env.ok(['rm', '-f', 'live'])
})

t.test('system df: the TYPE/TOTAL/ACTIVE/SIZE/RECLAIMABLE table', async (t) => {
  await env.ok(['create', '--name', 'user', BUSYBOX, 'true'])
  const out = lines(await env.ok(['system', 'df']))
  t.match(out[0], /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE$/)
  t.match(out[1], /^Images {10}2 {9}1 {9}\S+MB +\S+ \(\d+%\)$/, 'two images, one used by a container')
  t.match(out[2], /^Containers {6}1 {9}0 {9}0B {8}0B$/)
  t.match(out[3], /^Local Volumes {3}0/)
  await env.ok(['rm', 'user'])
})

t.test('image prune: dangling only by default; -a takes every image no container uses', async (t) => {
  t.equal(await env.ok(['image', 'prune', '-f']), 'Total reclaimed space: 0B\n', 'nothing dangling')
  await env.ok(['create', '--name', 'keep', BUSYBOX, 'true'])
  const all = await env.tocker(['image', 'prune', '-a'], { input: 'y\n' })
  t.equal(all.code, 0, all.stderr)
  t.match(all.stdout, /^WARNING! This will remove all images without at least one container associated to them\.\nAre you sure you want to continue\? \[y\/N\] Deleted Images:\n/)
  t.match(all.stdout, `untagged: ${HTTPD}:latest\n`)
  t.match(all.stdout, /deleted: sha256:[0-9a-f]{64}\n/)
  t.match(all.stdout, /\n\nTotal reclaimed space: \d[\d.]*[kM]?B\n$/)
  t.same(lines(await env.ok(['images', '--format', '{{.Repository}}'])), [BUSYBOX], 'the image a container uses stays')
  await env.ok(['rm', 'keep'])
})

t.test('create pulls a missing image as run does, then creates', async (t) => {
  await env.ok(['rmi', BUSYBOX])
  const r = await env.tocker(['create', '--name', 'pulled-by-create', BUSYBOX, 'true'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, `Unable to find image '${BUSYBOX}:latest' locally`)
  t.match(r.stdout, /^[0-9a-f]{64}\n$/)
  t.match(await env.ok(['images', '--format', '{{.Repository}}']), BUSYBOX)
  const bad = await env.tocker(['create', '--name', 'pulled-by-create', BUSYBOX, 'true'])
  t.not(bad.code, 0, "a second container of that name: the engine's refusal, not a pull")
  t.notMatch(bad.stderr, 'Unable to find image')
  await env.ok(['rm', 'pulled-by-create'])
})

t.test('-H names another engine: every image command goes there, nothing to the local store', async (t) => {
  const local = mkdtempSync(join(tmpdir(), 'tocker-image-cli-local-'))
  t.teardown(() => rmSync(local, { recursive: true, force: true }))
  const viaH = (args: string[]) => spawnTocker(local, ['-H', `unix://${env.socket}`, ...args])
  await env.ok(['rmi', BUSYBOX])
  const run = await viaH(['run', '--rm', BUSYBOX, 'echo', 'remote'])
  t.same([run.code, run.stdout], [0, 'remote\n'], run.stderr)
  t.match(run.stderr, `Unable to find image '${BUSYBOX}:latest' locally`, "the engine's store lacked it: pulled there")
  t.match((await viaH(['images', '--format', '{{.Repository}}'])).stdout, BUSYBOX)
  t.equal((await viaH(['tag', BUSYBOX, 'remote:1'])).code, 0)
  t.match(await env.ok(['images', 'remote']), /remote +1 /, 'the tag is in the engine -H named')
  t.equal((await viaH(['rmi', 'remote:1'])).stdout, 'Untagged: remote:1\n')
  t.same(readdirSync(local), [], 'the --root of this CLI was never touched')
})

t.test('cleanup', async () => {
  await cleanup()
})
