// The cgroup v2 VM tier: real limits, enforced by a kernel that has cgroup v2 alone. One VM boot runs
// every check (test/vm/guest/cgroup-checks.mjs prints one CHECK line of facts each); the assertions
// are made here, on the host. Run it alone: node test/run.mjs test/vm/cgroups.test.ts
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
// @ts-expect-error plain ESM helper without type declarations
import { ensureBuilt, qemuAvailable, REPO, runInVm } from './vm.mjs'

interface Check {
  name: string
  ms: number
  error?: string
  stack?: string
  traced: string[]
  [fact: string]: any
}

if (!qemuAvailable()) {
  t.fail('qemu-system-x86_64 is not installed: apt-get install qemu-system-x86 (bin/lab test does it)')
} else {
  ensureBuilt()
  // The seccomp check's probe (see test/integration/security/syscall-probe.c), built here: the guest sees the
  // host's files read-only.
  execFileSync('cc', ['-O2', '-static', '-o', `${REPO}/test/.tmp/syscall-probe`, `${REPO}/test/integration/security/syscall-probe.c`])
  const run = await runInVm('node test/vm/guest/cgroup-checks.mjs', { cwd: REPO, timeoutMs: 300_000 })
  const checks = new Map<string, Check>()
  for (const line of run.output.split('\n')) {
    if (line.startsWith('CHECK ')) {
      const c = JSON.parse(line.slice(6)) as Check
      checks.set(c.name, c)
    }
  }
  t.comment(
    `VM: boot ${((run.bootMs ?? NaN) / 1000).toFixed(1)} s, total ${(run.totalMs / 1000).toFixed(1)} s; ` +
      [...checks.values()].map((c) => `${c.name} ${c.ms} ms`).join(', '),
  )

  t.test('the VM booted, ran every check and exited 0', async (t) => {
    t.equal(run.exitCode, 0, `guest exit code (console tail: ${run.console.slice(-1500)})`)
    t.match(run.output, /^CHECKS-DONE$/m)
    t.ok(run.bootMs !== undefined && run.bootMs < 60_000, `booted in ${run.bootMs} ms`)
  })

  /** A subtest per check: fails with the guest's error if the check threw. */
  const checkTest = (name: string, title: string, fn: (t: Test, c: Check) => void) =>
    t.test(`${title} [${name}]`, async (t) => {
      const c = checks.get(name)
      if (!c) return void t.fail(`the guest printed no CHECK line for ${name}`)
      if (c.error) return void t.fail(`${c.error} (${c.stack})`)
      fn(t, c)
      for (const w of c.traced) t.match(w, /^(write \S+ ← .+|mkdir \S+|rmdir \S+)( \(E[A-Z]+ .*\))?$/, `traced: ${w}`)
    })

  checkTest('support', 'cgroup v2 alone in the guest is detected as usable', (t, c) => {
    t.equal(c.usable, true, c.reason)
    t.equal(c.mountpoint, '/sys/fs/cgroup')
    for (const ctl of ['memory', 'cpu', 'pids']) t.ok(c.controllers.includes(ctl), `${ctl} controller offered`)
  })

  checkTest('memory', '--memory 32m: a process using 64 MiB is OOM-killed (137) and memory.events counts it', (t, c) => {
    t.same(c.files, { max: String(32 * 1024 * 1024), swapMax: '0' }, 'memory.max and memory.swap.max (no swap)')
    t.equal(c.signal, 'SIGKILL')
    t.equal(c.exitCode, 137)
    t.ok(c.stats.oomKills >= 1, `memory.events oom_kill = ${c.stats.oomKills}`)
    t.same(c.remove.gone, true, 'cgroup removed')
    t.ok(c.traced.includes(`write ${c.path}/memory.max ← ${32 * 1024 * 1024}`), 'the limit write is in the trace')
  })

  checkTest('pids', '--pids-limit 16: a fork bomb stops at the limit; remove() kills what is left', (t, c) => {
    t.equal(c.files.max, '16')
    t.ok(c.peak <= c.limit, `pids.current never above the limit (peak ${c.peak})`)
    t.ok(c.peak >= c.limit - 2, `the bomb did reach the limit (peak ${c.peak})`)
    t.ok(c.stats.pidsMaxEvents > 0, `pids.events max = ${c.stats.pidsMaxEvents} refused forks`)
    t.ok(c.beforeRemove > 0, `${c.beforeRemove} processes still alive before remove()`)
    t.equal(c.bombSignal, 'SIGKILL')
    t.equal(c.remove.gone, true, `cgroup removed in ${c.remove.ms} ms`)
    t.ok(c.traced.includes(`write ${c.path}/cgroup.kill ← 1`), 'cgroup.kill was used')
  })

  checkTest('cpu', '--cpus 0.5: a busy loop is throttled to half a CPU', (t, c) => {
    t.equal(c.files.max, '50000 100000')
    t.ok(c.stats.cpuThrottled > 0, `cpu.stat nr_throttled = ${c.stats.cpuThrottled} of ${c.stats.cpuPeriods} periods`)
    t.ok(c.share > 0.3 && c.share < 0.65, `used ${(c.share * 100).toFixed(0)}% of one CPU`)
    t.equal(c.remove.gone, true)
  })

  checkTest('weight', '--cpu-shares → cpu.weight as runc converts it', (t, c) => {
    t.same(c.weights, { 512: 59, 1024: 100, 2048: 174 })
  })

  checkTest('hierarchy', 'controllers are handed down root → tocker → container; tocker holds no process', (t, c) => {
    for (const ctl of ['cpu', 'memory', 'pids']) {
      t.ok(c.rootSubtree.includes(ctl), `root subtree_control has ${ctl}`)
      t.ok(c.parentSubtree.includes(ctl), `tocker/ subtree_control has ${ctl}`)
      t.ok(c.childControllers.includes(ctl), `the container cgroup can use ${ctl}`)
    }
    t.equal(c.parentProcs, '', 'no process in /sys/fs/cgroup/tocker itself (no internal processes)')
    t.equal(c.path, '/sys/fs/cgroup/tocker/vm-hierarchy', 'a container without limits still gets a cgroup on a cgroup v2 host')
    t.equal(c.remove.gone, true)
  })

  checkTest('join', 'exec joins: the cgroup is found by id and from a process, and takes a second process', (t, c) => {
    t.equal(c.byIdPath, c.path)
    t.equal(c.byPidPath, c.path)
    t.same(c.pids, c.expected)
    t.equal(c.firstSignal, 'SIGKILL')
    t.equal(c.secondSignal, 'SIGKILL')
    t.equal(c.remove.gone, true)
  })

  checkTest('conflict', 'creating an existing cgroup fails (409) and leaves the existing one alone', (t, c) => {
    t.equal(c.refusal?.name, 'TockerError')
    t.equal(c.refusal?.status, 409)
    t.match(c.refusal?.message, /already exists/)
    t.equal(c.stillThere, true)
    t.equal(c.memoryMax, String(64 * 1024 * 1024))
  })

  // ---- The same limits through tocker's runtime (linux.resources in config.json), read back from
  // inside the container, where the cgroup namespace makes its own cgroup "/".
  const inContainer = (t: Test, c: Check) => {
    t.equal(c.cgroupLeft, false, 'the container cgroup is removed with the container')
    t.same(c.stateLeft, [], 'no runtime state left')
  }
  /** PID 1 forked straight into its cgroup (clone3 CLONE_INTO_CGROUP): never moved by a cgroup.procs write. */
  const bornInCgroup = (t: Test, c: Check) => {
    const made = (c.pid1 as { op: string; failed: boolean; result: string; cgroup?: string }[]).filter((p) => !p.failed)
    t.equal(made.length, 1, `one PID 1 made: ${JSON.stringify(c.pid1)}`)
    t.equal(made[0]?.op, 'clone3', 'made by clone3, not fork')
    t.equal(made[0]?.cgroup, `0::/tocker/${c.name}`, "/proc/<PID 1>/cgroup as soon as the runtime hears of it (before start): already the container's")
    t.same(c.placed, ['explain.note.cgroup.born'], '--explain says PID 1 was born in its cgroup')
    t.notOk(
      c.traced.some((w) => /\/cgroup\.procs ← /.test(w)),
      'no cgroup.procs write (moving a running process waits for an RCU grace period)',
    )
  }

  checkTest('rt-memory', 'runtime: memory.limit 32 MiB → the process over it is OOM-killed, the shell sees 137', (t, c) => {
    t.equal(c.code, 137, `exit code (output: ${c.output})`)
    t.match(c.output, /^33554432$/m, 'memory.max as the container sees it')
    t.match(c.output, /^oom_kill [1-9]/m, 'memory.events oom_kill from inside')
    t.match(c.output, /^0::\/$/m, 'cgroup namespace: the container is at the root of its own view')
    bornInCgroup(t, c)
    inContainer(t, c)
  })

  checkTest('rt-oom-pid1', '`tocker runtime run`: PID 1 over the memory limit → exit 137', (t, c) => {
    t.equal(c.via, 'cli')
    t.equal(c.code, 137, `exit code (output: ${c.output})`)
    inContainer(t, c)
  })

  checkTest('rt-pids', 'runtime: pids.limit 16 → a fork bomb in the container stops at 16', (t, c) => {
    t.equal(c.code, 0, `exit code (output: ${c.output})`)
    t.match(c.output, /^16$/m, 'pids.max as the container sees it')
    t.ok(c.seen.peak <= 16 && c.seen.peak >= 14, `pids.current peaked at ${c.seen.peak}`)
    t.ok(c.seen.refusedForks > 0, `pids.events max = ${c.seen.refusedForks}`)
    bornInCgroup(t, c)
    inContainer(t, c)
  })

  checkTest('rt-cpu', 'runtime: cpu quota 50000/100000 throttles; shares 512 → cpu.weight 59', (t, c) => {
    t.equal(c.code, 0, `exit code (output: ${c.output})`)
    t.match(c.output, /^50000 100000$/m)
    t.match(c.output, /^59$/m)
    const throttled = Number(/^nr_throttled (\d+)$/m.exec(c.output)?.[1])
    t.ok(throttled > 0, `cpu.stat nr_throttled = ${throttled}`)
    bornInCgroup(t, c)
    inContainer(t, c)
  })

  // `tocker exec` on cgroup v2: the exec'd process is born in the container's cgroup as PID 1 is
  // (clone3 CLONE_INTO_CGROUP), not moved in by a cgroup.procs write (8-12 ms: an RCU grace period).
  checkTest('rt-exec', 'runtime exec: the process is born in the container cgroup (no cgroup.procs write), then joins its cgroup namespace', (t, c) => {
    t.equal(c.code, 137, `PID 1 killed once the exec was done (output: ${c.output})`)
    const exec = c.seen as { pid?: number; code?: number; output?: string; error?: string; execMs?: number[] }
    t.comment(`execProcess of cat /dev/null until it runs, 5 times, sorted: ${exec.execMs?.join(', ')} ms`)
    t.notOk(exec.error, `the exec ran (${exec.error})`)
    t.equal(exec.code, 0, 'cat /proc/self/cgroup exited 0')
    t.equal(exec.output, '0::/\n', "inside: its cgroup namespace's root is the container's cgroup")
    const execd = c.execd as { op: string; failed: boolean; cgroup?: string; by?: string }[]
    const made = execd.filter((p) => p.op !== 'setns' && !p.failed)
    t.equal(made.length, 6, `six exec'd processes made (cat, then cat /dev/null 5 times): ${JSON.stringify(execd)}`)
    t.same(made.map((p) => p.op), Array(6).fill('clone3'), 'each made by clone3, not fork')
    t.same(made.map((p) => p.cgroup), Array(6).fill(`0::/tocker/${c.name}`), "/proc/<pid>/cgroup as soon as the runtime hears of it (before any write): already the container's")
    t.equal(execd.filter((p) => p.op === 'setns' && p.by === 'process' && !p.failed).length, 6, 'each process itself joined the cgroup namespace, once born')
    t.ok(c.placed.includes('explain.note.cgroup.execBorn'), `--explain says the exec'd process was born in its cgroup (${c.placed.join(', ')})`)
    t.notOk(
      c.traced.some((w) => /\/cgroup\.procs ← /.test(w)),
      `no cgroup.procs write, for PID 1 or the exec'd process (${c.traced.join('; ')})`,
    )
    inContainer(t, c)
  })

  checkTest('seccomp', "Docker's default seccomp profile on Debian's kernel: apt, dpkg, bash, python threads run; keyctl, unshare, mount, io_uring refused", (t, c) => {
    t.equal(c.code, 0, `exit code (kernel ${c.kernel}, output: ${c.output})`)
    t.match(c.output, /^apt \d+\.\d+/m, 'apt --version')
    t.match(c.output, /^Debian 'dpkg' package management program version/m, 'dpkg --version')
    t.match(c.output, /^bash [45]$/m, 'bash')
    t.match(c.output, /^thread ok$/m, 'python3 starts a thread (clone3 → ENOSYS → clone)')
    t.match(c.output, /^Seccomp:\t2$/m, 'under a seccomp filter')
    for (const refused of ['keyctl', 'unshare', 'mount', 'io_uring_setup']) t.match(c.output, new RegExp(`^${refused} EPERM$`, 'm'), `${refused} refused`)
    t.match(c.output, /^clone3 ENOSYS$/m)
    t.match(c.output, /^getpid OK$/m)
    inContainer(t, c)
  })

  checkTest('cli-run', '`tocker run --rm --memory 32m --pids-limit 20 --cpus 0.5 --cpu-shares 512`: the limits inside, OOM → 137', (t, c) => {
    t.equal(c.load.code, 0, `tocker load: ${c.load.out}`)
    t.equal(c.ping.code, 0, `the engine answers: ${c.ping.out}`)
    t.equal(c.run.code, 137, `tocker run exit code (output: ${c.run.out})`)
    t.match(c.run.out, /^33554432\n20\n50000 100000\n59\n/, 'memory.max, pids.max, cpu.max, cpu.weight as the container sees them')
    t.same(c.cgroupsLeft, [], 'no container cgroup left after --rm')
  })

  checkTest('cli-run', 'OOM through the engine: inspect says OOMKilled, an "oom" event comes before "die"', (t, c) => {
    t.equal(c.oomRun.code, 137, `run --memory 32m of a 64 MiB dd exits 137 (output: ${c.oomRun.out})`)
    t.match(c.oomRun.out, /The container was killed by the kernel's OOM killer/, 'run says why the container died')
    t.equal(c.oomInspect, 'true 137 exited', 'State.OOMKilled, ExitCode, Status')
    t.same(c.oomActions.filter((a: string) => a === 'oom' || a === 'die'), ['oom', 'die'], `events of the container: ${c.oomActions.join(', ')}`)
    t.equal(c.calm, 0)
    t.equal(c.calmInspect, 'false 0', 'a container that was not OOM-killed says so')
  })
}
