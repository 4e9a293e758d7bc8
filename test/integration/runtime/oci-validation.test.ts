// The OCI runtime-tools validation suite (opencontainers/runtime-tools validation/*, the conformance
// suite issue 13's independent check runs) against bin/tocker-runtime: every validation that crun
// passes on this machine must pass (pidfile: a race, see RACY). Each validation is a program printing TAP; it makes bundles
// under $TMPDIR, drives the runtime given by $RUNTIME (create/start/state/kill/delete) and checks
// the container from inside (runtimetest) or outside.
//
// Where the suite comes from: neither Debian nor npm ships validation/ (Debian's runtime-tools
// package has only the libraries), so it was rebuilt offline into /opt/tocker-oci-validation
// (README and build.sh there; OCI_VALIDATION_DIR overrides). Without it this file skips, saying so.
//
// crun's pass set is pinned (CRUN_PASSES below), measured 2026-12-03 on this machine with the same
// binaries: crun 1.8.1 --cgroup-manager=disabled (crun with cgroups cannot start here: this host
// denies root CAP_SYS_RESOURCE, and crun raises RLIMIT_MEMLOCK for its cgroup device filter), in
// the same sandbox as below: 27 of 45 built validations (runc 1.1.5: 21). The linux_cgroups_*
// validations fail for every runtime here (runtime-tools reads cgroup v1 only; the sandbox has v2).
// Both runtimes run with --cgroup-manager=disabled, in private network and mount namespaces with
// the cgroup2 hierarchy on /sys/fs/cgroup (test/helpers/oci-engines.ts), as the benches do.
import { existsSync } from 'node:fs'
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

const SUITE = process.env.OCI_VALIDATION_DIR ?? '/opt/tocker-oci-validation'

if (process.getuid?.() !== 0 || !existsSync(`${SUITE}/runtimetest`)) {
  const { default: t } = await import('tap')
  t.skip(process.getuid?.() !== 0 ? 'needs root' : `the OCI runtime-tools validation suite is not built at ${SUITE} (see the comment at the top of this file)`, () => {})
  process.exit(0)
}
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { prepareEngineSandbox, run, TOCKER_RUNTIME } = await import('../../helpers/oci-engines.js')

/** The validations crun passes here (see the top of this file), in the suite's own names. */
const CRUN_PASSES = [
  'config_updates_without_affect',
  'create',
  'hooks_stdin',
  'hostname',
  'kill',
  'kill_no_effect',
  'killsig',
  'linux_devices',
  'linux_masked_paths',
  'linux_mount_label',
  'linux_ns_itype',
  'linux_ns_path',
  'linux_ns_path_type',
  'linux_readonly_paths',
  'linux_rootfs_propagation',
  'linux_seccomp',
  'linux_sysctl',
  'mounts',
  'pidfile',
  'poststart',
  'poststop_fail',
  'prestart_fail',
  'process',
  'process_oom_score_adj',
  'process_user',
  'root_readonly_true',
  'state',
]
/**
 * A race in the validation, not a property of the runtime: pidfile's container runs `true`, and
 * after `start` the validation wants `state` to say "running" and `kill` to succeed. That holds
 * only if the runtime's `state` runs before `true` (a static busybox, ~1 ms from execve) has
 * exited. runc and tocker (and crun, which also calls a zombie "stopped") then rightly answer
 * "container not running" to the kill. Measured 2026-12-03 in this sandbox at load ~20: crun
 * 2 of 6 runs pass; crun started 30 ms later (a wrapper `sleep 0.03; exec crun`) 0 of 4;
 * tocker-runtime (a Node program: its start alone is tens of ms) 0 of 3. What pidfile checks
 * besides the race (the pid file names PID 1, as `state` says) is asserted: it must pass or fail
 * at that kill only, never earlier.
 */
const RACY: Record<string, RegExp> = {
  pidfile: /container not running/,
}

prepareEngineSandbox()
const tmp = mkdtempSync('/tmp/tocker-ociv-')
chmodSync(tmp, 0o755) // bundles of user-namespace containers must be reachable by the mapped root
t.teardown(async () => {
  // A validation that stops half-way (a runtime error, a timeout) can leave a container: delete
  // what is left under our state root, then end any process still naming it, by pid.
  const state = join(tmp, 'state')
  for (const id of existsSync(state) ? readdirSync(state) : []) await run(wrapper, ['delete', '--force', id], { env, timeoutMs: 30_000 })
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(tmp)) process.kill(Number(pid), 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  rmSync(tmp, { recursive: true, force: true })
})
const wrapper = join(tmp, 'tocker-runtime')
const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, RUNTIME: wrapper }
delete env.NODE_OPTIONS // tap's loaders are not for bin/tocker-runtime
writeFileSync(wrapper, `#!/bin/sh\nexec ${TOCKER_RUNTIME} --root ${tmp}/state --cgroup-manager=disabled "$@"\n`)
chmodSync(wrapper, 0o755)

/** One validation's verdict: its TAP has a plan, no "not ok" (but TODOs) and, with no test at all, no error reported. */
function verdict(code: number, tap: string): { pass: boolean; why: string } {
  const notOk = tap.split('\n').filter((l) => /^not ok/.test(l) && !/# TODO/.test(l))
  if (code !== 0) return { pass: false, why: `exit ${code}` }
  if (!/^1\.\.\d+/m.test(tap)) return { pass: false, why: 'no TAP plan' }
  if (notOk.length) return { pass: false, why: notOk.slice(0, 3).join('; ') }
  if (!/^ok /m.test(tap) && /"error"/.test(tap)) return { pass: false, why: 'no test ran and an error was reported' }
  return { pass: true, why: '' }
}

async function validate(name: string): Promise<{ pass: boolean; why: string; out: string }> {
  const r = await run(join(SUITE, `${name}.t`), [], { env, timeoutMs: 240_000, cwd: SUITE })
  const v = verdict(r.code, r.stdout)
  return { ...v, out: `${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}` }
}

t.test('every validation crun passes, with tocker-runtime', async (t) => {
  // Six at a time: most of a validation's time is its 1 s state polls. Run one after the other
  // they take ~5 min here (load ~10); six at a time ~1.5 min idle, ~5 min at load 25.
  t.setTimeout(9 * 60_000)
  const queue = [...CRUN_PASSES]
  const results = new Map<string, Awaited<ReturnType<typeof validate>>>()
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) results.set(name, await validate(name))
    }),
  )
  // A deadline inside a validation: killsig's containers live 10 s (`sleep 10`), in which the
  // validation's start, state polls and kill must all run. Six at a time on a loaded machine it
  // can miss it ("container not running": seen once at load ~20, where a Node program's start
  // alone is ~0.5 s). Such a miss is run again once, alone.
  for (const name of ['killsig']) {
    const r = results.get(name)
    if (r && !r.pass && /container not running/.test(r.out)) {
      t.comment(`${name}: missed its container's 10 s under load; run again alone`)
      results.set(name, await validate(name))
    }
  }
  for (const name of CRUN_PASSES) {
    const r = results.get(name)!
    const racy = RACY[name]
    if (racy) t.ok(r.pass || (racy.test(r.out) && !/wrong pid/.test(r.out)), `${name}: passes, or fails only where it races \`true\` (see RACY)${r.pass ? '' : `\n${r.out}`}`)
    else t.ok(r.pass, `${name} (crun passes)${r.pass ? '' : `: ${r.why}\n${r.out}`}`)
  }
})
