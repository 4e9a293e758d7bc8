#!/usr/bin/env node
// The start benchmark (issue 3): how fast does tocker's low-level runtime start a container that
// runs /bin/true, next to crun, in one run on the same machine, on the same busybox bundle?
//
//   sudo node test/bench/start.mjs [iterations=100] [--runs 40] [--rounds 4]    (after npm run build)
//
//   crun            crun --cgroup-manager=disabled run ID     (whole process: create, start, wait, delete)
//   (a) library     createContainer + startContainer + wait + deleteContainer inside one Node
//                   process (runContainer), many iterations: what the engine pays per start
//   (b) CLI         bin/tocker runtime run ID                  (the whole command, Node's start included)
//   floors          node -e 0;  unshare -m -u -i -n -p -f chroot ROOTFS /bin/true
// Goals: (a) ≤ 0.7 × crun;  (b) ≤ node -e 0 + 40 ms.
// Then, where perf is installed, the same start phase by phase for crun, (a) and the chroot floor,
// cut at the kernel's process events (start-phases.mjs; --no-phases skips it).
//
// Process-level commands are timed with hyperfine (-N, no shell), in several rounds interleaved
// with the library's iterations; all samples are pooled. crun refuses to run on a
// hybrid cgroup host ("cgroups in hybrid mode not supported") even with the cgroup manager
// disabled, so on such a host this script re-runs itself in a private mount namespace where
// /sys/fs/cgroup is the (controller-less) cgroup2 hierarchy; nothing of that is visible outside.
import './node-env.mjs'
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const args = process.argv.slice(2)
const runsIdx = args.indexOf('--runs')
const RUNS = runsIdx >= 0 ? Number(args.splice(runsIdx, 2)[1]) : 40
const roundsIdx = args.indexOf('--rounds')
const ROUNDS = roundsIdx >= 0 ? Number(args.splice(roundsIdx, 2)[1]) : 4
const noPhases = args.includes('--no-phases')
const ITER = Number(args.find((a) => /^\d+$/.test(a)) ?? 100)
const CGROUP2_MAGIC = 0x63677270

if (process.getuid() !== 0) {
  console.error('run as root (sudo node test/bench/start.mjs)')
  process.exit(1)
}
if (statfsSync('/sys/fs/cgroup').type !== CGROUP2_MAGIC && !process.env.TOCKER_BENCH_WRAPPED) {
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"', 'sh', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, TOCKER_BENCH_WRAPPED: '1' } },
  )
  process.exit(r.status ?? 1)
}

const { runContainer, defaultSpec } = await import(join(repo, 'dist/src/runtime/index.js'))

// A busybox bundle: the static busybox with a few applet links, Docker's default config.json.
const work = mkdtempSync(join(tmpdir(), 'tocker-bench-start-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))
const bundle = join(work, 'bundle')
const rootfs = join(bundle, 'rootfs')
mkdirSync(join(rootfs, 'bin'), { recursive: true })
copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'))
chmodSync(join(rootfs, 'bin/busybox'), 0o755)
for (const a of ['sh', 'true']) symlinkSync('busybox', join(rootfs, 'bin', a))
writeFileSync(join(bundle, 'config.json'), JSON.stringify(defaultSpec(['/bin/true']), null, 2))
// State roots on a tmpfs for both runtimes, as on any host where /run is one (runc's /run/runc,
// crun's /run/crun): on this machine's ext4 a single mkdir costs ~0.6 ms.
const stateTmp = mkdtempSync('/dev/shm/tocker-bench-start-')
process.on('exit', () => rmSync(stateTmp, { recursive: true, force: true }))
const stateRoot = join(stateTmp, 'tocker')

/** Times of each command, in ms, from one hyperfine run. */
function hyperfine(commands, runs) {
  const out = join(work, 'hyperfine.json')
  const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--show-output', '--export-json', out, ...commands.map((c) => c.cmd)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: bundle,
    encoding: 'utf8',
  })
  if (r.status !== 0) {
    console.error(`hyperfine failed:\n${r.stderr}\n${r.stdout.split('\n').slice(-30).join('\n')}`)
    process.exit(1)
  }
  const results = JSON.parse(readFileSync(out, 'utf8')).results
  return Object.fromEntries(commands.map((c, i) => [c.name, results[i].times.map((s) => s * 1000)]))
}

/** (a): create + start + wait + delete through the library, `n` times; ms each. */
async function library(n, warmup) {
  const times = []
  for (let i = 0; i < n + warmup; i++) {
    const t0 = performance.now()
    const code = await runContainer({ id: `bench-lib-${i}`, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 1, stderr: 2 } })
    if (code !== 0) throw new Error(`/bin/true exited ${code}`)
    if (i >= warmup) times.push(performance.now() - t0) // the first ones warm up the JIT and the caches
  }
  return times
}

