// whenEnded: a wait for processes that are not necessarily our children, woken by the kernel
// through pidfds (one poll(2) on libuv's pool for all of them) instead of looking again and again.
// Without root: child processes of this test stand for the shims.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import { processStartTime } from '../../../src/sys/proc-stat.js'
import { whenEnded } from '../../../src/sys/process-end.js'

function sleeper(t: Test, seconds: number): { child: ChildProcess; id: { pid: number; startTime: number } } {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' })
  t.teardown(() => void child.kill('SIGKILL'))
  const startTime = processStartTime(child.pid!)
  if (startTime === undefined) throw new Error('no start time')
  return { child, id: { pid: child.pid!, startTime } }
}

t.test('resolves once the process ends, not before', async (t) => {
  const { child, id } = sleeper(t, 30)
  let ended: boolean | string | undefined
  const waiting = whenEnded([id], 10_000).then((r) => (ended = r))
  await new Promise((r) => setTimeout(r, 200))
  t.equal(ended, undefined, 'still waiting while it runs')
  const killedAt = performance.now()
  child.kill('SIGKILL')
  t.equal(await waiting, true)
  t.ok(performance.now() - killedAt < 500, `woken when it ended (${(performance.now() - killedAt).toFixed(1)} ms)`)
})

t.test('a process already gone, or a PID that is now another process, counts as ended at once', async (t) => {
  const { id } = sleeper(t, 30)
  t.equal(await whenEnded([{ pid: id.pid, startTime: id.startTime + 1 }], 10_000), true, 'another start time: not ours')
  t.equal(await whenEnded([{ pid: 0, startTime: 0 }], 10_000), true)
})

t.test('false after the timeout, and the process can be waited for again', async (t) => {
  const { child, id } = sleeper(t, 30)
  t.equal(await whenEnded([id], 100), false)
  const again = whenEnded([id], 10_000)
  child.kill('SIGKILL')
  t.equal(await again, true)
})

t.test('many waits at once: each woken at its own end, and one pool thread at most (async fs goes on)', async (t) => {
  const kids = Array.from({ length: 6 }, () => sleeper(t, 30))
  const done: number[] = []
  const waits = kids.map((k, i) => whenEnded([k.id], 10_000).then((r) => (done.push(i), r)))
  await new Promise((r) => setTimeout(r, 100))
  // libuv's pool has 4 threads: a pool thread per wait would leave this read queued until the end.
  const readAt = performance.now()
  await readFile('/proc/self/stat')
  t.ok(performance.now() - readAt < 500, `an fs call is served while 6 waits are on (${(performance.now() - readAt).toFixed(1)} ms)`)
  kids[3]!.child.kill('SIGKILL')
  await waits[3]
  t.same(done, [3], 'only the one that ended')
  // A wait added now (while a poll(2) is under way) is woken too.
  const late = sleeper(t, 30)
  const lateWait = whenEnded([late.id], 10_000)
  late.child.kill('SIGKILL')
  t.equal(await lateWait, true)
  for (const k of kids) k.child.kill('SIGKILL')
  t.same(await Promise.all(waits), [true, true, true, true, true, true])
})
