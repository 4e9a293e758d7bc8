#!/usr/bin/env node
/* global document -- the functions handed to page.waitForFunction run in the browser */
// The dashboard benchmark (issue 16), in one run on this machine:
//   1. page load to first render of the containers view with 50 containers, and of the images view
//      with 20 images (Debian's Chromium, headless, through playwright-core; a fresh page each run,
//      from navigation to the last row drawn), median of N;
//   2. the engine's CPU time over 10 s while the page is open and nobody touches it, beside the same
//      10 s with no page open (the reference; goal: the same, ~0: the page waits on /events);
//   3. the engine's memory (VmRSS) with the page open beside without it.
//
//   node test/bench/dashboard.mjs [runs=5]
//
// Runs in a private network namespace (unshare --net --mount), like the tests. The images are the
// offline busybox tarball loaded once and tagged 20 times; the containers are created (`tocker
// create`), 10 of them started: a list of 50 to draw without 50 running processes on a shared machine.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser, startDashboard } from '../helpers/dashboard.mjs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { buildRootfsCache, DEFAULT_OUT } from '../../rootfs-cache/build.mjs'
import { engineBench } from './engine-bench.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const RUNS = Number(process.argv[2] ?? 5)
const IDLE_S = 10
let dash
let browser
// The dashboard goes first at exit (the engine and its containers after it).
const bench = engineBench('tocker-bench-dashboard-', () => {
  if (dash?.child.exitCode === null) dash.child.kill('SIGTERM')
})
const { root, tocker } = bench

/** user+sys CPU time of a process so far, in ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// --- set-up: an engine, 20 images, 50 containers (10 running), the dashboard, Chromium ---
await buildRootfsCache({ outDir: DEFAULT_OUT, only: ['busybox'] })
const engine = await bench.startEngine()
tocker(['load', '-i', join(DEFAULT_OUT, 'busybox.tar')])
for (let i = 1; i < 20; i++) tocker(['tag', 'busybox:latest', `bench/image-${i}:v${i}`])
for (let i = 0; i < 50; i++) tocker(['create', '--name', `c${i}`, '-p', `${9000 + i}:80`, 'busybox:latest', 'sleep', '100000'])
for (let i = 0; i < 10; i++) tocker(['start', `c${i}`])
await sleep(2000)

// The reference: the engine alone, nobody looking.
const rssAlone = rssMiB(engine.pid)
let before = cpuMs(engine.pid)
await sleep(IDLE_S * 1000)
const cpuAlone = cpuMs(engine.pid) - before

dash = await startDashboard(root)
browser = await launchBrowser()
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })

// The token arrives in the address's fragment (the page keeps it for the tab). Each run reloads
// the view: the page's files (cached by the browser after the first), then its API calls.
const page = await context.newPage()
await page.goto(dash.url)
await page.waitForSelector('body[data-ready]', { timeout: 30_000 })
/** RUNS reloads of a view: ms from the reload to `rows` rows matching `selector` drawn. */
async function loadTimes(route, selector, rows) {
  const ms = []
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${dash.origin}/#/${route}`)
    const t0 = performance.now()
    await page.reload()
    await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length >= n, [selector, rows], { timeout: 30_000 })
    ms.push(performance.now() - t0)
  }
  return ms
}
const containersMs = await loadTimes('containers', '#containers tbody tr[data-name]', 50)
const imagesMs = await loadTimes('images', '#images tbody tr[data-ref]', 20)

// The page open on the containers view, idle.
await page.goto(`${dash.origin}/#/containers`)
await page.waitForFunction(() => document.querySelectorAll('#containers tbody tr[data-name]').length >= 50, undefined, { timeout: 30_000 })
await sleep(2000)
before = cpuMs(engine.pid)
const dashBefore = cpuMs(dash.child.pid)
await sleep(IDLE_S * 1000)
const cpuOpen = cpuMs(engine.pid) - before
const cpuDash = cpuMs(dash.child.pid) - dashBefore
const rssOpen = rssMiB(engine.pid)

console.log(`dashboard benchmark: 50 containers (10 running), 20 images, median of ${RUNS} page loads (Chromium headless)`)
console.log(`  containers view, load to 50 rows drawn: ${median(containersMs).toFixed(0)} ms  (runs: ${containersMs.map((x) => x.toFixed(0)).join(' ')})`)
console.log(`  images view, load to 20 rows drawn:     ${median(imagesMs).toFixed(0)} ms  (runs: ${imagesMs.map((x) => x.toFixed(0)).join(' ')})`)
console.log(
  `  engine CPU over ${IDLE_S} s idle: ${cpuOpen} ms with the page open, ${cpuAlone} ms without (reference) (${
    cpuAlone ? `ratio ${(cpuOpen / cpuAlone).toFixed(2)}` : 'the kernel counts in 10 ms ticks'
  }); the dashboard process: ${cpuDash} ms`,
)
console.log(`  engine memory (VmRSS): ${rssOpen.toFixed(1)} MiB with the page open, ${rssAlone.toFixed(1)} MiB before it  ratio ${(rssOpen / rssAlone).toFixed(2)}`)

await browser.close()
await dash.stop()
process.exit(0)
