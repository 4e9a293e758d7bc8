// Removing a container's state directory while an exec's shim is still writing its status into
// execs/ (deleteStateDir): the removal waits for the shim and then removes everything. The shim is
// played by flock(1) holding the same shared lock the runtime gives every exec shim, writing
// status files for a bounded time, as a shim does when the kill reaches its process.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { deleteStateDir, execStatusDir, stateDir } from '../../../src/runtime/state.js'

const ID = 'c0ffee'

function stateRoot(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'tocker-state-removal-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  // Many entries: the walk takes long enough for the writer to land files behind it.
  mkdirSync(execStatusDir(root, ID), { recursive: true })
  for (let i = 0; i < 3000; i++) writeFileSync(join(execStatusDir(root, ID), `old${i}.json`), '{}')
  writeFileSync(join(stateDir(root, ID), 'state.json'), '{}')
  return root
}

/** A stand-in exec shim: holds a shared flock on execs/ while it writes `files` statuses (tmp + rename). */
async function writingShim(t: Test, execs: string, files: number): Promise<{ exited: Promise<number | null> }> {
  const ready = join(execs, '..', 'ready')
  const script = `: > ${ready}; i=0; while [ $i -lt ${files} ]; do echo '{}' > ${execs}/s$i.json.tmp 2>/dev/null && mv ${execs}/s$i.json.tmp ${execs}/s$i.json 2>/dev/null; i=$((i+1)); done`
  const child = spawn('flock', ['-s', execs, 'sh', '-c', script], { stdio: 'ignore' })
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  for (let i = 0; i < 500 && !existsSync(ready); i++) await sleep(10)
  t.ok(existsSync(ready), 'the stand-in shim holds the lock and writes')
  return { exited }
}

t.test('a removal while an exec shim writes its status: it waits for the shim, then nothing is left', async (t) => {
  const root = stateRoot(t)
  const { exited } = await writingShim(t, execStatusDir(root, ID), 80)
  await deleteStateDir(root, ID)
  t.notOk(existsSync(stateDir(root, ID)), 'the state directory is gone')
  t.equal(await Promise.race([exited, sleep(5000).then(() => 'still running')]), 0, 'the shim had finished before the removal began')
})

t.test('no execs/ (no exec ever ran): removed at once', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-state-removal-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(stateDir(root, ID), { recursive: true })
  await deleteStateDir(root, ID)
  t.notOk(existsSync(stateDir(root, ID)))
  await deleteStateDir(root, ID) // already gone: nothing to do
})

t.test('a shim that never lets go: an error after the bound, and the directory stays for a later try', async (t) => {
  const root = stateRoot(t)
  const execs = execStatusDir(root, ID)
  const child = spawn('flock', ['-s', execs, 'sleep', '30'], { stdio: 'ignore' })
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')))
  for (let i = 0; i < 200; i++) {
    // flock(1) has the lock once a non-blocking exclusive attempt fails.
    const probe = spawn('flock', ['-xn', execs, 'true'])
    if ((await new Promise((r) => probe.once('exit', r))) !== 0) break
    await sleep(10)
  }
  await t.rejects(deleteStateDir(root, ID, 300), /an exec's shim did not exit/)
  t.ok(existsSync(stateDir(root, ID)), 'nothing was removed')
})
