// createContainer's sequencing without root and without the C shim: the kernel calls through the
// recording fake of the syscall seam (fakes/syscalls.ts) and what create asks of the shim and its
// gate through the recording fake of the create channel (fakes/shim.ts), on one timeline. The same
// create against the real kernel and shim: test/integration/runtime/ (root).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createContainer } from '../../../src/runtime/container.js'
import { defaultSpec } from '../../../src/runtime/default-spec.js'
import type { Spec } from '../../../src/runtime/spec.js'
import { FAKE_GATE_PID, FAKE_SHIM_PID, FakeCreateShim } from '../fakes/shim.js'
import { FakeSyscalls } from '../fakes/syscalls.js'

const IGNORE = { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } as const

function setUp(t: Test, edit: (s: Spec) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-create-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bundle = join(dir, 'bundle')
  const rootfs = join(bundle, 'rootfs')
  mkdirSync(rootfs, { recursive: true })
  const spec = defaultSpec(['/bin/true'])
  edit(spec)
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec))
  const sys = new FakeSyscalls().install(t)
  const shim = new FakeCreateShim(sys).install(t)
  return { bundle, rootfs, stateRoot: join(dir, 'state'), sys, shim }
}

/** The index of the first timeline line matching `re` (fails the test when there is none). */
function at(t: { fail(m: string): void }, lines: string[], re: RegExp): number {
  const i = lines.findIndex((l) => re.test(l))
  if (i < 0) t.fail(`no line matches ${re}`)
  return i
}

t.test("create: namespaces, the shim, the rootfs, the gate's mounts, devices, pivot_root, home again, in that order", async (t) => {
  const { bundle, rootfs, stateRoot, shim } = setUp(t)
  let savedBefore: boolean | undefined
  shim.onStateSaved = () => (savedBefore = existsSync(join(stateRoot, 'u1', 'state.json')))
  const c = await createContainer({ id: 'u1', bundle, stateRoot, cgroupsDisabled: true, stdio: IGNORE })
  t.teardown(() => c.detach())
  const lines = shim.timeline()
  const order = [
    /^unshare CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWNET$/, // the main thread into new namespaces
    /^shim: spawn create$/, // PID 1 started early, to get going on the other CPU meanwhile
    /^mount - \/ - MS_REC\|MS_PRIVATE$/, // nothing we mount propagates to the host
    /^sethostname tocker$/,
    new RegExp(`^mount ${rootfs} ${rootfs} - MS_BIND\\|MS_REC$`), // the root bound on itself
    /^shim: gate: mount proc \S+ proc MS_NOSUID\|MS_NODEV\|MS_NOEXEC$/, // /proc by the gate, inside the new PID namespace
    new RegExp(`^mount tmpfs ${rootfs}/dev tmpfs `),
    /^shim: pids$/, // the gate's pid, before it may join anything
    /^shim: gate: cgroup namespace new$/, // its cgroup namespace before it mounts cgroup2
    /^shim: gate: mount cgroup \S+ cgroup2 /,
    new RegExp(`^mknod ${rootfs}/dev/null 020666 1:3$`),
    /^shim: pids, ready$/,
    /^pivotRoot \. \.$/,
    /^umount2 \. MNT_DETACH$/, // the host's root detached
    /^shim: spec later$/, // the process spec goes to the gate …
    /^setns \d+ CLONE_NEWNS$/, // … while the thread goes home (the mount namespace last)
    /^shim: state saved$/, // state.json is written: from now on the gate may outlive us
  ]
  const where = order.map((re) => at(t, lines, re))
  t.same(where, [...where].sort((a, b) => a - b), `in this order:\n${lines.join('\n')}`)
  t.equal(lines[at(t, lines, /^shim: pids, ready$/) + 1], 'shim: flush', "the gate's mounts are done before the masks and pivot_root")
  t.equal(lines[at(t, lines, /^shim: gate: mount proc /) + 1], 'shim: flush', '/proc is there before /dev is mounted beside it')
  t.same(lines.slice(-2), ['shim: state saved', 'shim: flush'], "a checked create ends reading the gate's answer")
  t.equal(savedBefore, true, 'the gate hears "saved" only once state.json is on disk (before, a creator that dies takes the gate with it)')
  t.same(shim.args, ['create', '--state-dir', join(stateRoot, 'u1')], 'a new PID namespace: no --pidns')
  const st = JSON.parse(readFileSync(join(stateRoot, 'u1', 'state.json'), 'utf8'))
  t.match(st, { id: 'u1', pid: FAKE_GATE_PID, shimPid: FAKE_SHIM_PID, bundle, rootfs })

  writeFileSync(join(stateRoot, 'u1', 'start.sock'), '') // the gate binds it; start goes by the channel instead
  await c.start()
  t.same(shim.log.slice(-2).map((e) => e.what), ['go', 'close'])
  t.notOk(existsSync(join(stateRoot, 'u1', 'start.sock')), 'start.sock is not needed any more')
})

t.test('a failed mount: nothing after it, the thread goes home, the state is removed', async (t) => {
  const { bundle, stateRoot, sys, shim } = setUp(t)
  sys.fail('mount', (c) => c.line.startsWith('mount tmpfs ') && c.line.includes('/dev tmpfs'), 'EPERM')
  await t.rejects(createContainer({ id: 'u2', bundle, stateRoot, cgroupsDisabled: true, stdio: IGNORE }), { message: /error mounting "tmpfs" to rootfs at "\/dev"/ })
  const lines = shim.timeline()
  const failed = at(t, lines, /^mount tmpfs \S+\/dev tmpfs /)
  t.notOk(lines.slice(failed + 1).some((l) => /^(mount|mknod|pivotRoot)/.test(l)), `nothing mounted after it:\n${lines.join('\n')}`)
  t.ok(at(t, lines, /^setns \d+ CLONE_NEWNS$/) > failed, 'home again')
  t.ok(lines.includes('shim: close'), 'the channel closed')
  t.notOk(existsSync(join(stateRoot, 'u2')), 'no state dir left')
})
