// Images of many layers run: 125 layers (Docker's build-time maximum) in one overlay mount, through
// the store's short links (layers/l/, as Docker's overlay2), which rmi removes with their layers.
// A store made before the links existed (no l/ directory) still runs its images.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { existsSync, readdirSync, readlinkSync, rmSync, symlinkSync } = await import('node:fs')
const { join } = await import('node:path')
const { engineTestBed } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['layers-125'])
t.teardown(cleanup)
const IMAGE = ref('layers-125')
const links = join(env.root, 'layers', 'l')
const layerDirs = () => readdirSync(join(env.root, 'layers')).filter((n) => /^[a-f0-9]{64}$/.test(n))
await env.ok(['pull', IMAGE])

// What the container sees: the bottom layer (busybox), every middle layer, the top layer's files,
// and the top layer winning where layers disagree (/order).
const PROBE = 'test -x /bin/busybox && echo bottom; ls /layers | wc -l; cat /order /top'
const EXPECTED = 'bottom\n123\n125\ntop\n'

t.test('a 125-layer image runs and sees its bottom and top layers', async (t) => {
  t.equal(layerDirs().length, 125)
  t.equal(readdirSync(links).length, 125, 'one short link per layer')
  const odd = readdirSync(links).filter((n) => !/^[A-Z2-7]{26}$/.test(n) || !/^\.\.\/[a-f0-9]{64}\/diff$/.test(readlinkSync(join(links, n))))
  t.same(odd, [], 'each is 26 base32 letters -> ../<hex>/diff')
  const r = await env.tocker(['--explain=full', 'run', '--rm', IMAGE, 'sh', '-c', PROBE])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, EXPECTED)
  const line = r.stderr.split('\n').find((l) => l.includes('"overlay"') && l.includes('lowerdir='))
  t.ok(line, 'the overlay mount is explained')
  // 125 image layers + the container's init layer (its mount points, since a968686) below upper/
  t.match(line!, /126 layers, relative to the cwd .*\/layers\/l\)/, 'it says the names are relative, and to what')
  t.ok(line!.length < 1000, `the line stays readable (${line!.length} characters)`)
  t.comment(line!)
  t.match(r.stderr, /\[engine\] \[syscall\] chdir\(".*\/layers\/l"\)/, 'the chdir is shown')
})

t.test('inspect shows the layer directories themselves, as Docker does', async (t) => {
  const id = (await env.ok(['create', IMAGE, 'true'])).trim()
  const lower = (await env.ok(['inspect', '--format', '{{.GraphDriver.Data.LowerDir}}', id])).trim().split(':')
  t.equal(lower.length, 125)
  t.match(lower[0], /\/layers\/[a-f0-9]{64}\/diff$/)
  await env.ok(['rm', id])
})

t.test('a store from before the short links: they are made when a container needs them', async (t) => {
  rmSync(links, { recursive: true })
  const r = await env.tocker(['run', '--rm', IMAGE, 'sh', '-c', PROBE])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, EXPECTED)
  t.equal(readdirSync(links).length, 125)
})

t.test('rmi removes the links with the layers, and links whose layer is gone', async (t) => {
  symlinkSync('../' + 'f'.repeat(64) + '/diff', join(links, 'AAAAAAAAAAAAAAAAAAAAAAAAAA')) // as left by a killed process
  await env.ok(['rmi', IMAGE])
  t.same(layerDirs(), [])
  t.same(existsSync(links) ? readdirSync(links) : [], [], 'no link left')
})

t.test('cleanup', async () => {
  await cleanup()
})
