#!/usr/bin/env node
// The fast path (issue 14), in one run on this machine:
//   1. hyperfine (-N, interleaved by hyperfine's own order, same engine, warm): `node -e 0`, `tocker
//      run --rm --network none busybox true`, the same on the default bridge, podman's `run --rm
//      --network none --cgroups disabled busybox true`, `tocker ps`, `tocker images`; printed as
//      medians and as ratios (to node, to podman) and as "node + N ms".
//   2. The profile of one `run --rm --network none busybox true`, phase by phase (median of the
//      profiled runs): the CLI and the engine are started with test/bench/profile-hook-cli.cjs (-r)
//      and profile-hook.mjs (--import) preloaded, which stamp Node's start, the first request,
//      every API round trip (client and server side), the engine's create/start/exit/removal and
//      the runtime's and network's steps, and the trace layer's kernel steps. Times are offsets from the CLI process's start. The same
//      for `run --rm busybox true` on the default bridge.
//   3. The floors under it, measured here and now (test/bench/floors.mjs): node -e 0, node loading the
//      CLI bundle and nothing else, a bare client's one API round trip, the kernel's unshare+chroot+exec,
//      a veth pair made and deleted by `ip`, by our rtnetlink, and by the kernel at its netns's death.
//      3b. runtime create's own floor (test/bench/create-floor.mjs): a created container's kernel calls
//      replayed from C, phase by phase, beside the runtime library and the engine's runtime create.
//
//   node test/bench/run-profile.mjs [runs=15] [profiled=10] [--baseline DIR [--ab-only]] [--trace] [--timeline] [--floors-only]   (after npm run build; root)
//
// --baseline DIR: another built checkout (e.g. `git archive <commit> | tar -x -C DIR`, node_modules
// linked, npm run build): its engine (own store) and CLI run in the same hyperfine run, as
// "base: …" rows, so that a change is judged before/after on the same load.
//
// Runs in private network and mount namespaces (the engine, its bridge and podman stay there); on a
// hybrid cgroup host /sys/fs/cgroup is the controller-less cgroup2 hierarchy inside (podman and
// crun refuse hybrid mode) and /run, /var/lib/containers are private tmpfs, as
// test/helpers/oci-engines.ts does. podman gets ulimits this VM can grant and no pids limit.
import './node-env.mjs'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { printFloors } from './floors.mjs'
import { printCreateFloor } from './create-floor.mjs'
import { exitNoticed, ownedEvents as ownedEventsOf } from './profile-runs.mjs'

const CGROUP2_MAGIC = 0x63677270
const self = fileURLToPath(import.meta.url)
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`Usage: node test/bench/run-profile.mjs [runs=15] [profiled=10] [--baseline DIR [--ab-only]] [--trace]   (root, after npm run build)

The fast path of issue 14 in one run: hyperfine medians of node -e 0, tocker run --rm (--network none
and bridge), ps, images and podman; CPU per run (engine, CLI); with --baseline an interleaved A/B
against another built checkout; then the phase-by-phase profile of one run --rm --network none.

A quiet-window rerun (the coordinator's), ~3-4 min on 2 cores, before/after against the session's base:
  mkdir -p /tmp/fast-base && git archive 4ab96b9 | tar -x -C /tmp/fast-base
  ln -s "$PWD/node_modules" /tmp/fast-base/node_modules && mkdir -p /tmp/fast-base/rootfs-cache
  ln -s "$PWD/rootfs-cache/out" /tmp/fast-base/rootfs-cache/out && (cd /tmp/fast-base && npm run build)
  npm run build && node test/bench/run-profile.mjs 15 8 --baseline /tmp/fast-base
Quote the "A/B interleaved" and CPU rows (the load moves hyperfine's blocks by +-30 %).
--ab-only (with --baseline): only the CPU rows and the interleaved A/B rows (run --rm --network none, bridge, run -d -p + rm -f; ps and images beside node -e 0).
--trace adds the trace layer's kernel steps to the profile.
--profile-only: only part 2 (no hyperfine, CPU rows, A/B or floors).
--timeline prints each profiled run's events in order (CLI requests, engine spans, trace steps).
--floors-only: only part 3 (the floors, 3b: runtime create's kernel calls from C), [profiled]+4 runs each.
`)
  process.exit(0)
}
if (!process.env.TOCKER_BENCH_WRAPPED) {
  const cg = statfsSync('/sys/fs/cgroup').type !== CGROUP2_MAGIC ? 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && ' : ''
  const vlc = existsSync('/var/lib/containers') ? 'mount -t tmpfs -o mode=700 tmpfs /var/lib/containers && ' : ''
  const r = spawnSync(
    'unshare',
    ['--net', '--mount', '--propagation', 'private', 'sh', '-c', `ip link set lo up && ${cg}mount -t tmpfs -o mode=755 tmpfs /run && ${vlc}exec "$@"`, 'sh', process.execPath, self, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, TOCKER_BENCH_WRAPPED: '1', TOCKER_NET_SANDBOX: '1' } },
  )
  process.exit(r.status ?? 1)
}

