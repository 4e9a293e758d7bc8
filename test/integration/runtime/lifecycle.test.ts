// The runtime's lifecycle across separate processes, as `tocker runtime` (runc's commands) runs
// it: create, state, start, exec, kill, delete, list; run's exit codes; and failures that must
// leave nothing behind (no state dir, no shim, no mount, no cgroup).
import t from 'tap'
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createContainer, deleteContainer, killContainer, startContainer } from '../../../src/runtime/container.js'
import { execProcess } from '../../../src/runtime/exec.js'
import { hostMountsUnder, makeBundle, removeDir, shimsOf, stateDirs, tempDir } from '../../helpers/bundle.js'
import { TOCKER_BIN } from '../../helpers/paths.js'

if (process.getuid?.() !== 0) {
  t.skip('needs root', () => {})
  process.exit(0)
}

const TOCKER = TOCKER_BIN
const work = tempDir('life')
const stateRoot = join(work, 'state')
t.teardown(async () => {
  for (const id of stateDirs(stateRoot)) await deleteContainer(id, { stateRoot, force: true }).catch(() => {})
  removeDir(work)
})

interface Result {
  code: number
  stdout: string
  stderr: string
}

/**
 * `tocker runtime --state-root S ARGS`. The container's stdio is the CLI's: a command that
 * creates one gets files, not pipes (a pipe would stay open as long as the container runs).
 */
