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
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { buildRootfsCache, DEFAULT_OUT } from '../../rootfs-cache/build.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TOCKER = join(repoRoot, 'bin', 'tocker')
const RUNS = Number(process.argv[2] ?? 15)
const work = mkdtempSync(join(tmpdir(), 'tocker-bench-lifecycle-'))
const root = join(work, 'store')
let registry
let engine

function cleanup() {
  try {
    if (engine) {
      const ids = spawnSync(process.execPath, [TOCKER, '--root', root, 'ps', '-aq'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
      for (let i = 0; i < ids.length; i += 50) spawnSync(process.execPath, [TOCKER, '--root', root, 'rm', '-f', ...ids.slice(i, i + 50)])
      if (engine.exitCode === null) process.kill(engine.pid, 'SIGTERM')
    }
    if (registry?.exitCode === null) process.kill(registry.pid, 'SIGTERM')
  } catch {}
  // Wait (synchronously: this runs in the 'exit' handler) until no process of this store is left.
  waitForProcessesNaming(work)
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function tocker(args, opts = {}) {
  const r = spawnSync(process.execPath, [TOCKER, '--root', root, ...args], { encoding: 'utf8', env: { ...process.env, TOCKER_NO_AUTOSTART: '1' }, ...opts })
  if (r.status !== 0) throw new Error(`tocker ${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
  return r.stdout
}

function timeMs(fn) {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

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

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (fn()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out: ${what}`)
}

// --- set-up: registry with busybox, a store, an engine ---
const port = await freePort()
const addr = `127.0.0.1:${port}`
const regDir = join(work, 'registry')
mkdirSync(regDir)
writeFileSync(
  join(regDir, 'config.yml'),
  `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${regDir}/data\nhttp:\n  addr: ${addr}\n  secret: ${randomBytes(8).toString('hex')}\n`,
)
registry = spawn('/usr/bin/docker-registry', ['serve', join(regDir, 'config.yml')], { stdio: 'ignore' })
const built = await buildRootfsCache({ outDir: DEFAULT_OUT, only: ['busybox'] })
await until(() => spawnSync('curl', ['-sf', `http://${addr}/v2/`]).status === 0, 'registry')
const push = spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${built.busybox.layout}:latest`, `docker://${addr}/library/busybox:latest`], { encoding: 'utf8' })
if (push.status !== 0) throw new Error(`skopeo: ${push.stderr}`)
const BUSYBOX = `${addr}/library/busybox`

engine = spawn(process.execPath, [TOCKER, '--root', root, 'daemon'], { stdio: 'ignore' })
await until(() => existsSync(join(root, 'tocker.sock')) && spawnSync(process.execPath, [TOCKER, '--root', root, 'ps'], { env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } }).status === 0, 'engine')
tocker(['pull', BUSYBOX])

/** CPU time (user+sys) of one run, from GNU time: steadier than wall time on a busy machine. */
function cpuMs(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { encoding: 'utf8', env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
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