const tocker = join(repo, 'bin/tocker')
const crunRoot = join(stateTmp, 'crun')
// Several short rounds, interleaved, so that a busy neighbour hurts every side alike; the samples
// of all rounds are pooled.
const samples = { crun: [], lib: [], cli: [], node: [], chroot: [] }
for (let round = 0; round < ROUNDS; round++) {
  const procs = hyperfine(
    [
      { name: 'crun', cmd: `crun --cgroup-manager=disabled --root ${crunRoot} run --bundle ${bundle} bench-crun` },
      { name: 'cli', cmd: `${tocker} runtime --state-root ${stateRoot} run --bundle ${bundle} bench-cli` },
      { name: 'node', cmd: `${process.execPath} -e 0` },
      { name: 'chroot', cmd: `unshare -m -u -i -n -p -f chroot ${rootfs} /bin/true` },
    ],
    Math.ceil(RUNS / ROUNDS),
  )
  for (const [k, v] of Object.entries(procs)) samples[k].push(...v)
  samples.lib.push(...(await library(Math.ceil(ITER / ROUNDS), round === 0 ? 10 : 2)))
}
// CPU per run, every process of each side counted: wall-clock medians on this 2-core machine move
// with the neighbours' load (+-50 %), the CPU a start costs does not. Each side runs in a leaf of
// the cgroup2 hierarchy (here: ours, or the private mount made above) and its cpu.stat usage_usec
// is read before and after; a cgroup's CPU counts every process in it, also the shim and gate
// that left their parent (cgroup membership is inherited at fork, whoever reaps them). Process
// sides run in a shell loop (its fork per iteration is in the 'sh loop: /bin/true' row).
const CPU_RUNS = Math.max(10, Math.ceil(RUNS / 2))
const leaf = mkdtempSync('/sys/fs/cgroup/tocker-bench-start-cpu-')
const home = `/sys/fs/cgroup${readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)[1].replace(/\/$/, '')}`
const usage = () => Number(readFileSync(join(leaf, 'cpu.stat'), 'utf8').match(/^usage_usec (\d+)/m)[1])
const cpu = {}
try {
  const loop = (name, cmd) => {
    const u0 = usage()
    const r = spawnSync('sh', ['-c', `echo $$ > ${leaf}/cgroup.procs && i=0 && while [ $i -lt ${CPU_RUNS} ]; do ${cmd} >/dev/null || exit 1; i=$((i+1)); done`], { cwd: bundle, stdio: ['ignore', 'ignore', 'inherit'] })
    if (r.status !== 0) throw new Error(`${name}: the CPU loop failed`)
    cpu[name] = (usage() - u0) / 1000 / CPU_RUNS
  }
  loop('crun', `crun --cgroup-manager=disabled --root ${crunRoot} run --bundle ${bundle} bench-crun-cpu`)
  loop('cli', `${tocker} runtime --state-root ${stateRoot} run --bundle ${bundle} bench-cli-cpu`)
  loop('node', `${process.execPath} -e 0`)
  loop('chroot', `unshare -m -u -i -n -p -f chroot ${rootfs} /bin/true`)
  loop('true', '/bin/true')
  writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid))
  try {
    await library(3, 2) // the JIT is warm: a few to settle
    const u0 = usage()
    await library(CPU_RUNS, 0)
    cpu.lib = (usage() - u0) / 1000 / CPU_RUNS
  } finally {
    writeFileSync(join(home, 'cgroup.procs'), String(process.pid))
  }
} finally {
  rmdirSync(leaf) // empty again: every process of the loops has exited
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[s.length >> 1], mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0], n: s.length }
}
const r = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]))

const f = (x) => `${x.toFixed(2).padStart(7)} ms`
const row = (label, x) => console.log(`${label.padEnd(44)} ${f(x.median)} ${f(x.mean)} ${f(x.min)} ${String(x.n).padStart(5)}`)
console.log(`\n${''.padEnd(44)} ${'median'.padStart(10)} ${'mean'.padStart(10)} ${'min'.padStart(10)} ${'n'.padStart(5)}`)
row('crun --cgroup-manager=disabled run', r.crun)
row('(a) tocker library, in one process', r.lib)
row('(b) bin/tocker runtime run', r.cli)
row('floor: node -e 0', r.node)
row('floor: unshare ... chroot ROOTFS /bin/true', r.chroot)
console.log(`\nCPU per run (user+system of every process of the side, ${CPU_RUNS} runs each, cgroup cpu.stat):`)
const cpuRow = (label, k) => console.log(`${label.padEnd(44)} ${f(cpu[k])}`)
cpuRow('crun --cgroup-manager=disabled run', 'crun')
cpuRow('(a) tocker library, in one process', 'lib')
cpuRow('(b) bin/tocker runtime run', 'cli')
cpuRow('floor: node -e 0', 'node')
cpuRow('floor: unshare ... chroot ROOTFS /bin/true', 'chroot')
cpuRow('sh loop: /bin/true (in every process row)', 'true')
console.log(`(a) / crun, CPU        = ${(cpu.lib / cpu.crun).toFixed(2)}x   (a) / chroot floor, CPU = ${(cpu.lib / cpu.chroot).toFixed(2)}x`)
const ratio = r.lib.median / r.crun.median
const over = r.cli.median - r.node.median
console.log(`\n(a) / crun            = ${ratio.toFixed(2)}x   (goal <= 0.70x: ${ratio <= 0.7 ? 'met' : 'NOT met'})`)
console.log(`(b) - node -e 0       = ${over.toFixed(1)} ms   (goal <= 40 ms: ${over <= 40 ? 'met' : 'NOT met'})`)
console.log(`(a) / chroot floor    = ${(r.lib.median / r.chroot.median).toFixed(2)}x`)
const loadavg = () => `${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (on ${availableParallelism()} CPUs)`
console.log(`load average at the end: ${loadavg()}`)

if (noPhases) process.exit(0)
if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('\n(no phase breakdown: perf is not installed)')
  process.exit(0)
}
const { phaseBreakdown, printPhases } = await import('./start-phases.mjs')
printPhases(phaseBreakdown({ bundle, rootfs, stateRoot, crunRoot, runs: 30, rounds: 3 }))
console.log('(the library side runs in a Node process of its own there: 30 warm-up runs, then the measured ones)')
console.log(`load average at the end: ${loadavg()}`)