const repo = resolve(dirname(self), '..', '..')
const TOCKER = join(repo, 'bin', 'tocker')
const HOOK = join(repo, 'test', 'bench', 'profile-hook.mjs')
// The CLI's: CommonJS, with -r (profile-hook-cli.cjs says why).
const CLI_HOOK = join(repo, 'test', 'bench', 'profile-hook-cli.cjs')
const argv = process.argv.slice(2)
const baseIdx = argv.indexOf('--baseline')
const BASE = baseIdx >= 0 ? resolve(argv.splice(baseIdx, 2)[1]) : undefined
const traceIdx = argv.indexOf('--trace')
const TRACE = traceIdx >= 0 && argv.splice(traceIdx, 1).length > 0
const abIdx = argv.indexOf('--ab-only')
const AB_ONLY = abIdx >= 0 && argv.splice(abIdx, 1).length > 0
const floorsIdx = argv.indexOf('--floors-only')
const FLOORS_ONLY = floorsIdx >= 0 && argv.splice(floorsIdx, 1).length > 0
const timelineIdx = argv.indexOf('--timeline')
const TIMELINE = timelineIdx >= 0 && argv.splice(timelineIdx, 1).length > 0
const profileOnlyIdx = argv.indexOf('--profile-only')
const PROFILE_ONLY = profileOnlyIdx >= 0 && argv.splice(profileOnlyIdx, 1).length > 0
if (AB_ONLY && !BASE) throw new Error('--ab-only needs --baseline DIR')
const RUNS = Number(argv[0] ?? 15)
const PROFILED = Number(argv[1] ?? 10)
const work = mkdtempSync(join(tmpdir(), 'tocker-bench-run-'))
const root = join(work, 'store')
const baseEnv = { ...process.env, TOCKER_NO_AUTOSTART: '1', NODE_OPTIONS: '' }
let engine
let baseEngine
const baseRoot = join(work, 'base-store')

