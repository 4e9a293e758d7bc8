#!/usr/bin/env node
// What Docker's default seccomp profile costs a container, in one run on this machine:
//   1. `tocker run --rm busybox true` with the default filter against the same with
//      --security-opt seccomp=unconfined, through the CLI and the engine (the whole user-visible
//      cost), the two interleaved so that the machine's load hits both alike;
//   2. the runtime alone (create + start + wait + delete of a bundle, no CLI, no engine), with and
//      without the filter: the gate's part (hex decode + seccomp(2) + the filter on its last calls);
//   3. the one-time compile of the profile (native-shims/out/seccomp: libseccomp, three
//      architectures), which the engine pays at its first container only.
//
//   node test/bench/seccomp.mjs [runs=20]
//
// Runs in a private network namespace (unshare --net --mount), like the tests.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TOCKER = join(repoRoot, 'bin', 'tocker')
const dist = (p) => import(join(repoRoot, 'dist', 'src', p))
const RUNS = Number(process.argv[2] ?? 20)
const work = mkdtempSync(join(tmpdir(), 'tocker-bench-seccomp-'))
const root = join(work, 'store')
let engine

function cleanup() {
  try {
    if (engine?.exitCode === null) process.kill(engine.pid, 'SIGTERM')
  } catch {}
  waitForProcessesNaming(work)
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function tocker(args) {
  const r = spawnSync(process.execPath, [TOCKER, '--root', root, ...args], { encoding: 'utf8', env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
  if (r.status !== 0) throw new Error(`tocker ${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
  return r.stdout
}

const now = () => Number(process.hrtime.bigint()) / 1e6
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
const row = (name, on, off) => console.log(`${name.padEnd(44)} seccomp ${median(on).toFixed(1).padStart(7)} ms   unconfined ${median(off).toFixed(1).padStart(7)} ms   ratio ${(median(on) / median(off)).toFixed(2)}`)

// --- 1. through the CLI and the engine ---
const busyboxTar = join(repoRoot, 'rootfs-cache', 'out', 'busybox.tar')
if (!existsSync(busyboxTar)) throw new Error('rootfs-cache/out/busybox.tar is missing: run node rootfs-cache/build.mjs')
engine = spawn(process.execPath, [TOCKER, '--root', root, 'daemon'], { stdio: 'ignore' })
for (let i = 0; i < 200 && !existsSync(join(root, 'tocker.sock')); i++) await new Promise((r) => setTimeout(r, 50))
tocker(['load', '-i', busyboxTar])
const cli = { on: [], off: [] }
const WITH = ['run', '--rm', 'busybox', 'true']
const WITHOUT = ['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'true']
for (let i = 0; i < 3; i++) {
  // warm-up (and the engine's one compile)
  tocker(WITH)
  tocker(WITHOUT)
}
for (let i = 0; i < RUNS; i++) {
  for (const [mode, args] of i % 2 ? [['on', WITH], ['off', WITHOUT]] : [['off', WITHOUT], ['on', WITH]]) {
    const t0 = now()
    tocker(args)
    cli[mode].push(now() - t0)
  }
}

// --- 2. the runtime alone ---
const { defaultSpec } = await dist('runtime/default-spec.js')
const { runContainer } = await dist('runtime/container.js')
const { DEFAULT_SECCOMP_PROFILE } = await dist('runtime/seccomp/default-profile.js')
const { toLinuxSeccomp } = await dist('runtime/seccomp/docker-profile.js')
const { compileSeccomp } = await dist('runtime/seccomp/compile.js')
const { DEFAULT_CAPABILITIES } = await dist('runtime/caps.js')
const rootfs = join(work, 'bundle', 'rootfs')
mkdirSync(join(rootfs, 'bin'), { recursive: true })
mkdirSync(join(rootfs, 'etc'))
copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'))
chmodSync(join(rootfs, 'bin', 'busybox'), 0o755)
symlinkSync('busybox', join(rootfs, 'bin', 'true'))
writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
const filter = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES })
const compileStart = now()
const compiled = await compileSeccomp(filter)
const compileMs = now() - compileStart
const rt = { on: [], off: [] }
for (let i = 0; i < RUNS * 2 + 4; i++) {
  const mode = i % 2 ? 'on' : 'off'
  const spec = defaultSpec(['true'])
  if (mode === 'on') spec.linux.seccomp = filter
  const t0 = now()
  await runContainer({ id: `bench-sc-${i}`, bundle: { path: join(work, 'bundle'), spec }, stateRoot: join(work, 'state'), stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
  if (i >= 4) rt[mode].push(now() - t0)
}

// --- 3. the compile, a few more times (a fresh process each: no cache) ---
const compiles = [compileMs]
const input = (await dist('runtime/seccomp/filter.js')).compilerInput(filter)
for (let i = 0; i < 5; i++) {
  const t0 = now()
  const r = spawnSync(join(repoRoot, 'native-shims', 'out', 'seccomp'), { input, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  compiles.push(now() - t0)
}

console.log(`seccomp cost, ${RUNS} interleaved runs each, medians (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}):`)
row('tocker run --rm busybox true (CLI + engine)', cli.on, cli.off)
row('runtime create+start+wait+delete', rt.on, rt.off)
console.log(`compile Docker's profile once (${compiled.rules} rules → ${compiled.instructions} BPF instructions): median ${median(compiles).toFixed(1)} ms, min ${Math.min(...compiles).toFixed(1)} ms`)
