#!/usr/bin/env node
// The engine benchmark (issue 4), in one run on this machine:
//   1. CLI start-up: `tocker ps` and `tocker images` against `node -e 0` (goal ≤ 1.2×): the CLI is a
//      thin client of the engine, so its cost is Node's start plus what it imports.
//   2. `tocker run -d busybox sleep` + `tocker rm -f` round trip (two CLI calls), next to the floor
//      of two `node -e 0`.
//   3. The engine's own memory (VmRSS of tockerd) with 0, 10 and 50 idle containers (goal: < 1 MiB
//      per container), and the number of Node processes (goal: the engine only; each container has
//      a small static C shim).
//
//   node test/bench/lifecycle.mjs [runs=15]
//
// Runs in a private network namespace (unshare --net --mount), like the tests: containers on the
// default bridge get veths there. busybox comes from rootfs-cache, pushed to Debian's
// docker-registry on 127.0.0.1 with skopeo, and pulled by tocker.
import './node-env.mjs'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { CLI_ENV, engineBench, timeMs, TOCKER } from './engine-bench.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const RUNS = Number(process.argv[2] ?? 15)
const bench = engineBench('tocker-bench-lifecycle-')
const { root, tocker } = bench

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] }
}

function measure(label, fn, runs = RUNS) {
  fn() // warm the page cache
  const st = stats(Array.from({ length: runs }, () => timeMs(fn)))
  console.log(`  ${label.padEnd(34)} ${st.median.toFixed(1).padStart(7)} ms  [${st.min.toFixed(1)}-${st.max.toFixed(1)}]`)
  return st.median
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m[1])
}

function nodeProcesses() {
  let n = 0
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8')
      if (cmd.includes(root) && cmd.split('\0')[0].endsWith('node')) n++
    } catch {}
  }
  return n
}

// --- set-up: registry with busybox, a store, an engine ---
const BUSYBOX = await bench.busyboxRegistry()
const engine = await bench.startEngine()
tocker(['pull', BUSYBOX])

/** CPU time (user+sys) of one run, from GNU time: steadier than wall time on a busy machine. */
function cpuMs(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { encoding: 'utf8', env: CLI_ENV })
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr)
  return m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN
}

function measureCpu(label, cmd, args) {
  cpuMs(cmd, args)
  const st = stats(Array.from({ length: RUNS }, () => cpuMs(cmd, args)))
  console.log(`  ${label.padEnd(34)} ${st.median.toFixed(0).padStart(7)} ms CPU  [${st.min.toFixed(0)}-${st.max.toFixed(0)}]`)
  return st.median
}

console.log(`tocker lifecycle benchmark (${RUNS} runs each, median [min-max])`)
console.log('CLI start-up, wall time:')
const node0 = measure('node -e 0', () => spawnSync(process.execPath, ['-e', '0']))
const ps = measure('tocker ps', () => tocker(['ps']))
let images
try {
  images = measure('tocker images', () => tocker(['images']))
} catch (err) {
  console.log(`  tocker images: ${err.message.split('\n')[0]}`)
}
console.log(`  ratio ps/node: ${(ps / node0).toFixed(2)}x${images ? `   images/node: ${(images / node0).toFixed(2)}x` : ''}   (goal <= 1.2x)`)
if (existsSync('/usr/bin/time')) {
  console.log('CLI start-up, CPU time (user+sys, 10 ms resolution):')
  const n = measureCpu('node -e 0', process.execPath, ['-e', '0'])
  const p = measureCpu('tocker ps', process.execPath, [TOCKER, '--root', root, 'ps'])
  const i = measureCpu('tocker images', process.execPath, [TOCKER, '--root', root, 'images'])
  console.log(`  ratio ps/node: ${(p / n).toFixed(2)}x   images/node: ${(i / n).toFixed(2)}x`)
}

console.log('run -d + rm -f round trip:')
const rt = measure('run -d busybox sleep 1000 + rm -f', () => {
  const id = tocker(['run', '-d', BUSYBOX, 'sleep', '1000']).trim()
  tocker(['rm', '-f', id])
}, Math.max(5, Math.floor(RUNS / 2)))
console.log(`  ratio to two node -e 0: ${(rt / (2 * node0)).toFixed(2)}x`)

console.log('engine memory with idle containers (VmRSS of tockerd):')
const rss0 = rssKiB(engine.pid)
console.log(`  0 containers:  ${(rss0 / 1024).toFixed(1)} MiB`)
let count = 0
const rss = {}
for (const target of [10, 50]) {
  for (; count < target; count++) tocker(['run', '-d', BUSYBOX, 'sleep', '100000'])
  await new Promise((r) => setTimeout(r, 1000))
  // Let V8 settle: the RSS that stays, not a transient peak.
  rss[target] = rssKiB(engine.pid)
  console.log(`  ${target} containers: ${(rss[target] / 1024).toFixed(1)} MiB  (+${((rss[target] - rss0) / target / 1024).toFixed(3)} MiB per container; goal < 1)`)
}
console.log(`  Node processes for this store: ${nodeProcesses()} (the engine; containers run under the C shim)`)

// The engine and the registry are our children: end them (and every container) before exiting.
process.exit(0)
