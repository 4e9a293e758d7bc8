// Clients across an engine restart: an `exec` whose engine is killed and started again reports the
// process's real exit code (not "No such exec instance"); a `run` whose start answer is lost (the
// connection cut right after the engine started the container, with or without an engine restart)
// reports the container it started, not a failure; an engine killed between releasing a
// container's first process and recording it finds it running at its next start.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn } = await import('node:child_process')
const { readFileSync, rmSync, writeFileSync } = await import('node:fs')
const { createConnection, createServer } = await import('node:net')
const { join } = await import('node:path')
const { setTimeout: sleep } = await import('node:timers/promises')
const { engineTestBed, until, TOCKER_BIN } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
await env.ok(['pull', BUSYBOX])
await env.ok(['run', '-d', '--name', 'idle', BUSYBOX, 'sleep', '1000'])

/** A CLI command in the background: its output so far, and its end. */
function background(args: string[], host?: string) {
  const child = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, ...(host ? ['-H', `unix://${host}`] : []), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TOCKER_NO_AUTOSTART: '1' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr })))
  return { child, done, stdout: () => stdout }
}

async function restartEngine(downMs: number): Promise<void> {
  await env.stopEngine('SIGKILL')
  await sleep(downMs)
  await env.startEngine()
}

t.test('exec: the engine is killed and restarted while the process runs: its real exit code', async (t) => {
  const exec = background(['exec', 'idle', 'sh', '-c', 'echo before; sleep 2; exit 7'])
  await until(() => exec.stdout().includes('before'), 'the exec to run')
  await restartEngine(300)
  const r = await exec.done
  t.equal(r.code, 7, r.stderr)
  t.notMatch(r.stderr, /No such exec instance/)
  t.equal(r.stdout, 'before\n', 'what came before the restart')
})

t.test('exec: the process ends while no engine runs: the next engine knows its exit code', async (t) => {
  const exec = background(['exec', 'idle', 'sh', '-c', 'echo go; sleep 0.5; exit 5'])
  await until(() => exec.stdout().includes('go'), 'the exec to run')
  await env.stopEngine('SIGKILL')
  await sleep(1500) // it ends meanwhile; its shim records the status
  await env.startEngine()
  const r = await exec.done
  t.equal(r.code, 5, r.stderr)
})

/**
 * A proxy in front of the engine's socket that loses the answer to POST …/start (it reaches the
 * engine, which starts the container; the client's connection is cut instead of answered).
 * `onStart` runs when the engine's answer arrives, before the cut.
 */
async function startAnswerLost(onStart: () => Promise<void> = async () => {}) {
  const path = join(env.root, 'proxy.sock')
  rmSync(path, { force: true })
  let cut = 0
  const server = createServer((client) => {
    const engine = createConnection(env.socket)
    let startPending = false
    client.on('data', (d: Buffer) => {
      if (/^POST \S*\/containers\/[^/\s]+\/start[ ?]/.test(d.toString('latin1'))) startPending = true
      engine.write(d)
    })
    engine.on('data', (d: Buffer) => {
      if (!startPending) return void client.write(d)
      startPending = false
      cut++
      void onStart().finally(() => client.destroy())
    })
    client.on('close', () => engine.destroy())
    engine.on('close', () => client.destroy())
    client.on('error', () => {})
    engine.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(path, r))
  return { path, cuts: () => cut, close: () => new Promise<void>((r) => server.close(() => r())) }
}

const state = async (name: string) => JSON.parse(await env.ok(['inspect', '--format', '{{json .State}}', name]))

t.test('run -d whose start answer is lost: the container it started, exit 0', async (t) => {
  const proxy = await startAnswerLost()
  try {
    const r = await background(['run', '-d', '--name', 'lost-d', BUSYBOX, 'sleep', '1000'], proxy.path).done
    t.equal(proxy.cuts(), 1, 'the answer was cut')
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^[0-9a-f]{64}\n$/)
    t.equal((await state('lost-d')).Running, true)
    t.equal((await state('lost-d')).RestartCount ?? 0, 0)
  } finally {
    await proxy.close()
  }
})

t.test('run (attached) whose start answer is lost: its output and exit code', async (t) => {
  const proxy = await startAnswerLost()
  try {
    const r = await background(['run', '--name', 'lost-a', BUSYBOX, 'sh', '-c', 'sleep 0.5; echo hello; exit 3'], proxy.path).done
    t.equal(proxy.cuts(), 1)
    t.equal(r.code, 3, r.stderr)
    t.equal(r.stdout, 'hello\n')
    t.match(await env.ok(['ps', '-a', '--filter', 'name=lost-a', '--format', '{{.Status}}']), /^Exited \(3\)/)
  } finally {
    await proxy.close()
  }
})

t.test('run -d whose start answer is lost because the engine was killed: asked again once it is back', async (t) => {
  const proxy = await startAnswerLost(async () => {
    await env.stopEngine('SIGKILL')
    setTimeout(() => void env.startEngine(), 500)
  })
  try {
    const r = await background(['run', '-d', '--name', 'lost-k', BUSYBOX, 'sleep', '1000'], proxy.path).done
    t.equal(r.code, 0, r.stderr)
    await until(async () => (await env.tocker(['ps', '-q'])).code === 0, 'the engine back')
    t.equal((await state('lost-k')).Running, true)
  } finally {
    await proxy.close()
  }
})

t.test('an engine killed after releasing the first process, before recording it: found running', async (t) => {
  const id = (await env.ok(['run', '-d', '--name', 'unrecorded', BUSYBOX, 'sleep', '1000'])).trim()
  await env.stopEngine('SIGKILL')
  // What the record says when the engine dies between runtime.begin() and recording the start.
  const file = join(env.root, 'containers', id, 'container.json')
  const rec = JSON.parse(readFileSync(file, 'utf8'))
  rec.State = { ...rec.State, Status: 'created', Running: false, Pid: 0, StartedAt: '0001-01-01T00:00:00Z' }
  writeFileSync(file, JSON.stringify(rec))
  await env.startEngine()
  const st = await state('unrecorded')
  t.equal(st.Running, true, 'running, not killed')
  t.equal(st.Pid, rec.Init.pid)
  t.not(st.StartedAt, '0001-01-01T00:00:00Z')
  await env.ok(['kill', 'unrecorded'])
  t.match(await env.ok(['ps', '-a', '--filter', 'name=unrecorded', '--format', '{{.Status}}']), /^Exited \(137\)/)
})

t.test('cleanup', async () => {
  await cleanup()
})
