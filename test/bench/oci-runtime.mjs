#!/usr/bin/env node
// The drop-in runtime's benchmark (issue 13): bin/tocker-runtime beside crun and runc, in one run,
// on the same machine.
//
//   sudo node test/bench/oci-runtime.mjs [--runs 20] [--podman-runs 8]    (after npm run build)
//
//   1. `RUNTIME run ID` on one busybox bundle running /bin/true (the whole command: create, start,
//      wait, delete): crun and tocker-runtime with --cgroup-manager=disabled (crun with cgroups
//      fails here: it raises RLIMIT_MEMLOCK for its eBPF device filter and this VM may not), runc
//      with its cgroup (it has no way to go without; controller-less cgroup2, so cheap).
//   2. `podman run --rm --network none busybox true` with --runtime crun, runc, tocker-runtime
//      (conmon in between, as a user runs it); --cgroups disabled for crun and tocker-runtime, as
//      in 1.
// Times are hyperfine's (-N: no shell), the mean and the median printed with the ratio to crun.
//
// Everything runs in private network and mount namespaces (test/helpers/netns-sandbox.mjs), where
// /sys/fs/cgroup is the cgroup2 hierarchy (this host is hybrid: its v1 hierarchies are never
// touched), and /run and /var/lib/containers are tmpfs: podman's and the runtimes' state vanish
// with the namespace.
import './node-env.mjs'
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const RUNS = flag('--runs', 20)
const PODMAN_RUNS = flag('--podman-runs', 8)
const TOCKER_RUNTIME = join(repo, 'bin/tocker-runtime')
const BUSYBOX_TAR = join(repo, 'rootfs-cache/out/busybox.tar')

if (process.getuid() !== 0) {
  console.error('run as root (sudo node test/bench/oci-runtime.mjs)')
  process.exit(1)
}
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

function must(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr || r.error?.message}`)
  return r.stdout
}
if (Number(statfsSync('/sys/fs/cgroup').type) !== 0x63677270) must('mount', ['-t', 'cgroup2', 'cgroup2', '/sys/fs/cgroup'])
must('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', '/run'])
if (existsSync('/var/lib/containers')) must('mount', ['-t', 'tmpfs', '-o', 'mode=700', 'tmpfs', '/var/lib/containers'])

const work = mkdtempSync(join(tmpdir(), 'tocker-bench-oci-'))
const cleanups = []
process.on('exit', () => {
  for (const c of cleanups.reverse()) c()
  rmSync(work, { recursive: true, force: true })
})
const env = { ...process.env }
delete env.NODE_OPTIONS

// 1. One bundle: static busybox, runc's own default config.json (`runc spec`), args /bin/true.
const bundle = join(work, 'bundle')
mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true })
copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'))
chmodSync(join(bundle, 'rootfs/bin/busybox'), 0o755)
for (const a of ['sh', 'true']) symlinkSync('busybox', join(bundle, 'rootfs/bin', a))
must('runc', ['spec'], { cwd: bundle })
const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'))
spec.process.args = ['/bin/true']
spec.process.terminal = false
// No rlimits: this VM lacks CAP_SYS_RESOURCE in its user namespace and crun fails on setrlimit.
delete spec.process.rlimits
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2))

/** hyperfine -N over `commands`; returns [{ name, mean, median }] in ms. */
function hyperfine(commands, runs, opts = {}) {
  const out = join(work, 'hyperfine.json')
  const r = spawnSync('hyperfine', ['-N', '--warmup', '2', '--runs', String(runs), '--export-json', out, ...commands.map((c) => c.cmd)], { encoding: 'utf8', env, cwd: opts.cwd })
  if (r.status !== 0) throw new Error(`hyperfine failed:\n${r.stderr}\n${r.stdout.split('\n').slice(-20).join('\n')}`)
  const results = JSON.parse(readFileSync(out, 'utf8')).results
  return commands.map((c, i) => ({ name: c.name, mean: results[i].mean * 1000, median: results[i].median * 1000 }))
}

function print(title, rows) {
  const ref = rows.find((r) => r.name.includes('crun'))
  console.log(`\n${title}`)
  console.log(`${'runtime'.padEnd(20)} ${'mean ms'.padStart(9)} ${'median ms'.padStart(10)}  ratio to crun (mean)`)
  for (const r of rows) console.log(`${r.name.padEnd(20)} ${r.mean.toFixed(1).padStart(9)} ${r.median.toFixed(1).padStart(10)}  ${(r.mean / ref.mean).toFixed(2)}×`)
}

const states = { crun: join(work, 'state-crun'), runc: join(work, 'state-runc'), tocker: join(work, 'state-tocker') }
const runRows = hyperfine(
  [
    { name: 'crun run', cmd: `crun --cgroup-manager=disabled --root ${states.crun} run --bundle ${bundle} bench-crun` },
    { name: 'runc run', cmd: `runc --root ${states.runc} run --bundle ${bundle} bench-runc` },
    { name: 'tocker-runtime run', cmd: `${TOCKER_RUNTIME} --cgroup-manager=disabled --root ${states.tocker} run --bundle ${bundle} bench-tocker` },
    // The floor under any Node program: what tocker-runtime pays before its first line runs.
    { name: 'floor: node -e 0', cmd: `${process.execPath} -e 0` },
  ],
  RUNS,
)
print(`1. RUNTIME run on one busybox bundle (/bin/true), ${RUNS} runs each`, runRows)

// 2. podman with each runtime (its store, run dir and config under the work dir).
if (spawnSync('sh', ['-c', 'command -v podman']).status === 0 && existsSync(BUSYBOX_TAR)) {
  const conf = join(work, 'containers.conf')
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
      'pids_limit = 0',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "none"',
      'runtime_supports_json = ["crun", "runc", "tocker-runtime"]',
      'runtime_supports_nocgroup = ["crun", "tocker-runtime"]',
      '[engine.runtimes]',
      `tocker-runtime = ["${TOCKER_RUNTIME}"]`,
      'crun = ["/usr/bin/crun"]',
      'runc = ["/usr/sbin/runc"]',
      '',
    ].join('\n'),
  )
  env.CONTAINERS_CONF = conf
  const pargs = ['--root', join(work, 'root'), '--runroot', join(work, 'run'), '--tmpdir', join(work, 'tmp'), '--log-level', 'error']
  must('podman', [...pargs, 'load', '-i', BUSYBOX_TAR], { env })
  cleanups.push(() => spawnSync('podman', [...pargs, 'system', 'reset', '--force'], { env }))
  const p = pargs.join(' ')
  const podmanRows = hyperfine(
    ['crun', 'runc', 'tocker-runtime'].map((rt) => ({ name: `podman + ${rt}`, cmd: `podman ${p} run --rm --runtime ${rt}${rt === 'runc' ? '' : ' --cgroups disabled'} --network none busybox true` })),
    PODMAN_RUNS,
  )
  print(`2. podman run --rm --network none busybox true, ${PODMAN_RUNS} runs each`, podmanRows)
} else {
  console.log('\n2. podman: skipped (podman or rootfs-cache/out/busybox.tar missing)')
}
