#!/usr/bin/env node
// The low-level runtime, this tree against another built checkout, interleaved in one process:
// create / start / wait / delete of /bin/true (busybox), each phase timed, with the state root
// on disk (where an engine with --root elsewhere than /var/lib/tocker keeps it: <root>/runtime)
// and on a tmpfs (/run/tocker/runtime, the default store's); and 'log': `echo hello` with its
// output relayed into a json-file log on disk, as the engine runs containers. Alternating A and B run by run, so
// that the neighbours' load falls on both alike; medians and ratios.
//
//   node test/bench/create-ab.mjs --baseline DIR [iterations=60]      (root, after npm run build in both)
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const CGROUP2_MAGIC = 0x63677270
const args = process.argv.slice(2)
const bi = args.indexOf('--baseline')
if (bi < 0 || process.getuid() !== 0) {
  console.error('usage (root): node test/bench/create-ab.mjs --baseline DIR [iterations=60]')
  process.exit(1)
}
const BASE = resolve(args.splice(bi, 2)[1])
const N = Number(args[0] ?? 60)
// As start.mjs: on a hybrid cgroup host, a private mount namespace whose /sys/fs/cgroup is cgroup2.
if (statfsSync('/sys/fs/cgroup').type !== CGROUP2_MAGIC && !process.env.TOCKER_BENCH_WRAPPED) {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"', 'sh', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TOCKER_BENCH_WRAPPED: '1' },
  })
  process.exit(r.status ?? 1)
}
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const load = (dir) => import(pathToFileURL(join(dir, 'dist/src/runtime/index.js')).href)
const sides = { tocker: await load(repo), base: await load(BASE) }

const work = mkdtempSync(join(tmpdir(), 'tocker-bench-create-ab-'))
const shm = mkdtempSync('/dev/shm/tocker-bench-create-ab-')
process.on('exit', () => {
  rmSync(work, { recursive: true, force: true })
  rmSync(shm, { recursive: true, force: true })
})
const bundle = join(work, 'bundle')
mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true })
copyFileSync('/bin/busybox', join(bundle, 'rootfs', 'bin', 'busybox'))
chmodSync(join(bundle, 'rootfs', 'bin', 'busybox'), 0o755)
symlinkSync('busybox', join(bundle, 'rootfs', 'bin', 'true'))
writeFileSync(join(bundle, 'config.json'), JSON.stringify(sides.tocker.defaultSpec(['/bin/true'])))
// 'log': a container that prints a line, its output relayed by the shim into a json-file log on
// disk (as the engine's containers/<id>/<id>-json.log), its state on a tmpfs: the exit path of a
// `run --rm` that prints.
const echo = join(work, 'echo')
mkdirSync(echo)
symlinkSync(join(bundle, 'rootfs'), join(echo, 'rootfs'))
writeFileSync(join(echo, 'config.json'), JSON.stringify(sides.tocker.defaultSpec(['/bin/busybox', 'echo', 'hello'])))
const logs = join(work, 'logs')
mkdirSync(logs)

const roots = { disk: join(work, 'state'), tmpfs: join(shm, 'state'), log: join(shm, 'state-log') }
const WHERE = Object.keys(roots)
const times = {}
async function once(side, where, i, keep) {
  const rt = sides[side]
  const id = `ab-${side}-${i}`
  const opts = where === 'log'
    ? { id, bundle: echo, stateRoot: roots[where], log: { dir: logs, name: `${id}-json.log` } }
    : { id, bundle, stateRoot: roots[where], stdio: { stdin: 'ignore', stdout: 1, stderr: 2 } }
  const t0 = performance.now()
  const c = await rt.createContainer(opts)
  const t1 = performance.now()
  await c.start()
  const code = await c.wait()
  const t2 = performance.now()
  await rt.deleteContainer(opts.id, { ...opts, force: true })
  const t3 = performance.now()
  if (code !== 0) throw new Error(`${side}: /bin/true exited ${code}`)
  if (!keep) return
  const k = `${where} ${side}`
  times[k] ??= { create: [], 'start+wait': [], delete: [], total: [] }
  times[k].create.push(t1 - t0)
  times[k]['start+wait'].push(t2 - t1)
  times[k].delete.push(t3 - t2)
  times[k].total.push(t3 - t0)
}
for (let i = 0; i < N + 5; i++) {
  for (const where of WHERE) {
    const order = i % 2 ? ['tocker', 'base'] : ['base', 'tocker']
    for (const side of order) await once(side, where, i, i >= 5)
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const phases = ['create', 'start+wait', 'delete', 'total']
console.log(`\nmedians of ${N} runs each, ms (${'state root'.padEnd(5)})  ${phases.map((p) => p.padStart(11)).join('')}`)
for (const where of WHERE) {
  for (const side of ['tocker', 'base']) console.log(`${`${where} ${side}`.padEnd(40)}  ${phases.map((p) => med(times[`${where} ${side}`][p]).toFixed(2).padStart(11)).join('')}`)
  console.log(`${`${where} tocker / base`.padEnd(40)}  ${phases.map((p) => `${(med(times[`${where} tocker`][p]) / med(times[`${where} base`][p])).toFixed(2)}x`.padStart(11)).join('')}`)
}
console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (on ${availableParallelism()} CPUs)`)
