// Restart safety: the engine is killed with SIGKILL while containers run. Their shims keep them
// running and keep writing their logs; the next engine re-adopts them (ps, logs, exec, stop work),
// and one that exited meanwhile shows its real exit code. No log line is lost.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { readFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { setTimeout: sleep } = await import('node:timers/promises')
const { engineTestBed, processesOf, until } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const BUSYBOX = ref('busybox')
// The last subtest cleans up (awaited in order); the teardown is for a file that fails half-way.
t.teardown(cleanup)
await env.ok(['pull', BUSYBOX])

const lines = (s: string) => s.split('\n').filter(Boolean)
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('kill -9 the engine: containers keep running, logs keep being written, exits are recorded', async (t) => {
  const counter = 'i=0; while true; do echo "n $i"; i=$((i+1)); sleep 0.05; done'
  await env.ok(['run', '-d', '--name', 'counter', BUSYBOX, 'sh', '-c', counter])
  await env.ok(['run', '-d', '--name', 'quitter', BUSYBOX, 'sh', '-c', 'sleep 2; echo bye; exit 7'])
  await env.ok(['run', '-d', '--name', 'idle', BUSYBOX, 'sleep', '1000'])
  const pids = JSON.parse(await env.ok(['inspect', '--format', '{{json .State.Pid}}', 'counter']))
  await env.stopEngine('SIGKILL')
  t.ok(alive(pids), 'the container outlived its engine')
  const down = await env.tocker(['ps'], { env: { TOCKER_NO_AUTOSTART: '1' } })
  t.equal(down.code, 1, 'no engine answers meanwhile')
  await sleep(3000) // quitter exits while no engine runs
  await env.startEngine()
  const ps = await env.ok(['ps', '-a', '--format', '{{.Names}}|{{.Status}}'])
  t.match(ps, /counter\|Up /)
  t.match(ps, /idle\|Up /)
  t.match(ps, /quitter\|Exited \(7\) /, 'the exit code the shim recorded while the engine was down')
  t.equal(await env.ok(['logs', 'quitter']), 'bye\n')
  t.equal(await env.ok(['exec', 'idle', 'echo', 'still here']), 'still here\n', 'exec into a re-adopted container')
  t.equal(await env.ok(['stop', '-t', '1', 'counter']), 'counter\n', 'stop a re-adopted container')
  const nums = lines(await env.ok(['logs', 'counter'])).map((l) => Number(l.split(' ')[1]))
  t.ok(nums.length > 60, `${nums.length} lines, including the ones written while the engine was down`)
  t.same(nums, nums.map((_, i) => i), 'no line lost or repeated')
  t.equal(await env.ok(['wait', 'quitter']), '7\n')
})

t.test('a container whose shim vanished (as after a reboot) shows as exited', async (t) => {
  const rec = JSON.parse(readFileSync(join(env.root, 'containers', (await env.ok(['ps', '-q', '--no-trunc', '--filter', 'name=idle'])).trim(), 'container.json'), 'utf8'))
  await env.stopEngine('SIGKILL')
  process.kill(rec.Shim.pid, 'SIGKILL')
  process.kill(rec.Init.pid, 'SIGKILL')
  await sleep(200)
  await env.startEngine()
  t.match(await env.ok(['ps', '-a', '--format', '{{.Names}}|{{.Status}}']), /idle\|Exited \((137|255)\)/)
})

t.test('kill -9 the engine while records are written: every container a client was told of is there, none torn', async (t) => {
  // Records are written off the engine's main thread (container-table.ts); a start is answered
  // only once its record is on disk. Two clients run containers one after the other; the engine
  // is killed at a moment nobody chose, with writes under way.
  const noAutostart = { env: { TOCKER_NO_AUTOSTART: '1' } }
  const told: string[] = []
  let killed = false
  const client = async (k: number) => {
    for (let i = 0; i < 20 && !killed; i++) {
      const name = `crash-${k}-${i}`
      const r = await env.tocker(['run', '-d', '--name', name, BUSYBOX, 'sleep', '1000'], noAutostart)
      if (r.code === 0 && !killed) told.push(name)
    }
  }
  const clients = [client(0), client(1)]
  await until(() => told.length >= 3, 'three containers started', 60_000)
  await sleep(Math.floor(Math.random() * 150))
  await env.stopEngine('SIGKILL')
  killed = true
  await Promise.all(clients) // the ones after the kill fail: no engine answers
  const dir = join(env.root, 'containers')
  const { readdirSync, existsSync } = await import('node:fs')
  let records = 0
  for (const id of readdirSync(dir).filter((d) => /^[0-9a-f]{64}$/.test(d))) {
    const file = join(dir, id, 'container.json')
    if (!existsSync(file)) continue // a create killed before its first record: the engine sweeps it
    t.doesNotThrow(() => JSON.parse(readFileSync(file, 'utf8')), `${id.slice(0, 12)}: the record is whole`)
    records++
  }
  t.ok(records >= told.length, `${records} records, ${told.length} containers started`)
  await env.startEngine()
  const ps = await env.ok(['ps', '-a', '--format', '{{.Names}}|{{.Status}}'])
  for (const name of told) t.match(ps, new RegExp(`^${name}\\|Up `, 'm'), `${name}, whose start was answered, runs`)
  const crashed = lines(await env.ok(['ps', '-aq', '--filter', 'name=crash-']))
  if (crashed.length) await env.ok(['rm', '-f', ...crashed])
  // Nothing else runs now: a start killed between the runtime's create and its record left a
  // gate waiting, which the restarted engine ended (adoption.ts).
  t.same(processesOf(env.root).filter((pid) => pid !== env.engine?.pid), [], 'no shim or gate left but the engine')
})

t.test('with no engine answering, the CLI starts one in the background and says so once', async (t) => {
  const { mkdtempSync, rmSync, existsSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { spawnTocker } = await import('./harness.js')
  const root = mkdtempSync(join(tmpdir(), 'tocker-autostart-'))
  try {
    const first = await spawnTocker(root, ['ps'], { env: { TOCKER_NO_AUTOSTART: '0' } })
    t.equal(first.code, 0, first.stderr)
    const pid = Number(readFileSync(join(root, 'tockerd.pid'), 'utf8'))
    t.equal(first.stderr, `Starting the tocker engine in the background: tockerd pid ${pid}, store ${root}, log ${join(root, 'tockerd.log')}\n`, 'says which engine it started, where')
    t.match(first.stdout, /^CONTAINER ID/)
    t.ok(existsSync(join(root, 'tocker.sock')) && existsSync(join(root, 'tockerd.pid')))
    const second = await spawnTocker(root, ['ps', '-q'], { env: { TOCKER_NO_AUTOSTART: '0' } })
    t.same([second.code, second.stderr], [0, ''], 'the second command finds it running')
  } finally {
    const pid = Number(readFileSync(join(root, 'tockerd.pid'), 'utf8'))
    if (pid) process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 100 && processesOf(root).length; i++) await sleep(50)
    rmSync(root, { recursive: true, force: true })
  }
})

t.test('cleanup: no process of this store is left', async (t) => {
  await cleanup()
  t.same(processesOf(env.root), [])
})
