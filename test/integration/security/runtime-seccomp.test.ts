// The low-level runtime honours an OCI bundle's linux.seccomp, as runc does: whatever profile the
// config.json carries (the engine's is Docker's default, see seccomp.test.ts), through the library
// and through `tocker runtime run`; exec'd processes get the same filter; a filter the kernel side
// could not build is refused before anything is made. No network: containers here have none.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createContainer, deleteContainer } from '../../../src/runtime/container.js'
import { execProcess } from '../../../src/runtime/exec.js'
import { DEFAULT_CAPABILITIES } from '../../../src/runtime/caps.js'
import { DEFAULT_SECCOMP_PROFILE } from '../../../src/runtime/seccomp/default-profile.js'
import { toLinuxSeccomp } from '../../../src/runtime/seccomp/docker-profile.js'
import type { LinuxSeccomp, Spec } from '../../../src/runtime/spec.js'
import { makeBundle, removeDir, runCaptured, shimsOf, stateDirs, tempDir } from '../../helpers/bundle.js'
import { TOCKER_BIN } from '../../helpers/paths.js'

if (process.getuid?.() !== 0) {
  t.skip('needs root', () => {})
  process.exit(0)
}

const work = tempDir('seccomp')
const stateRoot = join(work, 'state')
const probe = join(work, 'syscall-probe')
execFileSync('cc', ['-O2', '-static', '-o', probe, new URL('./syscall-probe.c', import.meta.url).pathname])
let n = 0
const id = (): string => `sc-${process.pid}-${++n}`
t.teardown(() => removeDir(work))

const DOCKER_DEFAULT = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES })!
const MKDIR_DENIED: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 30 /* EROFS */ }] }

/** A bundle whose rootfs has the probe in /bin, with `seccomp` as its filter. */
function bundle(args: string[], seccomp?: LinuxSeccomp, edit?: (s: Spec) => void): string {
  const dir = makeBundle(work, `b${++n}`, args, (s) => {
    if (seccomp) s.linux!.seccomp = seccomp
    edit?.(s)
  })
  copyFileSync(probe, join(dir, 'rootfs/bin/probe'))
  chmodSync(join(dir, 'rootfs/bin/probe'), 0o755)
  return dir
}

t.test("the library: a bundle's own filter is loaded (Docker's default, or any other)", async (t) => {
  const r = await runCaptured({ id: id(), bundle: bundle(['sh', '-c', 'probe keyctl unshare getpid; grep Seccomp: /proc/self/status'], DOCKER_DEFAULT), stateRoot }, work)
  t.equal(r.code, 0, r.out)
  t.equal(r.out, 'keyctl EPERM\nunshare EPERM\ngetpid OK\nSeccomp:\t2\n')
  const own = await runCaptured({ id: id(), bundle: bundle(['sh', '-c', 'probe keyctl; mkdir /x; echo mkdir=$?'], MKDIR_DENIED), stateRoot }, work)
  t.match(own.out, /^keyctl OK\n/, 'this profile allows keyctl')
  t.match(own.out, /Read-only file system\nmkdir=1\n$/, 'and answers mkdir with its errnoRet (EROFS)')
  const none = await runCaptured({ id: id(), bundle: bundle(['grep', 'Seccomp:', '/proc/self/status']), stateRoot }, work)
  t.equal(none.out, 'Seccomp:\t0\n', 'no linux.seccomp: no filter (runc spec has none either)')
})

t.test("exec gets the container's filter", async (t) => {
  const cid = id()
  const c = await createContainer({ id: cid, bundle: bundle(['sleep', '60'], MKDIR_DENIED), stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
  try {
    await c.start()
    const out = join(work, `${cid}.exec`)
    const fd = (await import('node:fs')).openSync(out, 'w')
    const p = await execProcess(cid, { stateRoot, args: ['sh', '-c', 'mkdir /y; echo mkdir=$?; grep Seccomp_filters /proc/self/status'], stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
    t.equal(await p.wait(), 0)
    t.match(readFileSync(out, 'utf8'), /Read-only file system\nmkdir=1\nSeccomp_filters:\t1\n$/)
  } finally {
    await deleteContainer(cid, { stateRoot, force: true })
  }
})

t.test('`tocker runtime run` reads linux.seccomp from config.json', async (t) => {
  const dir = bundle(['sh', '-c', 'mkdir /z; echo mkdir=$?'], MKDIR_DENIED)
  const r = spawnSync(process.execPath, [TOCKER_BIN, 'runtime', '--state-root', stateRoot, 'run', '-b', dir, id()], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout + r.stderr, /mkdir: can't create directory '\/z': Read-only file system/)
  t.match(r.stdout, /mkdir=1/)
})

t.test('a filter the kernel side could not build is refused before anything is made', async (t) => {
  const cases: [LinuxSeccomp, RegExp][] = [
    // Unknown actions and architectures are refused by the runtime spec's schema (since 2f3a45d), naming the field.
    [{ defaultAction: 'SCMP_ACT_NOPE' }, /config\.json does not follow the OCI runtime spec: linux\.seccomp\.defaultAction: must be one of "SCMP_ACT_KILL"/],
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_VAX'] }, /linux\.seccomp\.architectures\[0\]: must be one of "SCMP_ARCH_X86"/],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /argument index 9 out of range/],
    [{ defaultAction: 'SCMP_ACT_ERRNO', listenerPath: '/run/agent.sock' }, /not supported by tocker/],
  ]
  for (const [seccomp, message] of cases) {
    await t.rejects(runCaptured({ id: id(), bundle: bundle(['true'], seccomp), stateRoot }, work), message)
  }
  t.same(stateDirs(stateRoot), [], 'no state dir left')
  t.same(shimsOf(stateRoot), [], 'no shim left')
})

t.test("a profile that refuses what the gate itself needs fails to start, with the gate's error", async (t) => {
  // Without no_new_privs the filter is loaded before the user switch (process.c): a profile that
  // refuses setresuid stops the container there, as it would under runc.
  const blocksSetuid: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['setresuid'], action: 'SCMP_ACT_ERRNO' }] }
  await t.rejects(runCaptured({ id: id(), bundle: bundle(['true'], blocksSetuid), stateRoot }, work), /setuid 0: operation not permitted/)
  // With no_new_privs it is loaded last: the same profile only binds the program.
  const r = await runCaptured({ id: id(), bundle: bundle(['sh', '-c', 'echo ran; grep NoNewPrivs /proc/self/status'], blocksSetuid, (s) => (s.process!.noNewPrivileges = true)), stateRoot }, work)
  t.equal(r.code, 0, r.out)
  t.equal(r.out, 'ran\nNoNewPrivs:\t1\n')
  t.same(stateDirs(stateRoot), [])
})

t.test('SCMP_ACT_KILL_PROCESS: the program dies of SIGSYS (exit 159)', async (t) => {
  const killsUname: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }] }
  const r = await runCaptured({ id: id(), bundle: bundle(['hostname'], killsUname), stateRoot }, work)
  t.equal(r.code, 159, 'SIGSYS: 128+31')
  t.same(stateDirs(stateRoot), [])
})

t.test('nothing left behind', async (t) => {
  t.same(shimsOf(stateRoot), [])
  writeFileSync(join(work, 'done'), '')
})