function stopEngine() {
  if (engine && engine.exitCode === null) {
    // Containers first (none should be left: every run is --rm), then the engine itself.
    const ids = tocker('ps', '-aq').stdout?.split('\n').filter(Boolean) ?? []
    if (ids.length) tocker('rm', '-f', ...ids)
    engine.kill('SIGTERM')
    for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(engine.pid)]).status === 0; i++) spawnSync('sleep', ['0.05'])
  }
}
let podmanArgs
process.on('exit', () => {
  stopEngine()
  if (baseEngine && baseEngine.exitCode === null) baseEngine.kill('SIGTERM')
  if (podmanArgs) spawnSync('podman', [...podmanArgs, 'system', 'reset', '--force'], { stdio: 'ignore' })
  waitForProcessesNaming(work)
  rmSync(work, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function tocker(...args) {
  return spawnSync(process.execPath, [TOCKER, '--root', root, ...args], { encoding: 'utf8', env: baseEnv, timeout: 60_000 })
}

function base(...args) {
  return spawnSync(process.execPath, [join(BASE, 'bin', 'tocker'), '--root', baseRoot, ...args], { encoding: 'utf8', env: baseEnv, timeout: 60_000 })
}

function startEngine(env) {
  engine = spawn(process.execPath, [...(env.TOCKER_BENCH_PROFILE ? ['--import', HOOK] : []), TOCKER, '--root', root, 'daemon'], { stdio: 'ignore', env })
  for (let i = 0; i < 300 && !(existsSync(join(root, 'tocker.sock')) && tocker('ps').status === 0); i++) spawnSync('sleep', ['0.05'])
  if (tocker('ps').status !== 0) throw new Error('the engine did not start')
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length ? s[s.length >> 1] : NaN
}

// ---- set-up ----
startEngine(baseEnv)
const loaded = tocker('load', '-i', join(repo, 'rootfs-cache', 'out', 'busybox.tar'))
if (loaded.status !== 0) throw new Error(`load: ${loaded.stderr}`)
// Bring the default bridge up once, so the first bridge run does not pay for it.
const first = tocker('run', '--rm', 'busybox', 'true')
if (first.status !== 0) throw new Error(`run: ${first.stderr}`)

if (FLOORS_ONLY) {
  await printFloors({ repo, sock: join(root, 'tocker.sock'), work, bridge: 'tocker0', runs: PROFILED + 4 })
  await printCreateFloor({ repo, tocker, root, work, runs: PROFILED + 4 })
  process.exit(0)
}

if (BASE) {
  baseEngine = spawn(process.execPath, [join(BASE, 'bin', 'tocker'), '--root', baseRoot, 'daemon'], { stdio: 'ignore', env: baseEnv })
  for (let i = 0; i < 300 && !(existsSync(join(baseRoot, 'tocker.sock')) && base('ps').status === 0); i++) spawnSync('sleep', ['0.05'])
  for (const args of [['load', '-i', join(repo, 'rootfs-cache', 'out', 'busybox.tar')], ['run', '--rm', 'busybox', 'true']]) {
    const r = base(...args)
    if (r.status !== 0) throw new Error(`baseline ${args[0]}: ${r.stderr}`)
  }
}

const havePodman = spawnSync('podman', ['--version']).status === 0
const podmanEnv = { ...baseEnv }
if (havePodman) {
  const dir = join(work, 'podman')
  mkdirSync(dir)
  const conf = join(dir, 'containers.conf')
  writeFileSync(
    conf,
    ['[containers]', 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]', 'pids_limit = 0', '[engine]', 'cgroup_manager = "cgroupfs"', 'events_logger = "none"', ''].join('\n'),
  )
  podmanEnv.CONTAINERS_CONF = conf
  podmanArgs = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--log-level', 'error']
  const l = spawnSync('podman', [...podmanArgs, 'load', '-i', join(repo, 'rootfs-cache', 'out', 'busybox.tar')], { encoding: 'utf8', env: podmanEnv })
  if (l.status !== 0) throw new Error(`podman load: ${l.stderr}`)
}

let byName = {}
if (!AB_ONLY && !PROFILE_ONLY) {
  // ---- 1. one hyperfine run ----
  const t = (args) => [process.execPath, TOCKER, '--root', root, ...args].join(' ')
  const commands = [
    ['node -e 0', `${process.execPath} -e 0`],
    ['tocker run --rm --network none', t(['run', '--rm', '--network', 'none', 'busybox', 'true'])],
    ['tocker run --rm (bridge)', t(['run', '--rm', 'busybox', 'true'])],
    ['tocker ps', t(['ps'])],
    ['tocker images', t(['images'])],
  ]
  if (BASE) {
    const b = (args) => [process.execPath, join(BASE, 'bin', 'tocker'), '--root', baseRoot, ...args].join(' ')
    commands.push(
      ['base: run --rm --network none', b(['run', '--rm', '--network', 'none', 'busybox', 'true'])],
      ['base: run --rm (bridge)', b(['run', '--rm', 'busybox', 'true'])],
      ['base: ps', b(['ps'])],
      ['base: images', b(['images'])],
    )
  }
  if (havePodman) commands.push(['podman run --rm --network none', `podman ${podmanArgs.join(' ')} run --rm --network none --cgroups disabled busybox true`])
  const out = join(work, 'hyperfine.json')
  const hfArgs = ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out]
  for (const [name, cmd] of commands) hfArgs.push('-n', name, cmd)
  // podman reads CONTAINERS_CONF; it changes nothing for node and tocker.
  const hf = spawnSync('hyperfine', hfArgs, { stdio: ['ignore', 'ignore', 'inherit'], env: podmanEnv })
  if (hf.status !== 0) throw new Error('hyperfine failed')
  const results = JSON.parse(readFileSync(out, 'utf8')).results.map((r) => ({ name: r.command, median: r.median * 1000, cpu: (r.user + r.system) * 1000 }))
  byName = Object.fromEntries(results.map((r) => [r.name, r]))
  const node = byName['node -e 0']
  const podman = byName['podman run --rm --network none']
  console.log(`\n1. wall time, median of ${RUNS} (hyperfine -N); cpu = user+sys of the client process (mean)`)
  console.log(`${'command'.padEnd(34)} ${'median'.padStart(9)} ${'x node'.padStart(7)} ${'node+'.padStart(8)} ${'x podman'.padStart(9)} ${'cpu'.padStart(8)}`)
  for (const r of results) {
    const vsPodman = podman ? `${(r.median / podman.median).toFixed(2)}x` : '-'
    console.log(`${r.name.padEnd(34)} ${r.median.toFixed(1).padStart(7)}ms ${(r.median / node.median).toFixed(2).padStart(6)}x ${(r.median - node.median).toFixed(1).padStart(6)}ms ${vsPodman.padStart(9)} ${r.cpu.toFixed(1).padStart(6)}ms`)
  }
  const none = byName['tocker run --rm --network none']
  const bridge = byName['tocker run --rm (bridge)']
  const goal = (label, ok) => `${label}: ${ok ? 'met' : 'NOT met'}`
  console.log(
    [
      goal(`run --network none <= node + 40 ms (${(none.median - node.median).toFixed(1)})`, none.median - node.median <= 40),
      podman ? goal(`<= 0.8x podman (${(none.median / podman.median).toFixed(2)})`, none.median / podman.median <= 0.8) : 'podman: not installed',
      goal(`bridge <= node + 55 ms (${(bridge.median - node.median).toFixed(1)})`, bridge.median - node.median <= 55),
      goal(`ps <= 1.2x (${(byName['tocker ps'].median / node.median).toFixed(2)})`, byName['tocker ps'].median / node.median <= 1.2),
      goal(`images <= 1.2x (${(byName['tocker images'].median / node.median).toFixed(2)})`, byName['tocker images'].median / node.median <= 1.2),
    ].join('\n'),
  )
}

// CPU per run, engine and CLI apart (user+sys from /proc: steadier than wall time on a loaded
// machine): K runs one after the other against each engine, --network none and bridge. "engine+"
// adds the processes the engine started and reaped (ip, iptables-restore; the shims are not its
// children): what a network step costs in processes shows there.
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100
const statOf = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
const cpuOf = (pid) => {
  const f = statOf(pid)
  return { own: ((Number(f[11]) + Number(f[12])) * 1000) / ticks, kids: ((Number(f[13]) + Number(f[14])) * 1000) / ticks } // utime+stime, cutime+cstime (fields 14-17)
}
function cpuPerRun(label, pid, cli, net, k = 10) {
  const e0 = cpuOf(pid)
  const c0 = cpuOf(process.pid).kids
  for (let i = 0; i < k; i++) if (cli('run', '--rm', ...(net === 'none' ? ['--network', 'none'] : []), 'busybox', 'true').status !== 0) throw new Error(`${label}: run failed`)
  const e1 = cpuOf(pid)
  const e = (e1.own - e0.own) / k
  const kids = (e1.kids - e0.kids) / k
  const c = (cpuOf(process.pid).kids - c0) / k
  console.log(`${label.padEnd(24)} engine ${e.toFixed(1).padStart(6)} ms  engine+ ${(e + kids).toFixed(1).padStart(6)} ms  CLI ${c.toFixed(1).padStart(6)} ms  (CPU per run --rm ${net === 'none' ? '--network none' : '(bridge)'}, ${k} runs)`)
  return { e, c, all: e + kids }
}
console.log('')
for (const net of PROFILE_ONLY ? [] : ['none', 'bridge']) {
  const cpuMine = cpuPerRun(`tocker ${net}`, engine.pid, tocker, net)
  if (BASE) {
    const cpuBase = cpuPerRun(`base ${net}`, baseEngine.pid, base, net)
    console.log(`${net}: engine CPU ${(cpuMine.e / cpuBase.e).toFixed(2)}x of base (with its processes ${(cpuMine.all / cpuBase.all).toFixed(2)}x), CLI CPU ${(cpuMine.c / cpuBase.c).toFixed(2)}x of base`)
  }
}

// Interleaved A/B against the baseline (one of each in turn, so a load that comes and goes hurts
// both alike; hyperfine above runs each command's runs in one block).
if (BASE && !PROFILE_ONLY) {
  const wall = (fn) => {
    const t0 = performance.now()
    if (fn().status !== 0) throw new Error('A/B run failed')
    return performance.now() - t0
  }
  // `run -d -p` + `rm -f` (issue 14: <= 0.8x of the base): two CLI calls, a published port (a
  // host port the kernel picks: both engines share this network namespace).
  const detached = (cli) => () => {
    const r = cli('run', '-d', '-p', '80', 'busybox', 'sleep', '1000')
    if (r.status !== 0) return r
    return cli('rm', '-f', r.stdout.trim())
  }
  for (
    const [label, args] of [
      ['run --rm --network none', ['run', '--rm', '--network', 'none', 'busybox', 'true']],
      ['run --rm (bridge)', ['run', '--rm', 'busybox', 'true']],
      ['run -d -p + rm -f', detached],
    ]
  ) {
    const mine = []
    const theirs = []
    const of = (cli) => (typeof args === 'function' ? args(cli) : () => cli(...args))
    for (let i = 0; i < RUNS; i++) {
      mine.push(wall(of(tocker)))
      theirs.push(wall(of(base)))
    }
    console.log(`A/B interleaved ${label.padEnd(26)} tocker ${median(mine).toFixed(1).padStart(7)} ms  base ${median(theirs).toFixed(1).padStart(7)} ms  = ${(median(mine) / median(theirs)).toFixed(2)}x (${RUNS} each)`)
  }
  // ps and images beside `node -e 0` in the same turns (the goal is <= 1.2x node), wall and CPU
  // (user+sys of the process, from this process's reaped children).
  const ownKids = () => cpuOf(process.pid).kids
  const timed = (fn) => {
    const c0 = ownKids()
    const w = wall(fn)
    return { w, c: ownKids() - c0 }
  }
  const node = () => spawnSync(process.execPath, ['-e', '0'])
  for (const cmd of ['ps', 'images']) {
    const rows = { node: [], mine: [], theirs: [] }
    for (let i = 0; i < 2 * RUNS; i++) {
      rows.node.push(timed(node))
      rows.mine.push(timed(() => tocker(cmd)))
      rows.theirs.push(timed(() => base(cmd)))
    }
    const w = (k) => median(rows[k].map((r) => r.w))
    const c = (k) => rows[k].reduce((n, r) => n + r.c, 0) / rows[k].length
    console.log(
      `A/B interleaved ${cmd.padEnd(26)} tocker ${w('mine').toFixed(1).padStart(7)} ms  base ${w('theirs').toFixed(1).padStart(7)} ms  node -e 0 ${w('node').toFixed(1)} ms: ${(w('mine') / w('node')).toFixed(2)}x node (base ${
        (w('theirs') / w('node')).toFixed(2)
      }x); CPU ${c('mine').toFixed(1)} / ${c('theirs').toFixed(1)} / node ${c('node').toFixed(1)} ms (${2 * RUNS} each)`,
    )
  }
}

if (AB_ONLY) process.exit(0)
if (BASE && !PROFILE_ONLY) {
  const vs = (mine, theirs) => `${mine}: ${(byName[mine].median / byName[theirs].median).toFixed(2)}x of base (${(byName[mine].median - byName[theirs].median).toFixed(1)} ms)`
  console.log(
    [
      vs('tocker run --rm --network none', 'base: run --rm --network none'),
      vs('tocker run --rm (bridge)', 'base: run --rm (bridge)'),
      vs('tocker ps', 'base: ps'),
      vs('tocker images', 'base: images'),
    ].join('\n'),
  )
}

// ---- 2. the profile ----
if (baseEngine) baseEngine.kill('SIGTERM')
stopEngine()
const engineLog = join(work, 'engine-profile.jsonl')
// --trace: the kernel steps too. Off by default: a trace listener makes the engine do the work of
// describing every step (the order of what it does is the same either way).
startEngine({ ...baseEnv, TOCKER_BENCH_PROFILE: engineLog, TOCKER_BENCH_PROFILE_TRACE: TRACE ? '1' : '' })
// Both networks, one after the other: the bridge's rows beside --network none's show what the
// veth, its addresses and its release cost.
const profiles = { none: [], bridge: [], 'run -d -p': [], 'rm -f': [] }
/** Every profiled CLI's log, warm-up runs too, in the order they ran (ownedEvents: where one run ends). */
const ranLogs = []
const profiled = (cliLog, args) => {
  ranLogs.push(cliLog)
  const r = spawnSync(process.execPath, ['-r', CLI_HOOK, TOCKER, '--root', root, ...args], { encoding: 'utf8', env: { ...baseEnv, TOCKER_BENCH_PROFILE: cliLog }, timeout: 60_000 })
  if (r.status !== 0) throw new Error(`profiled ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}
for (const mode of ['none', 'bridge', 'run -d -p']) {
  for (let i = 0; i < PROFILED + 2; i++) {
    const cliLog = join(work, `cli-profile-${mode.replace(/\W+/g, '')}-${i}.jsonl`)
    if (mode === 'run -d -p') {
      // `run -d -p 80` and then `rm -f` of it, each profiled: the A/B's third pair, phase by phase.
      const id = profiled(cliLog, ['run', '-d', '-p', '80', 'busybox', 'sleep', '1000'])
      const rmLog = join(work, `cli-profile-rmf-${i}.jsonl`)
      profiled(rmLog, ['rm', '-f', id])
      if (i >= 2) profiles['rm -f'].push(rmLog)
    } else profiled(cliLog, ['run', '--rm', ...(mode === 'none' ? ['--network', 'none'] : []), 'busybox', 'true'])
    if (i >= 2) profiles[mode].push(cliLog) // the first two warm the engine's JIT
  }
}
const engineEvents = readFileSync(engineLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const readCli = (cliLog) => readFileSync(cliLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
const cliStarts = ranLogs.map((l) => readCli(l).find((e) => e.ev === 'process-start').t)

/** The engine's events of one profiled run (profile-runs.mjs says which). */
const ownedEvents = (t0, end) => ownedEventsOf(engineEvents, cliStarts, t0, end)

/**
 * --timeline: each profiled run's events in the order they happened (the medians above do not add
 * up; one run's sequence shows what waits for what). Spans print at their start, with their end.
 */
function printTimeline(mode, runs) {
  for (const [i, cliLog] of runs.entries()) {
    const cli = readCli(cliLog)
    const t0 = cli.find((e) => e.ev === 'process-start').t
    const end = cli.find((e) => e.ev === 'exit').t
    const evs = [...cli, ...ownedEvents(t0, end)]
      .filter((e) => e.ev !== 'process-start')
      .map((e) => ({
        at: (e.t0 ?? e.t) - t0,
        text: e.ev === 'span'
          ? `  engine span ${e.name} ... ${(e.t - t0).toFixed(1)} (${(e.t - e.t0).toFixed(1)})`
          : `${e.who === 'engine' ? '  engine' : 'cli'} ${e.ev}${e.name ? ` ${e.name}` : ''}${e.ev === 'trace' ? ` ${e.kind} ${e.op} ${e.ms.toFixed(2)} ms ${e.detail}` : ''}`,
      }))
      .sort((a, b) => a.at - b.at)
    console.log(`\ntimeline of profiled run ${i + 1} (${mode}), ms from the CLI's process start`)
    for (const e of evs) console.log(`${e.at.toFixed(1).padStart(8)}  ${e.text}`)
  }
}

/** One run's rows: [label, start offset, duration] relative to the CLI's process start. */
function rowsOf(cliLog) {
  const cli = readCli(cliLog)
  const t0 = cli.find((e) => e.ev === 'process-start').t
  const end = cli.find((e) => e.ev === 'exit').t
  const eng = ownedEvents(t0, end)
  const rows = []
  const at = (e) => e.t - t0
  const preload = cli.find((e) => e.ev === 'preload')
  // A whole JSON request (rm, ps, ...) goes over libuv's pipe handle (src/api/pipe-request.ts),
  // which profile-hook-cli.cjs does not see: then the engine's side stands for it, from its
  // arrival to its answer (the CLI's own send and read are not in the rows).
  const cliReqs = cli.filter((e) => e.ev === 'req')
  const firstReq = cliReqs[0] ?? eng.find((e) => e.ev === 'srv-req')
  rows.push(['cli: Node start (exec to first line of JS)', 0, at(preload)])
  if (firstReq) rows.push([`cli: module loading, parsing, request body${cliReqs.length ? '' : ' (to its arrival)'}`, at(preload), firstReq.t - preload.t])
  if (!cliReqs.length) {
    for (const srv of eng.filter((e) => e.ev === 'srv-req')) {
      const res = eng.find((e) => e.ev === 'srv-res' && e.name === srv.name && e.t >= srv.t)
      if (res) rows.push([`api: ${srv.name} (engine side, on the pipe handle)`, at(srv), res.t - srv.t])
    }
  }
  for (const req of cliReqs) {
    const done = cli.find((e) => e.t >= req.t && e.name === req.name && (e.ev === 'res-end' || e.ev === 'res-upgrade'))
    const head = cli.find((e) => e.t >= req.t && e.name === req.name && e.ev === 'res-head')
    const label = req.name.startsWith('POST /containers/{id}/wait') ? 'api: POST wait (until the answer)' : `api: ${req.name}`
    if (req.name.endsWith('/wait') && head) rows.push(['api: POST wait (registered, headers back)', at(req), head.t - req.t])
    rows.push([label, at(req), (done ?? head ?? req).t - req.t])
    const srv = eng.find((e) => e.ev === 'srv-req' && e.name === req.name && e.t >= req.t)
    if (srv) rows.push([`  engine: request arrives (${req.name.split(' ')[1].replace('/containers/{id}', '')})`, at(req), srv.t - req.t])
  }
  const seen = {}
  for (const s of eng.filter((e) => e.ev === 'span').sort((a, b) => a.t0 - b.t0)) {
    const n = (seen[s.name] = (seen[s.name] ?? 0) + 1)
    rows.push([`  engine: ${s.name}${n > 1 ? ` (#${n})` : ''}`, s.t0 - t0, s.t - s.t0])
  }
  const ran = exitNoticed(eng)
  if (ran) rows.push(['  engine: container runs, exit noticed (begin end to exit)', ran.at - t0, ran.ms])
  // The engine's FIN after an answer (profile-hook-cli.cjs): one that had not come by the exit is not there.
  const lastRes = cli.filter((e) => e.ev === 'res-end').pop() ?? cli.filter((e) => e.ev === 'res-head').pop() ?? eng.filter((e) => e.ev === 'srv-res').pop()
  if (lastRes) rows.push([`cli: after the last answer until exit${cliReqs.length ? '' : " (from the engine's answer)"}`, at(lastRes), end - lastRes.t])
  rows.push(['total: CLI process start to exit', 0, end - t0])
  const trace = {}
  for (const e of eng.filter((x) => x.ev === 'trace')) {
    const k = `${e.kind} ${e.op}`
    trace[k] = trace[k] ?? { n: 0, ms: 0 }
    trace[k].n++
    trace[k].ms += e.ms
  }
  return { rows, trace }
}

/** The engine's "runtime create" (median, --network none), for part 3b's ratio to its floor. */
let engineCreate
for (const [mode, runs] of Object.entries(profiles)) {
  const perRun = runs.map(rowsOf)
  const labels = []
  for (const r of perRun) for (const [l] of r.rows) if (!labels.includes(l)) labels.push(l)
  const table = labels.map((l) => {
    const got = perRun.map((r) => r.rows.find((x) => x[0] === l)).filter(Boolean)
    return { l, start: median(got.map((x) => x[1])), dur: median(got.map((x) => x[2])), n: got.length }
  })
  table.sort((a, b) => (a.l.startsWith('total') ? 1 : b.l.startsWith('total') ? -1 : a.start - b.start))
  if (mode === 'none') engineCreate = table.find((r) => r.l.startsWith('  engine: runtime create'))?.dur
  const what = mode === 'none' ? 'run --rm --network none busybox true' : mode === 'bridge' ? 'run --rm busybox true' : mode === 'run -d -p' ? 'run -d -p 80 busybox sleep 1000' : 'rm -f <that container>'
  console.log(`\n2. profile of \`${what}\`, median of ${perRun.length} profiled runs (ms from the CLI's process start)`)
  console.log(`${'phase'.padEnd(62)} ${'starts'.padStart(8)} ${'takes'.padStart(8)}`)
  for (const r of table) console.log(`${r.l.padEnd(62)} ${r.start.toFixed(1).padStart(8)} ${r.dur.toFixed(1).padStart(8)}${r.n < perRun.length ? `  (${r.n} runs)` : ''}`)
  const kinds = {}
  for (const r of perRun) for (const [k, v] of Object.entries(r.trace)) (kinds[k] ??= []).push(v)
  const traceRows = Object.entries(kinds)
    .map(([k, v]) => ({ k, n: median(v.map((x) => x.n)), ms: median(v.map((x) => x.ms)) }))
    .sort((a, b) => b.ms - a.ms)
  if (TRACE) console.log(`\nkernel steps in the engine (trace layer; median per run of count and summed ms, top 12)`)
  if (TRACE) { for (const r of traceRows.slice(0, 12)) console.log(`  ${r.k.padEnd(40)} ${String(r.n).padStart(4)}x ${r.ms.toFixed(2).padStart(8)} ms`) }
  if (TIMELINE) printTimeline(mode, runs)
}
if (!PROFILE_ONLY) {
  await printFloors({ repo, sock: join(root, 'tocker.sock'), work, bridge: 'tocker0', runs: PROFILED + 4 })
  await printCreateFloor({ repo, tocker, root, work, runs: PROFILED + 4, engineCreate })
}
console.log(`\nload average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (on ${availableParallelism()} CPUs)`)
process.exit(0)
