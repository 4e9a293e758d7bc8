// The cgroup manager over a fake cgroup v2 filesystem (test/unit/fakes/cgroup-host.ts): Docker's
// flags become cgroup v2 file writes, the parent cgroup delegates the controllers, failures take
// back what was made, and the v1 guard holds. No root; real cgroup v2 limits (the kernel enforcing
// them) are tested in the VM tier (test/vm/cgroups.test.ts).
import t from 'tap'
import { createCgroup, createCgroupAt } from '../../../src/cgroups/index.js'
import { CgroupV2 } from '../../../src/cgroups/cgroup.js'
import { onTrace, type TraceEvent } from '../../../src/trace/trace.js'
import { FakeCgroupHost } from '../fakes/cgroup-host.js'

const MiB = 1024 * 1024

t.test('docker run --memory 64m --memory-swap 96m --cpus 1.5 --cpu-shares 512 --pids-limit 100: the writes, in order', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  const events: TraceEvent[] = []
  t.teardown(onTrace((e) => events.push(e)))
  const cg = createCgroup('c1', { memoryBytes: 64 * MiB, memorySwapBytes: 96 * MiB, cpus: 1.5, cpuShares: 512, pidsLimit: 100 })!
  t.equal(cg.path, `${fs.root}/tocker/c1`)
  t.same(fs.log, [
    'write cgroup.subtree_control +memory +cpu +pids', // the root delegates to /tocker …
    'mkdir tocker',
    'write tocker/cgroup.subtree_control +memory +cpu +pids', // … which delegates to the containers
    'mkdir tocker/c1',
    `write tocker/c1/memory.max ${64 * MiB}`,
    `write tocker/c1/memory.swap.max ${32 * MiB}`, // v2 limits swap alone: Docker's total minus memory
    'write tocker/c1/cpu.max 150000 100000',
    'write tocker/c1/cpu.weight 59',
    'write tocker/c1/pids.max 100',
  ])
  t.same(events.filter((e) => e.kind === 'cgroup').map((e) => e.op), fs.log.map((l) => l.split(' ')[0]), '--explain saw every mkdir and write the fake did')
  cg.addProcess(4242)
  t.equal(fs.file('tocker/c1/cgroup.procs'), '4242\n')
  t.same(cg.pids(), [4242])
})

t.test('a second container: the parent is ready, only its own cgroup and limits; --memory-swap -1 is unlimited swap', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  createCgroup('c1', { memoryBytes: 64 * MiB })
  fs.log.length = 0
  createCgroup('c2', { memoryBytes: 64 * MiB, memorySwapBytes: -1 })
  t.same(fs.log, ['mkdir tocker/c2', `write tocker/c2/memory.max ${64 * MiB}`, 'write tocker/c2/memory.swap.max max'])
})

t.test('without swap accounting memory.swap.max does not exist: memory alone is limited, as Docker does', async (t) => {
  const fs = new FakeCgroupHost({ swap: false }).install(t)
  createCgroup('c1', { memoryBytes: 64 * MiB, memorySwapBytes: 128 * MiB })
  t.notOk(fs.log.some((l) => l.includes('swap')))
})

t.test('a limit the kernel refuses: the error names the file and value, and the half-made cgroup is removed', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  fs.failOn((file) => file.endsWith('pids.max'), 'EINVAL')
  t.throws(() => createCgroup('c1', { memoryBytes: 64 * MiB, pidsLimit: 100 }), { message: `cannot set pids.max to 100 in ${fs.root}/tocker/c1: EINVAL: write '${fs.root}/tocker/c1/pids.max'` })
  t.equal(fs.log.at(-1), 'rmdir tocker/c1')
  t.notOk(fs.exists(`${fs.root}/tocker/c1`))
})

t.test("Docker's refusals come before anything is made", async (t) => {
  const fs = new FakeCgroupHost().install(t)
  t.throws(() => createCgroup('c1', { memoryBytes: 1024 }), /Minimum memory limit allowed is 6MB/)
  t.throws(() => createCgroup('c1', { memoryBytes: 64 * MiB, memorySwapBytes: 32 * MiB }), /Minimum memoryswap limit should be larger than memory limit/)
  t.same(fs.log, [])
})

