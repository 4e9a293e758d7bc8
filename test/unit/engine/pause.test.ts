// `docker commit --pause` without root: engine/pause.ts's whileFrozen over the cgroup manager's fake
// cgroupfs (test/unit/fakes/cgroup-host.ts), which also answers /proc/<pid>/cgroup from its
// cgroup.procs files as the kernel does. The real freezer: test/integration/engine/commit-options.
import t from 'tap'
import { createCgroup, freezerOf } from '../../../src/cgroups/index.js'
import { whileFrozen } from '../../../src/engine/pause.js'
import { onTrace, type TraceEvent } from '../../../src/trace/trace.js'
import { FakeCgroupHost } from '../fakes/cgroup-host.js'

const PID1 = 4242

t.test("the container's cgroup is frozen while fn runs, and thawed after, when fn fails too", async (t) => {
  const fs = new FakeCgroupHost().install(t)
  const notes: TraceEvent[] = []
  t.teardown(onTrace((e) => notes.push(e)))
  createCgroup('c1')!.addProcess(PID1)
  const seen = await whileFrozen(PID1, true, async () => fs.file('tocker/c1/cgroup.events'))
  t.match(seen, /^frozen 1$/m, 'frozen while fn ran')
  t.match(fs.file('tocker/c1/cgroup.events'), /^frozen 0$/m, 'thawed after')
  t.same(fs.log.filter((l) => l.includes('cgroup.freeze')), ['write tocker/c1/cgroup.freeze 1', 'write tocker/c1/cgroup.freeze 0'])
  t.match(notes.find((e) => e.kind === 'note'), { msg: { key: 'explain.note.commit.freeze', vars: { path: `${fs.root}/tocker/c1` } } }, '--explain says so')

  await t.rejects(whileFrozen(PID1, true, async () => Promise.reject(new Error('read failed'))), /read failed/)
  t.match(fs.file('tocker/c1/cgroup.events'), /^frozen 0$/m, 'thawed after a failure')
})

t.test('--pause=false, a stopped container, or no cgroup of its own: fn runs unfrozen, --explain says why', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  const notes: TraceEvent[] = []
  t.teardown(onTrace((e) => notes.push(e)))
  createCgroup('c1')!.addProcess(PID1)
  t.equal(await whileFrozen(PID1, false, async () => 'ran'), 'ran')
  t.equal(await whileFrozen(undefined, true, async () => 'ran'), 'ran')
  t.same(fs.log.filter((l) => l.includes('cgroup.freeze')), [], 'nothing frozen')
  t.same(freezerOf(7), { why: 'the container has no cgroup v2 of its own (it sits in the root cgroup)' })
  t.equal(await whileFrozen(7, true, async () => 'ran'), 'ran')
  t.match(notes.find((e) => e.kind === 'note'), { msg: { key: 'explain.note.commit.nofreeze' } })
})

t.test('a freeze that never takes effect is an error after 5 s, and the cgroup is thawed', { timeout: 30_000 }, async (t) => {
  const fs = new FakeCgroupHost().install(t)
  createCgroup('c1')!.addProcess(PID1)
  // A process that never stops (the kernel would say "frozen 0" for good): cgroup.events is left alone.
  const write = fs.write.bind(fs)
  fs.write = (path, value) => (path.endsWith('/cgroup.freeze') ? fs.log.push(`write ${fs.rel(path)} ${value}`) && undefined : write(path, value))
  let ran = false
  await t.rejects(
    whileFrozen(PID1, true, async () => (ran = true)),
    { code: 'ETIMEDOUT', message: /the processes did not freeze within 5 s/ },
  )
  t.notOk(ran, 'fn never ran on an unfrozen container')
  t.same(fs.log.filter((l) => l.includes('cgroup.freeze')), ['write tocker/c1/cgroup.freeze 1', 'write tocker/c1/cgroup.freeze 0'])
})

t.test("an unreadable /proc/<pid>/cgroup is an error naming the process, never 'no cgroup'", async (t) => {
  const fs = new FakeCgroupHost().install(t)
  fs.procCgroup = () => {
    throw Object.assign(new Error('ESRCH: no such process'), { code: 'ESRCH' })
  }
  t.throws(() => freezerOf(PID1), { code: 'ECGROUP', message: `cannot read the cgroup of process ${PID1}: ESRCH: no such process` })
})
