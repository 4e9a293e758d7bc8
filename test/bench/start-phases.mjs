// Where a start's time goes, phase by phase, for crun, tocker's runtime library and the
// unshare+chroot floor, measured the same way for all three: the kernel's process events
// (sched_process_fork/exec/exit, `perf record -k mono`, a few events per process: no syscall
// tracing, so the runs keep their speed) of the same busybox bundle running /bin/true.
//
// Every run is cut at the same four kernel events, whoever makes them:
//   start          crun / unshare: its execve; the library: runContainer called (a CLOCK_MONOTONIC
//                  mark of the Node process, the clock perf -k mono uses)
//   PID 1 forked   the fork(2)/clone(2) that made the process which execs /bin/true
//   execve         /bin/true's execve
//   exit           /bin/true's exit (PID 1 of the container, so its PID namespace goes with it)
//   end            crun / unshare: its exit; the library: runContainer returned (deleted too)
// and two sides are split further: crun's execve of itself again (from a sealed copy, /dev/fd/N:
// its CVE-2019-5736 defence), and the library at its posix_spawn of the shim (Node's fork event)
// and at its own steps' ends (create returned, start returned, the exit status read).
//
//   node test/bench/start-phases.mjs BUNDLE STATE_ROOT CRUN_ROOT [runs]      (root, after npm run build)
// start.mjs prints it after its own table. Without perf, it says so and prints nothing else.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(import.meta.url)
const repo = resolve(here, '..', '..', '..')
/** Library runs before the measured ones: the JIT and the caches warm up (as in start.mjs). */
const WARMUP = 30
const EVENTS = 'sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit'

/**
 * The process events of the tree under the process that wrote its pid to `pidFile` (the command
 * does, first thing): [{ t (ms), kind, pid, child?, file? }]. System-wide (-a), not per task:
 * following a command's children makes perf set up its counters in every fork, which slows the
 * side with more processes down.
 */
