#!/usr/bin/env node
// The start benchmark (issue 3): how fast does tocker's low-level runtime start a container that
// runs /bin/true, next to crun, in one run on the same machine, on the same busybox bundle?
//
//   sudo node test/bench/start.mjs [iterations=100] [--runs N]    (after npm run build)
//
//   crun            crun --cgroup-manager=disabled run ID     (whole process: create, start, wait, delete)
//   (a) library     createContainer + startContainer + wait + deleteContainer inside one Node
//                   process (runContainer), many iterations: what the engine pays per start
//   (b) CLI         bin/tocker runtime run ID                  (the whole command, Node's start included)
//   floors          node -e 0;  unshare -m -u -i -n -p -f chroot ROOTFS /bin/true
// Goals: (a) ≤ 0.7 × crun;  (b) ≤ node -e 0 + 40 ms.
//
// Process-level commands are timed with hyperfine (-N, no shell). crun refuses to run on a
// hybrid cgroup host ("cgroups in hybrid mode not supported") even with the cgroup manager
// disabled, so on such a host this script re-runs itself in a private mount namespace where
// /sys/fs/cgroup is the (controller-less) cgroup2 hierarchy; nothing of that is visible outside.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const args = process.argv.slice(2)
const runsIdx = args.indexOf('--runs')
const RUNS = runsIdx >= 0 ? Number(args.splice(runsIdx, 2)[1]) : 30
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
const stateRoot = join(work, 'state')

function hyperfine(commands) {
  const out = join(work, 'hyperfine.json')
  execFileSync('hyperfine', ['-N', '--warmup', '5', '--runs', String(RUNS), '--export-json', out, ...commands.map((c) => c.cmd)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: bundle,
  })
  const results = JSON.parse(readFileSync(out, 'utf8')).results
  return Object.fromEntries(commands.map((c, i) => [c.name, { mean: results[i].mean * 1000, median: results[i].median * 1000, min: results[i].min * 1000 }]))
}

async function library() {
  const times = []
  for (let i = 0; i < ITER + 10; i++) {
    const t0 = performance.now()
    const code = await runContainer({ id: `bench-lib-${i}`, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 1, stderr: 2 } })
    if (code !== 0) throw new Error(`/bin/true exited ${code}`)
    if (i >= 10) times.push(performance.now() - t0) // the first ones warm up the JIT and the caches
  }
  times.sort((a, b) => a - b)
  return { mean: times.reduce((a, b) => a + b, 0) / times.length, median: times[times.length >> 1], min: times[0] }
}

const tocker = join(repo, 'bin/tocker')
const crunRoot = join(work, 'crun')
// Twice, interleaved, so that a noisy neighbour hurts both sides alike; the better round counts.
const rounds = []
for (let round = 0; round < 2; round++) {
  const procs = hyperfine([
    { name: 'crun', cmd: `crun --cgroup-manager=disabled --root ${crunRoot} run --bundle ${bundle} bench-crun` },
    { name: 'cli', cmd: `${tocker} runtime --state-root ${stateRoot} run --bundle ${bundle} bench-cli` },
    { name: 'node', cmd: `${process.execPath} -e 0` },
    { name: 'chroot', cmd: `unshare -m -u -i -n -p -f chroot ${rootfs} /bin/true` },
  ])
  rounds.push({ ...procs, lib: await library() })
}
const best = (k) => rounds.map((r) => r[k]).sort((a, b) => a.median - b.median)[0]
const r = Object.fromEntries(['crun', 'lib', 'cli', 'node', 'chroot'].map((k) => [k, best(k)]))

const f = (x) => `${x.toFixed(2).padStart(7)} ms`
const row = (label, x) => console.log(`${label.padEnd(44)} ${f(x.median)} ${f(x.mean)} ${f(x.min)}`)
console.log(`\n${''.padEnd(44)} ${'median'.padStart(10)} ${'mean'.padStart(10)} ${'min'.padStart(10)}`)
row('crun --cgroup-manager=disabled run', r.crun)
row(`(a) tocker library, in one process (${ITER}x)`, r.lib)
row('(b) bin/tocker runtime run', r.cli)
row('floor: node -e 0', r.node)
row('floor: unshare ... chroot ROOTFS /bin/true', r.chroot)
const ratio = r.lib.median / r.crun.median
const over = r.cli.median - r.node.median
console.log(`\n(a) / crun            = ${ratio.toFixed(2)}x   (goal <= 0.70x: ${ratio <= 0.7 ? 'met' : 'NOT met'})`)
console.log(`(b) - node -e 0       = ${over.toFixed(1)} ms   (goal <= 40 ms: ${over <= 40 ? 'met' : 'NOT met'})`)
console.log(`(a) / chroot floor    = ${(r.lib.median / r.chroot.median).toFixed(2)}x`)
