#!/usr/bin/env node
// Networking benchmark, in one run, inside a private network namespace (the script re-executes
// itself under `unshare --net --mount`; the host's network is never touched):
//
//  1. HTTP request rate (wrk) to a container's IP directly vs through its published port on
//     127.0.0.1 (iptables DNAT + route_localnet, what tocker does), and, for the record, through a
//     userland proxy on 127.0.0.1 (a Node TCP pipe, the docker-proxy approach tocker did not take).
//     Two servers: busybox httpd (one connection per request: NAT set-up on every request) and a
//     keep-alive Node HTTP server (NAT on established flows). Goal: published >= 0.9x direct.
//  2. What attach + publish costs per container (what `run -d -p` adds over `--network none`):
//     wall time of attach(-p) and attach(none), and the ip/iptables processes each one starts.
//
//   npm run build && node test/bench/network.mjs [seconds per wrk run=3] [rounds=5] [containers=20]
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox, spawnInNetns, startInNewNetns, stopProcess } from '../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, '..', '..', 'dist', 'src')
if (!existsSync(join(dist, 'network', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` (or `npx tsc -p .`) first')
  process.exit(2)
}
const { NetworkManager, parsePortSpecs } = await import(join(dist, 'network', 'index.js'))
const { onTrace } = await import(join(dist, 'trace', 'trace.js'))

const seconds = Number(process.argv[2] ?? 3)
const rounds = Number(process.argv[3] ?? 5)
const containers = Number(process.argv[4] ?? 20)

const root = mkdtempSync(join(tmpdir(), 'tocker-bench-net-'))
const www = join(root, 'www')
mkdirSync(www)
writeFileSync(join(www, 'index.html'), '<html><body><h1>It works!</h1></body></html>\n')
const net = new NetworkManager({ root })
const cleanup = []
async function done() {
  for (const f of cleanup.reverse()) await f().catch(() => {})
  await net.teardown().catch(() => {})
  rmSync(root, { recursive: true, force: true })
}
process.on('SIGINT', () => done().then(() => process.exit(130)))

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const bind = (specs) => parsePortSpecs(specs)

async function container(argv) {
  const c = await startInNewNetns()
  cleanup.push(c.stop)
  if (argv) {
    const p = spawnInNetns(c.netns, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
    cleanup.push(() => stopProcess(p))
    c.server = p
  }
  return c
}

/** Run a command without blocking the event loop (the userland proxy lives in this process). */
function run(cmd, args) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

async function wrk(url, connections) {
  const r = await run('wrk', ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, url])
  const m = /Requests\/sec:\s+([0-9.]+)/.exec(r.stdout)
  const errors = /Non-2xx|Socket errors: ([^\n]+)/.exec(r.stdout)
  if (!m) throw new Error(`wrk ${url}: ${r.stdout}${r.stderr}`)
  return { rps: Number(m[1]), errors: errors ? errors[0] : '' }
}

/** The docker-proxy alternative: accept on 127.0.0.1, open a connection to the container, pipe both ways. */
function userlandProxy(port, target, targetPort) {
  const server = createServer((c) => {
    const up = createConnection({ host: target, port: targetPort })
    c.pipe(up).pipe(c)
    c.on('error', () => up.destroy())
    up.on('error', () => c.destroy())
  })
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)))
}

async function waitHttp(url) {
  for (let i = 0; i < 200; i++) {
    if ((await run('curl', ['-sf', '-m', '1', '-o', '/dev/null', url])).status === 0) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`${url} never answered`)
}

const NODE_SERVER = `require('http').createServer((q,s)=>s.end('<html><body><h1>It works!</h1></body></html>\\n')).listen(80,'0.0.0.0',()=>console.log('ready'))`

async function httpRates() {
  const rows = []
  // busybox httpd listens with a backlog of 9: more concurrent connections than that only measure
  // its dropped SYNs (ListenOverflows) and their retransmits, on every path alike.
  const servers = [
    ['busybox httpd (a connection per request, -c8)', ['busybox', 'httpd', '-f', '-p', '80', '-h', www], 8081, 8091, 8],
    ['node http (keep-alive, -c32)', [process.execPath, '-e', NODE_SERVER], 8082, 8092, 32],
  ]
  let n = 0
  for (const [label, argv, published, proxied, connections] of servers) {
    // One identical container per path. Sharing one server would let the paths disturb each other:
    // the direct client (172.17.0.1) and the NATed one (127.0.0.1 masqueraded to 172.17.0.1) reach
    // the server with the same address/port pairs but different TCP timestamp offsets (Linux
    // derives them from the client's own source/destination addresses), so a connection of one
    // path reusing a pair still in the server's TIME_WAIT from the other path is refused by PAWS
    // (TcpExtPAWSTimewait) and stalls on a SYN retransmit.
    const attach = async (ports) => {
      const c = await container(argv)
      return net.attach({ containerId: `bench${n++}`.padEnd(64, '0'), netns: c.netns, ...bind(ports) })
    }
    const direct = await attach([])
    await attach([`${published}:80`])
    const viaProxy = await attach([])
    const proxy = await userlandProxy(proxied, viaProxy.IPAddress, 80)
    cleanup.push(() => new Promise((r) => proxy.close(r)))
    const urls = { direct: `http://${direct.IPAddress}/`, published: `http://127.0.0.1:${published}/`, proxy: `http://127.0.0.1:${proxied}/` }
    for (const u of Object.values(urls)) await waitHttp(u)
    // Rounds alternate the order, and the ratio is the median of each round's own ratio, so that
    // load from elsewhere on the machine drifting during the run hits both sides alike.
    const got = { direct: [], published: [], proxy: [] }
    const ratio = { published: [], proxy: [] }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? ['proxy', 'published', 'direct'] : ['direct', 'published', 'proxy']
      const round = {}
      for (const k of order) round[k] = (await wrk(urls[k], connections)).rps
      for (const k of order) got[k].push(round[k])
      ratio.published.push(round.published / round.direct)
      ratio.proxy.push(round.proxy / round.direct)
    }
    rows.push({ label, direct: median(got.direct), published: median(got.published), proxy: median(got.proxy), rPublished: median(ratio.published), rProxy: median(ratio.proxy) })
  }
  return rows
}