function recordEvents(argv, cwd, work, name, pidFile) {
  const data = join(work, `${name}.data`)
  const rec = spawnSync('perf', ['record', '-q', '-a', '-k', 'mono', '-o', data, '-e', EVENTS, '--', ...argv], { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (rec.status !== 0) throw new Error(`perf record ${argv.join(' ')} failed: ${rec.stderr}`)
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,time,event,trace'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr}`)
  const ours = new Set([Number(readFileSync(pidFile, 'utf8'))])
  const events = []
  for (const line of script.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+([\d.]+):\s+sched:sched_process_(fork|exec|exit):\s*(.*)$/.exec(line)
    if (!m) continue
    const [, pid, t, kind, rest] = m
    if (!ours.has(Number(pid))) continue // another process of the machine's
    const e = { t: Number(t) * 1000, kind, pid: Number(pid) }
    if (kind === 'fork') ours.add(e.child = Number(/child_pid=(\d+)/.exec(rest)[1]))
    if (kind === 'exec') e.file = /filename=(\S+)/.exec(rest)[1]
    if (kind === 'exit' && !/group_dead=true/.test(rest)) continue // a thread, not the process
    events.push(e)
  }
  return events
}

/** One run's anchor times (ms), from its window [start, end] of `events`. */
function cut(events, start, end, top) {
  const inRun = events.filter((e) => e.t >= start && e.t <= end)
  const exec = inRun.find((e) => e.kind === 'exec' && e.file === '/bin/true')
  if (!exec) return undefined
  const fork = inRun.find((e) => e.kind === 'fork' && e.child === exec.pid)
  const exit = inRun.find((e) => e.kind === 'exit' && e.pid === exec.pid && e.t >= exec.t)
  if (!fork || !exit) return undefined
  const run = { start, fork: fork.t, exec: exec.t, exit: exit.t, end }
  // The library: Node's own fork (posix_spawn of the shim). crun: its execve of itself again.
  const spawn = inRun.find((e) => e.kind === 'fork' && e.pid === top)
  if (spawn && spawn.t < fork.t) run.spawn = spawn.t
  const reexec = inRun.filter((e) => e.kind === 'exec' && e.pid === top && e.t > start)[0]
  if (reexec && reexec.t < fork.t) run.reexec = reexec.t
  return run
}

/** Windows of a command run in a shell loop: from the execve of `program` to its exit. */
function processRuns(events, program) {
  const runs = []
  for (const e of events) {
    if (e.kind !== 'exec' || !e.file.endsWith(`/${program}`)) continue
    const end = events.find((x) => x.kind === 'exit' && x.pid === e.pid && x.t > e.t)
    if (!end) continue
    const r = cut(events, e.t, end.t, e.pid)
    if (r) runs.push(r)
  }
  return runs
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length ? s[s.length >> 1] : NaN
}

/** The library, in a child Node process (so that perf sees it from its start): its runs' windows. */
function libraryRuns(bundle, stateRoot, runs, work) {
  const marks = join(work, 'library-marks.json')
  const pidFile = join(work, 'library.pid')
  const events = recordEvents([process.execPath, here, '--library-child', bundle, stateRoot, String(runs), marks, pidFile], bundle, work, 'library', pidFile)
  const nodePid = Number(readFileSync(pidFile, 'utf8'))
  const windows = JSON.parse(readFileSync(marks, 'utf8'))
  return windows.map(([s, e, created, started, exited]) => {
    const run = cut(events, s, e, nodePid)
    return run && { ...run, created, started, exited }
  }).filter(Boolean)
}

/**
 * Run all three sides `runs` times each, in `rounds` interleaved rounds, and return the table's rows: [label, crun, library, floor]
 * (ms, medians), plus the number of runs each median is of.
 */
export function phaseBreakdown({ bundle, rootfs, stateRoot, crunRoot, runs = 30, rounds = 3 }) {
  const work = mkdtempSync(join(tmpdir(), 'tocker-bench-phases-'))
  try {
    const loop = (name, cmd, n) => {
      const pidFile = join(work, `${name}.pid`)
      const argv = ['sh', '-c', `echo $$ > ${pidFile}; i=0; while [ $i -lt ${n} ]; do ${cmd} >/dev/null || exit 1; i=$((i+1)); done`]
      return recordEvents(argv, bundle, work, name, pidFile)
    }
    // Short rounds, the sides interleaved, so that a busy neighbour hurts every side alike.
    const crun = []
    const library = []
    const floor = []
    const each = Math.ceil(runs / rounds)
    for (let round = 0; round < rounds; round++) {
      crun.push(...processRuns(loop('crun', `crun --cgroup-manager=disabled --root ${crunRoot} run --bundle ${bundle} bench-phases`, each), 'crun'))
      library.push(...libraryRuns(bundle, stateRoot, each, work))
      floor.push(...processRuns(loop('floor', `unshare -m -u -i -n -p -f chroot ${rootfs} /bin/true`, each), 'unshare'))
    }
    const sides = [crun, library, floor]
    const row = (label, fn) => [label, ...sides.map((rs) => median(rs.map(fn)))]
    return {
      n: sides.map((s) => s.length),
      rows: [
        row('start → PID 1 forked', (r) => r.fork - r.start),
        row('  crun: its execve → its re-execve (sealed copy)', (r) => (r.reexec ? r.reexec - r.start : NaN)),
        row('  crun: re-execve → PID 1 forked', (r) => (r.reexec ? r.fork - r.reexec : NaN)),
        row('  library: start → posix_spawn of the shim', (r) => (r.spawn ? r.spawn - r.start : NaN)),
        row('  library: shim spawned → PID 1 forked', (r) => (r.spawn ? r.fork - r.spawn : NaN)),
        row('PID 1 forked → execve /bin/true', (r) => r.exec - r.fork),
        row('  library: PID 1 forked → create returned', (r) => (r.created ? r.created - r.fork : NaN)),
        row('  library: create returned → execve (start)', (r) => (r.created ? r.exec - r.created : NaN)),
        row('/bin/true: execve → exit', (r) => r.exit - r.exec),
        row('exit → end (reaped, state removed)', (r) => r.end - r.exit),
        row("  library: exit → the shim's exit status read", (r) => (r.exited ? r.exited - r.exit : NaN)),
        row('  library: exit status read → deleted', (r) => (r.exited ? r.end - r.exited : NaN)),
        row('total', (r) => r.end - r.start),
      ],
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Print the table (after a header that says how it was measured). */
export function printPhases(result) {
  const f = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : '—').padStart(10)
  console.log(`\nPhase by phase (kernel process events, perf record -k mono; medians of ${result.n.join(' / ')} runs):`)
  console.log(`${''.padEnd(50)} ${'crun'.padStart(10)} ${'library'.padStart(10)} ${'floor'.padStart(10)}`)
  for (const [label, ...v] of result.rows) console.log(`${label.padEnd(50)} ${v.map(f).join(' ')}`)
}

/**
 * The library's runs, in this process, marked with CLOCK_MONOTONIC (what perf -k mono uses): what
 * runContainer does (create without the gate's word, start, wait, delete), with a mark between
 * each step: [start, created, started, exit heard, end].
 */
async function libraryChild(bundle, stateRoot, runs, marksFile, pidFile) {
  writeFileSync(pidFile, String(process.pid))
  const { createContainerUnchecked, deleteContainer } = await import(join(repo, 'dist/src/runtime/container.js'))
  const windows = []
  const ms = () => Number(process.hrtime.bigint()) / 1e6
  for (let i = 0; i < runs + WARMUP; i++) {
    const opts = { id: `bench-phases-${i}`, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 1, stderr: 2 } }
    const start = ms()
    const c = await createContainerUnchecked(opts)
    const created = ms()
    let code, started, exited
    try {
      await c.start()
      started = ms()
      code = await c.wait()
      exited = ms()
    } finally {
      await deleteContainer(opts.id, { ...opts, force: true })
    }
    const end = ms()
    if (code !== 0) throw new Error(`/bin/true exited ${code}`)
    if (i >= WARMUP) windows.push([start, end, created, started, exited]) // the first ones warm up the JIT and the caches
  }
  writeFileSync(marksFile, JSON.stringify(windows))
}

if (process.argv[1] === here) {
  const args = process.argv.slice(2)
  if (args[0] === '--library-child') {
    await libraryChild(args[1], args[2], Number(args[3]), args[4], args[5])
  } else {
    const [bundle, stateRoot, crunRoot, runs] = args
    if (!bundle || !stateRoot || !crunRoot) {
      console.error('usage: node test/bench/start-phases.mjs BUNDLE STATE_ROOT CRUN_ROOT [runs]')
      process.exit(2)
    }
    printPhases(phaseBreakdown({ bundle, rootfs: join(bundle, 'rootfs'), stateRoot, crunRoot, runs: Number(runs ?? 20) }))
  }
}
