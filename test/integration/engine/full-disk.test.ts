// A full disk: the store (and the runtime's state, under <root>/runtime) on a small tmpfs the test
// mounts in its private mount namespace and fills. The exit status of a killed container must
// survive it (137, not "255 … exit status unknown"), also across an engine restart; a run refused
// for lack of space leaves nothing behind in containers/ (no .tmp file, no half-made directory).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { existsSync, readdirSync, rmSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { tockerEnv, processesOf } = await import('./harness.js')
const { startRegistry } = await import('../../helpers/registry.js')
const { pushFixture } = await import('../../helpers/fixtures.js')
const { mountSmallDisk } = await import('../../helpers/small-disk.js')

const registry = await startRegistry()
await pushFixture(registry.addr, 'busybox', 'library/busybox:latest')
const BUSYBOX = `${registry.addr}/library/busybox`
const env = await tockerEnv('tocker-fulldisk-')
// Only this process's mount namespace (the sandbox's) sees the tmpfs: it goes with the test.
const disk = mountSmallDisk(env.root, '24m', 'tocker-fulldisk')
let cleaned = false
const cleanup = async () => {
  if (cleaned) return
  cleaned = true
  disk.free()
  try {
    if (env.engine) {
      const ids = (await env.tocker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)
      if (ids.length) await env.tocker(['rm', '-f', ...ids])
    }
  } finally {
    await env.stopEngine()
    for (const pid of processesOf(env.root)) process.kill(pid, 'SIGKILL')
    disk.unmount()
    await env.cleanup()
    await registry.stop()
  }
}
t.teardown(cleanup)
await env.startEngine()
await env.ok(['pull', BUSYBOX])

const fillDisk = () => disk.fill()
const freeDisk = () => disk.free()
const status = async (name: string) => (await env.ok(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}'])).trim()
const state = async (name: string) => JSON.parse(await env.ok(['inspect', '--format', '{{json .State}}', name]))

/** Every file or directory in containers/ that is not a container's own (record, files, log, rootfs…). */
function strays(): string[] {
  const dir = join(env.root, 'containers')
  const out: string[] = []
  for (const id of readdirSync(dir)) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue
    if (!existsSync(join(dir, id, 'container.json'))) out.push(`${id}/ (no container.json)`)
    else for (const f of readdirSync(join(dir, id))) if (/tmp/.test(f)) out.push(`${id}/${f}`)
  }
  return out
}

t.test('kill and stop on a full disk record 137, and it survives an engine restart', async (t) => {
  await env.ok(['run', '-d', '--name', 'killed', BUSYBOX, 'sleep', '1000'])
  await env.ok(['run', '-d', '--name', 'stopped', BUSYBOX, 'sleep', '1000'])
  fillDisk()
  try {
    await env.ok(['kill', 'killed'])
    await env.ok(['stop', '-t', '1', 'stopped'])
    t.match(await status('killed'), /^Exited \(137\)/)
    t.match(await status('stopped'), /^Exited \(137\)/)
    t.equal((await state('killed')).Error, '', 'no "exit status unknown"')
    await env.stopEngine()
    await env.startEngine()
    t.match(await status('killed'), /^Exited \(137\)/, 'after a restart with the disk still full')
    t.match(await status('stopped'), /^Exited \(137\)/)
  } finally {
    freeDisk()
  }
  await env.stopEngine()
  await env.startEngine()
  t.match(await status('killed'), /^Exited \(137\)/, 'after a restart with space again')
  t.equal((await state('killed')).ExitCode, 137)
  await env.ok(['rm', 'killed', 'stopped'])
})

t.test('run refused for lack of space leaves nothing in containers/', async (t) => {
  const before = readdirSync(join(env.root, 'containers')).length
  fillDisk()
  try {
    for (let i = 0; i < 3; i++) {
      const r = await env.tocker(['run', '-d', BUSYBOX, 'true'])
      t.not(r.code, 0, 'refused')
      t.match(r.stderr, /no space left on device/i)
      if (i === 0) t.comment(r.stderr.trim())
    }
    t.same(strays(), [])
    t.equal(readdirSync(join(env.root, 'containers')).length, before, 'no half-made container')
    t.equal(await env.ok(['ps', '-aq']), '', 'ps -a shows none either')
  } finally {
    freeDisk()
  }
})

t.test('the engine removes leftovers of writes cut short before it started', async (t) => {
  const id = (await env.ok(['create', BUSYBOX, 'true'])).trim()
  await env.stopEngine('SIGKILL')
  const dir = join(env.root, 'containers')
  writeFileSync(join(dir, id, 'container.json.tmp-12345'), '{"Id":')
  writeFileSync(join(dir, id, `.container.json.12345.0badc0de.tmp`), '{"Id":')
  const half = 'e'.repeat(64)
  writeFileSync(join(dir, half + '-not-a-container'), '')
  execFileSync('mkdir', ['-p', join(dir, half)])
  writeFileSync(join(dir, half, 'container.json.tmp-999'), '{')
  await env.startEngine()
  t.same(strays(), [], 'temporary files and a directory without a record are gone')
  t.ok(existsSync(join(dir, half + '-not-a-container')), 'what is not a container directory is left alone')
  rmSync(join(dir, half + '-not-a-container'))
  t.equal((await env.ok(['ps', '-aq', '--no-trunc'])).trim(), id, 'the real container stays')
  await env.ok(['rm', id])
})

t.test('cleanup', async () => {
  await cleanup()
})