function cli(args: string[], opts: { cwd?: string } = {}): Promise<Result> {
  const outFile = join(work, `cli-${Math.random().toString(36).slice(2)}.out`)
  const errFile = `${outFile}.err`
  const out = openSync(outFile, 'w')
  const err = openSync(errFile, 'w')
  return new Promise((resolve, reject) => {
    // tap's process-info hook adds its loaders to NODE_OPTIONS of every child: not for bin/tocker.
    const child = spawn('env', ['-u', 'NODE_OPTIONS', TOCKER, 'runtime', '--state-root', stateRoot, ...args], { stdio: ['ignore', out, err], cwd: opts.cwd })
    child.on('error', reject)
    child.on('exit', (code) => {
      closeSync(out)
      closeSync(err)
      resolve({ code: code ?? -1, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') })
    })
  })
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return
    await sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('create / state / start / exec / kill / delete / list across separate CLI invocations', async (t) => {
  // One background sleep, not a loop of them: a loop would use up PIDs, and the exec below checks it gets a small one.
  const bundle = makeBundle(work, 'life', ['sh', '-c', 'echo started > /tmp/marker; trap "echo got TERM; exit 42" TERM; sleep 300 & wait'])
  const id = `life-${process.pid}`
  const created = await cli(['create', '--bundle', bundle, '--pid-file', join(work, 'pid'), id])
  t.equal(created.code, 0, created.stderr)
  const st = JSON.parse((await cli(['state', id])).stdout)
  t.match(st, { ociVersion: '1.0.2', id, status: 'created', bundle, rootfs: join(bundle, 'rootfs'), owner: 'root' })
  t.equal(Number(readFileSync(join(work, 'pid'), 'utf8')), st.pid, '--pid-file has PID 1')
  t.match(readFileSync(`/proc/${st.pid}/status`, 'utf8'), /NSpid:\s+\d+\s+1\n/, 'the created process is PID 1 in its namespace')
  t.match(readFileSync(`/proc/${st.pid}/cmdline`, 'utf8'), /native-shims\/out\/shim/, 'before start, PID 1 is still the gate')

  const list = await cli(['list'])
  t.match(list.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\n/)
  t.match(list.stdout, new RegExp(`^${id}\\s+${st.pid}\\s+created\\s+${bundle}\\s+\\S+\\s+root$`, 'm'))

  t.equal((await cli(['start', id])).code, 0)
  t.equal(JSON.parse((await cli(['state', id])).stdout).status, 'running')
  const again = await cli(['start', id])
  t.not(again.code, 0)
  t.match(again.stderr, /cannot start an already running container/)

  // exec sees the same filesystem and the same PID namespace.
  await waitFor(() => existsSync(`/proc/${st.pid}/root/tmp/marker`), 'the marker')
  const exec = await cli(['exec', id, 'sh', '-c', 'cat /tmp/marker; echo pid1=$(cat /proc/1/cmdline | head -c 2); echo me=$$'])
  t.equal(exec.code, 0, exec.stderr)
  t.match(exec.stdout, /^started\npid1=sh\nme=\d+\n$/)
  t.ok(Number(/me=(\d+)/.exec(exec.stdout)![1]) < 100, "the exec'd process has a small PID: it is in the container's PID namespace")
  const execFail = await cli(['exec', id, 'no-such-cmd'])
  t.equal(execFail.code, 127)
  t.match(execFail.stderr, /executable file not found in \$PATH/)
  const execCode = await cli(['exec', '-e', 'X=7', '--cwd', '/tmp', '-u', '65534', id, 'sh', '-c', 'echo $X $(pwd) $(id -u); exit 5'])
  t.equal(execCode.code, 5)
  t.equal(execCode.stdout, '7 /tmp 65534\n')

  const del = await cli(['delete', id])
  t.not(del.code, 0)
  t.match(del.stderr, `cannot delete container ${id} that is not stopped: running`)

  t.equal((await cli(['kill', id, 'TERM'])).code, 0)
  await waitFor(() => JSON.parse(readFileSync(join(stateRoot, id, 'exit.json'), { encoding: 'utf8', flag: 'a+' }) || 'null') !== null, 'exit.json')
  t.match(JSON.parse(readFileSync(join(stateRoot, id, 'exit.json'), 'utf8')), { exitCode: 42, signal: 0 }, 'the shim recorded the exit code')
  const stopped = JSON.parse((await cli(['state', id])).stdout)
  t.match(stopped, { status: 'stopped', pid: 0 })
  t.match((await cli(['kill', id, 'KILL'])).stderr, /container not running/)
  t.equal((await cli(['delete', id])).code, 0)
  t.notOk(existsSync(join(stateRoot, id)))
  t.match((await cli(['state', id])).stderr, `container ${id} does not exist`)
  t.same(shimsOf(stateRoot), [])
})

// A refused exec (no such program): the runtime killed the exec's shim before it had reaped the
// exec'd process, which was still ending, orphaned to the container's PID 1. A `ps` in the container
// right after the answer listed it ("[tocker-exec]", CI's lab guide run, chapter 4: 17 of 20 execs
// against an engine), and a PID 1 that never reaps (sleep, here) could keep it as a zombie.
t.test('a refused exec is gone, reaped, when its error is answered', async (t) => {
  const bundle = makeBundle(work, 'noreap', ['sleep', '300'])
  const id = `noreap-${process.pid}`
  t.teardown(async () => {
    await cli(['delete', '--force', id])
  })
  t.equal((await cli(['run', '--bundle', bundle, '--detach', id])).code, 0)
  const { pid } = JSON.parse((await cli(['state', id])).stdout)
  const pidns = readlinkSync(`/proc/${pid}/ns/pid`)
  /** Processes in the container's PID namespace other than PID 1, as `ps` in it would list them. */
  const others = () =>
    readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== pid).filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/ns/pid`) === pidns
      } catch {
        return false // ended meanwhile
      }
    })
  let left = 0
  for (let i = 0; i < 8; i++) {
    const execFail = await cli(['exec', id, 'no-such-cmd'])
    t.equal(execFail.code, 127)
    if (others().length) left++
  }
  t.equal(left, 0, "no exec's process was left in the container when its error came")
  t.equal(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim(), '', 'PID 1 has no child (no zombie)')
})

t.test("run: the container's exit code; 125, 126, 127 like Docker", async (t) => {
  const ok = makeBundle(work, 'run-ok', ['sh', '-c', 'echo out; echo err >&2; exit 3'])
  const r = await cli(['run', 'r1'], { cwd: ok })
  t.equal(r.code, 3)
  t.equal(r.stdout, 'out\n')
  t.equal(r.stderr, 'err\n')
  const nf = await cli(['run', '--bundle', makeBundle(work, 'run-127', ['nope']), 'r2'])
  t.equal(nf.code, 127)
  t.equal(nf.stderr, 'exec: "nope": executable file not found in $PATH\n')
  const ne = await cli(['run', '--bundle', makeBundle(work, 'run-126', ['/etc/passwd']), 'r3'])
  t.equal(ne.code, 126)
  const missing = await cli(['run', '--bundle', makeBundle(work, 'run-125', ['true'], undefined, false), 'r4'])
  t.equal(missing.code, 125, "tocker's own error")
  t.match(missing.stderr, /rootfs \(.*run-125\/rootfs\) does not exist/)
  const killed = makeBundle(work, 'run-137', ['sleep', '10'])
  const running = cli(['run', '--bundle', killed, 'r5'])
  await waitFor(() => existsSync(join(stateRoot, 'r5', 'state.json')) && !existsSync(join(stateRoot, 'r5', 'start.sock')), 'r5 to start')
  killContainer('r5', 9, { stateRoot })
  t.equal((await running).code, 137, 'killed by SIGKILL: 128+9')
  t.same(stateDirs(stateRoot), [], 'run deletes its containers')
})

t.test("spec writes Docker's defaults and refuses to overwrite", async (t) => {
  const dir = join(work, 'spec')
  mkdirSync(dir)
  t.equal((await cli(['spec', '--bundle', dir])).code, 0)
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  t.match(spec, { ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['sh'], cwd: '/' } })
  t.equal(spec.process.capabilities.bounding.length, 14)
  t.ok(spec.linux.maskedPaths.includes('/proc/kcore'))
  const again = await cli(['spec', '--bundle', dir])
  t.equal(again.code, 1)
  t.match(again.stderr, /File config.json exists. Remove it first/)
})

t.test('a failing create leaves no state, shim, mount or cgroup behind', async (t) => {
  const mountsBefore = hostMountsUnder(work)
  const cases: [string, Parameters<typeof makeBundle>[3], RegExp][] = [
    ['bad-mount', (s) => s.mounts!.push({ destination: '/data', type: 'bind', source: join(work, 'does-not-exist'), options: ['rbind'] }), /bind source path does not exist/],
    ['bad-fstype', (s) => s.mounts!.push({ destination: '/x', type: 'nosuchfs', source: 'none' }), /error mounting "none" to rootfs at "\/x"/],
    ['bad-command', (s) => (s.process!.args = ['/no/such/program']), /no such file or directory/],
    // A missing cwd is made (as runc and Docker do); a file there is refused.
    ['bad-cwd', (s) => (s.process!.cwd = '/etc/passwd'), /Cannot mkdir: \/etc\/passwd is not a directory/],
    ['bad-user', (s) => (s.process!.user = { uid: 0, gid: 0, username: 'nobody-here' }), /unable to find user/],
    ['bad-sysctl', (s) => (s.linux!.sysctl = { 'kernel.panic': '1' }), /not in a separate kernel namespace/],
  ]
  for (const [name, edit, message] of cases) {
    const bundle = makeBundle(work, `fail-${name}`, ['true'], edit)
    await t.rejects(createContainer({ id: `fail-${name}`, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } }), message, name)
    t.same(stateDirs(stateRoot), [], `${name}: no state dir`)
    t.same(shimsOf(stateRoot), [], `${name}: no shim or gate process`)
  }
  const missing = makeBundle(work, 'fail-rootfs', ['true'], undefined, false)
  await t.rejects(createContainer({ id: 'fail-rootfs', bundle: missing, stateRoot }), /rootfs .* does not exist/)
  t.same(stateDirs(stateRoot), [])
  t.same(hostMountsUnder(work), mountsBefore, "the host's mount table did not change")
  t.notOk(existsSync('/sys/fs/cgroup/unified/tocker/fail-bad-mount'), 'no cgroup')
})

t.test('a failing start (exec fails after create) leaves a stopped container that delete removes', async (t) => {
  // The program exists at create (so create succeeds) and is removed before start.
  const bundle = makeBundle(work, 'start-fail', ['/bin/vanishing'])
  writeFileSync(join(bundle, 'rootfs/bin/vanishing'), '#!/bin/sh\n')
  const { chmodSync, unlinkSync } = await import('node:fs')
  chmodSync(join(bundle, 'rootfs/bin/vanishing'), 0o755)
  const c = await createContainer({ id: 'sf', bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
  unlinkSync(join(bundle, 'rootfs/bin/vanishing'))
  await t.rejects(startContainer('sf', { stateRoot }), { exitCode: 127, message: /exec: "\/bin\/vanishing": no such file or directory/ })
  t.equal(await c.wait(), 127)
  await deleteContainer('sf', { stateRoot })
  t.same(stateDirs(stateRoot), [])
  t.same(shimsOf(stateRoot), [])
})

t.test('exec through the library: env, user and cwd defaults come from the container', async (t) => {
  const bundle = makeBundle(work, 'exec-lib', ['sleep', '30'], (s) => {
    s.process!.env!.push('FROM_SPEC=1')
    s.process!.cwd = '/etc'
    s.process!.user = { uid: 65534, gid: 65534 }
  })
  const c = await createContainer({ id: 'xl', bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
  await startContainer('xl', { stateRoot })
  const outFile = join(work, 'xl.out')
  const fd = openSync(outFile, 'w')
  const p = await execProcess('xl', { stateRoot, args: ['sh', '-c', 'echo $FROM_SPEC $EXTRA $(pwd) $(id -u):$(id -g); grep CapBnd /proc/self/status'], env: ['EXTRA=2'], stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
  closeSync(fd)
  t.equal(await p.wait(), 0)
  t.match(readFileSync(outFile, 'utf8'), /^1 2 \/etc 65534:65534\nCapBnd:\s+00000000a80425fb\n$/)
  await deleteContainer('xl', { stateRoot, force: true })
  t.equal(await c.wait(), 137)
  t.same(stateDirs(stateRoot), [])
})

t.test("cgroup: limits land in the container's own cgroup (cgroup v2), or fail cleanly without it", async (t) => {
  const { cgroupSupport } = await import('../../../src/cgroups/index.js')
  const bundle = makeBundle(work, 'cg', ['sh', '-c', 'cat /proc/self/cgroup; sleep 30'], (s) => {
    s.linux!.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } }
  })
  const outFile = join(work, 'cg.out')
  const fd = openSync(outFile, 'w')
  t.teardown(() => closeSync(fd))
  if (!cgroupSupport().usable) {
    await t.rejects(createContainer({ id: 'cg', bundle, stateRoot, stdio: { stdin: 'ignore', stdout: fd, stderr: fd } }), /limits need cgroup v2/)
    t.same(stateDirs(stateRoot), [], 'nothing left')
    t.same(shimsOf(stateRoot), [])
    return
  }
  const c = await createContainer({ id: 'cg', bundle, stateRoot, stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
  const st = JSON.parse(readFileSync(join(stateRoot, 'cg', 'state.json'), 'utf8'))
  t.ok(st.cgroupPath, 'the container got a cgroup')
  t.equal(readFileSync(join(st.cgroupPath, 'memory.max'), 'utf8').trim(), String(64 * 1024 * 1024))
  t.equal(readFileSync(join(st.cgroupPath, 'pids.max'), 'utf8').trim(), '50')
  t.match(readFileSync(join(st.cgroupPath, 'cgroup.procs'), 'utf8'), String(c.pid), 'PID 1 is in it before start')
  await c.start()
  await waitFor(() => readFileSync(outFile, 'utf8').length > 0, "the container's output")
  t.equal(readFileSync(outFile, 'utf8'), '0::/\n', 'its own cgroup namespace: it sees its cgroup as the root')
  const p = await execProcess('cg', { stateRoot, args: ['true'], stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
  t.equal(await p.wait(), 0)
  await deleteContainer('cg', { stateRoot, force: true })
  t.notOk(existsSync(st.cgroupPath), 'the cgroup is removed with the container')
})

t.test('kill --all signals every process of the container', async (t) => {
  const bundle = makeBundle(work, 'killall', ['sh', '-c', 'trap "" TERM; sleep 30 & sleep 30 & wait'])
  const c = await createContainer({ id: 'ka', bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
  await c.start()
  const { containerPids } = await import('../../../src/runtime/container.js')
  const { readState } = await import('../../../src/runtime/state.js')
  const st = readState(stateRoot, 'ka')!
  await waitFor(() => containerPids(st).length === 3, 'sh and two sleeps')
  const r = await cli(['kill', '--all', 'ka', 'KILL'])
  t.equal(r.code, 0, r.stderr)
  t.equal(await c.wait(), 137)
  t.same(containerPids(st), [])
  await deleteContainer('ka', { stateRoot })
})

t.test('the runtime speaks through the one CLI parser: options before or after the subcommand, exec argv untouched, usage errors', async (t) => {
  const bundle = makeBundle(work, 'parsed', ['sh', '-c', 'echo parsed; exit 4'])
  // --state-root after the subcommand (cli() puts one before it too: the later one wins).
  const r = await cli(['run', '--state-root', stateRoot, '--bundle', bundle, 'pp1'])
  t.same(r, { code: 4, stdout: 'parsed\n', stderr: '' })
  const missing = await cli(['state', 'pp-none'])
  t.same([missing.code, missing.stderr], [1, 'container pp-none does not exist\n'])
  const help = await cli(['run', '--help', 'x'])
  t.equal(help.code, 0)
  // tocker-runtime's own command (runc's usage words), in tocker's help layout.
  t.match(help.stdout, /^Usage:  tocker runtime run \[OPTIONS\] <container-id>\n/)
  t.match(help.stdout, /-b, --bundle string/)
  const noArgs = await cli(['exec', 'x'])
  // runc's exec takes the process from -p as well, so a lone id is the runtime's refusal, not a usage error.
  t.same([noArgs.code, noArgs.stderr], [125, 'exec args cannot be empty\n'])
  const noId = await cli(['kill'])
  t.same([noId.code, noId.stderr.split('\n')[0]], [1, "tocker: 'tocker runtime kill' requires at least 1 and at most 2 arguments"])
  const badFlag = await cli(['delete', '--bogus', 'x'])
  t.same([badFlag.code, badFlag.stderr.split('\n')[0]], [125, 'unknown flag: --bogus'])
  t.same(stateDirs(stateRoot), [])
})

t.test('tocker runtime run --explain shows the kernel work of the runtime library', async (t) => {
  // The CLI's bundle runs the command from tocker-runtime's bundle: two copies of trace.ts in one
  // process (they share their listeners through globalThis). Once --explain listened to one and
  // printed "no kernel-level action".
  const bundle = makeBundle(work, 'explained', ['true'])
  const r = await cli(['run', '--explain', '--bundle', bundle, 'ex1'])
  t.equal(r.code, 0, r.stderr)
  t.notMatch(r.stderr, /no kernel-level action traced/)
  t.match(r.stderr, /pivot_root\("\.", "\."\)/)
  t.match(r.stderr, /execve\("\/bin\/true"/)
  t.same(stateDirs(stateRoot), [])
})

// waitForExit, for a container another process created (no exit socket of ours): it looked for
// exit.json every 2..100 ms, so a container that ran a while was answered up to 100 ms after its
// exit (uniformly: 50 ms on average). inotify tells of exit.json's arrival now (wait-exit.ts).
t.test('waitForExit answers when exit.json arrives, not at its next look', async (t) => {
  const { waitForExit } = await import('../../../src/runtime/container.js')
  const { readState } = await import('../../../src/runtime/state.js')
  const { statSync } = await import('node:fs')
  const ids = Array.from({ length: 9 }, (_, i) => `we${i}`)
  const late: number[] = []
  await Promise.all(ids.map(async (id, i) => {
    // Ends 600, 610 ... 680 ms after its start: spread over one 100 ms look of the old wait.
    const bundle = makeBundle(work, `b-${id}`, ['sh', '-c', `sleep 0.6${i}; exit 3`])
    await createContainer({ id, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
    await startContainer(id, { stateRoot })
    const code = await waitForExit(stateRoot, readState(stateRoot, id)!)
    late.push(Date.now() - statSync(join(stateRoot, id, 'exit.json')).mtimeMs)
    t.equal(code, 3, `${id}: its exit code`)
    await deleteContainer(id, { stateRoot })
  }))
  late.sort((a, b) => a - b)
  const median = late[Math.floor(late.length / 2)]
  t.ok(median < 30, `answered ${late.map((x) => x.toFixed(0)).join(', ')} ms after exit.json was written (median ${median.toFixed(0)}; looking every 100 ms: 50 on average)`)
})
