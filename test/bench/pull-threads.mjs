#!/usr/bin/env node
// Which thread does the work of a pull? (issue 17) pullImage() of `bench` then `bench-sibling` into a
// fresh store in this process, with the user/system CPU of each thread of the process (main thread,
// V8's platform threads, libuv's thread pool where zlib inflates, the unpacking threads where the
// files are written) and the time line of the layers' statuses.
//
//   node test/bench/pull-threads.mjs [runs=2]
//   V8FLAGS="--trace-gc" node test/bench/pull-threads.mjs 1     (V8 flags for every isolate, workers too)
//   CHECKOUT=/other/built/checkout node test/bench/pull-threads.mjs
//
// Threads have no names: the main thread is shown as "main"; the others by thread id, in the order
// they were created (V8's platform threads first, then libuv's pool, then the unpacking threads).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import v8 from 'node:v8'
if (process.env.V8FLAGS) v8.setFlagsFromString(process.env.V8FLAGS)
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { startBenchRegistry } from './bench-registry.mjs'
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()
const repoRoot = process.env.CHECKOUT ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dist = (p) => import(join(repoRoot, 'dist', 'src', p))
const [{ pullImage }, { ImageStore }, { parseReference }] = await Promise.all([dist('image/pull.js'), dist('image/store.js'), dist('image/reference.js')])
const work = mkdtempSync('/tmp/tocker-bench-threads-')
let registry
process.on('exit', () => {
  if (registry?.exitCode === null) registry.kill('SIGTERM')
  rmSync(work, { recursive: true, force: true })
})
const reg = await startBenchRegistry(work)
registry = reg.child
const TICK = 100
function tasks() {
  const m = new Map()
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
      m.set(t, [Number(f[11]), Number(f[12])])
    } catch {}
  }
  return m
}
const runs = Number(process.argv[2] ?? 2)
for (let run = 0; run < runs; run++) {
  for (const repo of ['bench', 'bench-sibling']) {
    const before = tasks()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const ev = []
    const store = new ImageStore(join(work, `s${run}`))
    await pullImage(parseReference(`${reg.addr}/${repo}:latest`), {
      store,
      onEvent: (e) => {
        if (e.kind === 'layer' && e.status !== 'Downloading') ev.push(`${((performance.now() - t0) / 1000).toFixed(2)} ${e.id} ${e.status}`)
      },
    })
    const wall = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    const after = tasks()
    const per = []
    for (const [t, [u, s]] of after) {
      const b = before.get(t) ?? [0, 0]
      const du = (u - b[0]) / TICK
      const ds = (s - b[1]) / TICK
      if (du + ds > 0.02) per.push(`${t === String(process.pid) ? 'main' : t}:${du.toFixed(2)}u/${ds.toFixed(2)}s`)
    }
    console.log(`${repo} run ${run}: wall ${wall.toFixed(2)} cpu ${(c.user / 1e6).toFixed(2)}u ${(c.system / 1e6).toFixed(2)}s load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`)
    console.log('  threads ' + per.join(' '))
    console.log('  ' + ev.join('\n  '))
  }
}
process.exit(0)
