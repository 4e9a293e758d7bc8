// The network-namespace sandbox of the root tests (test/helpers/netns-sandbox.mjs) when tap times a
// file out: tap sends SIGALRM to the process it started (the copy outside the namespace) and
// SIGKILL 500 ms later. What the test inside started (its engine) must end with it, by the test's
// own 'exit' handler, instead of running on orphaned. A stand-in test starts a `sleep` as its
// "engine" and is timed out the way tap does it.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const helper = fileURLToPath(new URL('../helpers/netns-sandbox.mjs', import.meta.url))
/** tap, for the stand-in (a script in a temporary directory: no node_modules beside it). */
const tapUrl = import.meta.resolve('tap')

/** Running (a zombie left to whoever reaps orphans counts as ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

t.test("tap's timeout (SIGALRM, then SIGKILL): the test inside the sandbox ends and takes its engine with it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-sandbox-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const pidFile = join(dir, 'engine.pid')
  const script = join(dir, 'stand-in.test.mjs')
  writeFileSync(
    script,
    `import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from ${JSON.stringify(helper)}
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()
const { default: t } = await import(${JSON.stringify(tapUrl)})
const engine = spawn('sleep', ['120'], { stdio: 'ignore' })
process.on('exit', () => { try { process.kill(engine.pid, 'SIGKILL') } catch {} })
writeFileSync(${JSON.stringify(pidFile)}, String(engine.pid))
t.test('runs too long', () => new Promise((r) => setTimeout(r, 120_000)))
`,
  )
  const outer = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TAP_TIMEOUT: '0' } })
  let stderr = ''
  outer.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise((r) => outer.once('exit', r))
  for (let i = 0; i < 600 && !existsSync(pidFile); i++) await sleep(50)
  if (!existsSync(pidFile)) outer.kill('SIGKILL')
  t.ok(existsSync(pidFile), `the stand-in started its engine ${stderr}`)
  const enginePid = Number(readFileSync(pidFile, 'utf8'))
  t.ok(alive(enginePid), 'the stand-in engine runs')
  // As @tapjs/core's spawn.js does on a timeout.
  outer.kill('SIGALRM')
  await sleep(500)
  if (outer.exitCode === null && outer.signalCode === null) outer.kill('SIGKILL')
  await exited
  let gone = false
  for (let i = 0; i < 100 && !(gone = !alive(enginePid)); i++) await sleep(50)
  if (!gone) process.kill(enginePid, 'SIGKILL') // leave nothing behind, whatever the outcome
  t.ok(gone, `the engine was ended by PID when the test was timed out ${stderr}`)
})
