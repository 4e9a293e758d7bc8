#!/usr/bin/env node
// CLI start-up (issues 9 and 14), in one hyperfine run: `tocker ps`, `tocker images`, `tocker run
// --rm --network none busybox true` and `tocker --help` beside `node -e 0` (Node's own floor) and
// Docker's Go CLI against the same engine. Goal: ps/images ≤ 1.2 × node -e 0. Printed as ratios of
// the mean wall time and of the CPU time (user + sys; steadier on a loaded machine).
//
//   node test/bench/cli-start.mjs [runs=20]          (after npm run build; root)
//
// Runs in a private network namespace with its own store and engine; busybox is loaded from
// rootfs-cache/out/busybox.tar.
import './node-env.mjs'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TOCKER = join(repo, 'bin', 'tocker')
const RUNS = Number(process.argv[2] ?? 20)
const work = mkdtempSync(join(tmpdir(), 'tocker-bench-cli-'))
const root = join(work, 'store')
const env = { ...process.env, TOCKER_NO_AUTOSTART: '1', NODE_OPTIONS: '' }
const engine = spawn(process.execPath, [TOCKER, '--root', root, 'daemon'], { stdio: 'ignore', env })
process.on('exit', () => {
  if (engine.exitCode === null) engine.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})
const tocker = (...args) => spawnSync(process.execPath, [TOCKER, '--root', root, ...args], { encoding: 'utf8', env })
for (let i = 0; i < 200 && !(existsSync(join(root, 'tocker.sock')) && tocker('ps').status === 0); i++) spawnSync('sleep', ['0.05'])
const loaded = tocker('load', '-i', join(repo, 'rootfs-cache', 'out', 'busybox.tar'))
if (loaded.status !== 0) throw new Error(`load: ${loaded.stderr}`)

const t = (args) => [process.execPath, TOCKER, '--root', root, ...args].join(' ')
const commands = [
  ['node -e 0', `${process.execPath} -e 0`],
  ['tocker ps', t(['ps'])],
  ['tocker images', t(['images'])],
  ['tocker --help', t(['--help'])],
  ['tocker run --rm --network none busybox true', t(['run', '--rm', '--network', 'none', 'busybox', 'true'])],
]
const docker = spawnSync('docker', ['--version']).status === 0
if (docker) commands.push(['docker ps (Go CLI, same engine)', `docker -H unix://${root}/tocker.sock ps`])

const out = join(work, 'hyperfine.json')
const args = ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out]
for (const [name, cmd] of commands) args.push('-n', name, cmd)
const hf = spawnSync('hyperfine', args, { stdio: ['ignore', 'ignore', 'inherit'], env })
if (hf.status !== 0) throw new Error('hyperfine failed')
const results = JSON.parse(readFileSync(out, 'utf8')).results
const base = results[0]
const cpu = (r) => r.user + r.system
console.log(`${'command'.padEnd(46)} ${'mean'.padStart(9)} ${'× node'.padStart(7)} ${'cpu'.padStart(9)} ${'× node'.padStart(7)}`)
for (const r of results) {
  console.log(
    `${r.command.padEnd(46)} ${(r.mean * 1000).toFixed(1).padStart(7)}ms ${(r.mean / base.mean).toFixed(2).padStart(6)}x ${(cpu(r) * 1000).toFixed(1).padStart(7)}ms ${(cpu(r) / cpu(base)).toFixed(2).padStart(6)}x`,
  )
}
// The engine child keeps the event loop alive: without this the bench never ended (its 'exit'
// handler, which stops the engine, never ran).
process.exit(0)