t.test('an existing cgroup of that name is a conflict (409), left alone', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  createCgroup('c1', {})
  fs.log.length = 0
  t.throws(() => createCgroup('c1', {}), { message: `cgroup ${fs.root}/tocker/c1 already exists (a container with this id is running, or one was not cleaned up)`, status: 409 })
  t.same(fs.log, [])
})

t.test('a hybrid host (controllers held by v1): no limit → no cgroup, nothing made; a limit → why, and how to enable v2', async (t) => {
  const fs = new FakeCgroupHost({
    controllers: [],
    mountinfo: ['40 24 0:35 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory'],
  }).install(t)
  t.equal(createCgroup('c1', {}), undefined)
  t.throws(() => createCgroup('c1', { memoryBytes: 64 * MiB }), {
    code: 'ENOCGROUPV2',
    message: new RegExp(
      `^cannot apply --memory: limits need cgroup v2, but cgroup v2 is mounted at ${fs.root} without the memory, cpu, pids controllers: this host runs cgroup v1 and v2 side by side \\(hybrid mode\\) and its v1 hierarchies \\(/sys/fs/cgroup/memory\\) hold them`,
    ),
  })
  t.same(fs.log, [])
})

t.test('the v1 guard: a cgroupsPath that lands on a v1 hierarchy is refused before any write', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  fs.mkdir(`${fs.root}/v1`)
  fs.log.length = 0
  t.throws(() => createCgroupAt(fs.root, '/v1/ctr', {}), { code: 'ECGROUPGUARD', message: /it is on a cgroup v1 hierarchy; tocker only writes to cgroup v2/ })
  t.same(fs.log, [])
  t.throws(() => createCgroupAt(fs.root, '/a/../../etc', {}), /invalid cgroupsPath/)
})

t.test("runc's cgroupsPath: missing parents made, controllers delegated down the path, an existing leaf joined", async (t) => {
  const fs = new FakeCgroupHost().install(t)
  const a = createCgroupAt(fs.root, '/machine/pod1/ctr', { pidsLimit: 10 })
  t.ok(a.created)
  t.same(fs.log, [
    'write cgroup.subtree_control +pids',
    'mkdir machine',
    'write machine/cgroup.subtree_control +pids',
    'mkdir machine/pod1',
    'write machine/pod1/cgroup.subtree_control +pids',
    'mkdir machine/pod1/ctr',
    'write machine/pod1/ctr/pids.max 10',
  ])
  const b = createCgroupAt(fs.root, '/machine/pod1/ctr', {})
  t.notOk(b.created, 'joined, as runc does')
})

t.test('a parent that holds processes cannot delegate (no internal processes): said in words, with what to do', async (t) => {
  const fs = new FakeCgroupHost().install(t)
  fs.mkdir(`${fs.root}/busy`)
  fs.write(`${fs.root}/busy/cgroup.procs`, '77')
  t.throws(() => createCgroupAt(fs.root, '/busy/ctr', { pidsLimit: 5 }), { message: /^cannot enable the pids controller\(s\) in .*\/busy: that cgroup holds processes/, hint: /Run tocker from the host itself/ })
})

t.test('remove: with cgroup.kill one write empties the subtree; without it (before 5.14) each pid is killed; children first', async (t) => {
  for (const killFile of [true, false]) {
    await t.test(killFile ? 'cgroup.kill' : 'kill(2) per pid', async (t) => {
      const fs = new FakeCgroupHost({ killFile }).install(t)
      const cg = createCgroup('c1', {}) as CgroupV2
      cg.addProcess(101)
      fs.mkdir(`${cg.path}/inner`) // a cgroup the container made in its cgroup namespace
      fs.write(`${cg.path}/inner/cgroup.procs`, '102')
      fs.log.length = 0
      cg.remove()
      t.same(fs.log, [...(killFile ? ['write tocker/c1/cgroup.kill 1'] : ['kill 102 SIGKILL', 'kill 101 SIGKILL']), 'rmdir tocker/c1/inner', 'rmdir tocker/c1'])
      t.notOk(fs.exists(cg.path))
      cg.remove()
      t.equal(fs.log.length, killFile ? 3 : 4, 'idempotent')
    })
  }
})