async function attachCost() {
  const cs = []
  for (let i = 0; i < containers * 2; i++) cs.push(await container())
  const timings = { bridge: [], none: [], release: [] }
  // Timed without a trace listener (as a real run without --explain), then the commands counted.
  for (let i = 0; i < containers; i++) {
    const id = `p${i}`.padEnd(64, '0')
    let t0 = performance.now()
    await net.attach({ containerId: id, netns: cs[i].netns, ...bind([`${9000 + i}:80`]) })
    timings.bridge.push(performance.now() - t0)
    t0 = performance.now()
    await net.attach({ containerId: `n${i}`.padEnd(64, '0'), mode: 'none', netns: cs[containers + i].netns })
    timings.none.push(performance.now() - t0)
  }
  const count = async (fn) => {
    const ev = []
    const off = onTrace((e) => e.kind === 'net' && e.op !== 'sysctl' && ev.push(e))
    await fn()
    off()
    return ev
  }
  const extra = await container()
  const extra2 = await container()
  const attachEvents = await count(() => net.attach({ containerId: 'x'.padEnd(64, '0'), netns: extra.netns, ...bind(['9999:80']) }))
  const noneEvents = await count(() => net.attach({ containerId: 'y'.padEnd(64, '0'), mode: 'none', netns: extra2.netns }))
  const releaseEvents = await count(() => net.release('x'.padEnd(64, '0')))
  for (let i = 0; i < containers; i++) {
    const t0 = performance.now()
    await net.release(`p${i}`.padEnd(64, '0'))
    timings.release.push(performance.now() - t0)
  }
  return { timings, attachEvents, noneEvents, releaseEvents }
}

try {
  const ipt = await net.iptables()
  console.log(
    `iptables: ${ipt.iptables} v${ipt.version} (${ipt.backend}); wrk -t2 -d${seconds}s, medians of ${rounds} rounds (ratio: median of per-round ratios); ${containers} containers for the attach cost; load average ${
      loadavg().map((l) => l.toFixed(1)).join(' ')
    }`,
  )
  console.log('')
  const rows = await httpRates()
  console.log('HTTP requests/sec          direct IP   published 127.0.0.1 (DNAT)   ratio   userland proxy   ratio')
  for (const r of rows) {
    console.log(
      `${r.label}\n${''.padEnd(26)}${r.direct.toFixed(0).padStart(9)}   ${r.published.toFixed(0).padStart(26)}   ${r.rPublished.toFixed(2).padStart(5)}   ${r.proxy.toFixed(0).padStart(14)}   ${r.rProxy.toFixed(2).padStart(5)}`,
    )
  }
  console.log('')
  const { timings, attachEvents, noneEvents, releaseEvents } = await attachCost()
  const show = (evs) => {
    const procs = evs.filter((e) => e.op !== 'bind')
    const binds = evs.length - procs.length
    return `${procs.length} processes (${procs.map((e) => e.op).join(', ')})${binds ? ` + ${binds} port bind` : ''}, ${evs.reduce((a, e) => a + (e.ms ?? 0), 0).toFixed(1)} ms in them`
  }
  console.log(`attach --network bridge -p : median ${median(timings.bridge).toFixed(1)} ms  [${show(attachEvents)}]`)
  console.log(`attach --network none      : median ${median(timings.none).toFixed(1)} ms  [${show(noneEvents)}]`)
  console.log(`=> run -d -p adds          : ${(median(timings.bridge) - median(timings.none)).toFixed(1)} ms per container over --network none`)
  console.log(`release (rm)               : median ${median(timings.release).toFixed(1)} ms  [${show(releaseEvents)}]`)
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
} finally {
  await done()
}
