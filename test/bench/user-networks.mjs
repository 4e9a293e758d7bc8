#!/usr/bin/env node
// User-defined networks benchmark (issue 12), in one run against a real engine:
//   1. `network create` + `network rm` round trip (two CLI calls) next to two `tocker ps` (the CLI floor).
//   2. `run -d busybox sleep` + `rm -f` on the default bridge vs on a user-defined network (the
//      latter adds the embedded DNS: sockets made in the container's netns + its NAT rules).
//   3. DNS lookup latency from inside a container's network namespace: N lookups of another
//      container's name at 127.0.0.11 (tocker's responder in the engine) vs N lookups of a name
//      from /etc/hosts (getaddrinfo, no network), sequential, one Node process (nsenter --net).
//   4. docker-compose up -d + down -v of a two-service file (web + client, a network, a named volume)
//      vs the same made by a sequence of tocker CLI calls (podman-compose is not in Debian here).
//
//   npm run build && node test/bench/user-networks.mjs [runs=5] [lookups=1000]
//
// Runs in a private network namespace (unshare --net --mount), like the tests.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { engineBench, timeMs } from './engine-bench.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const RUNS = Number(process.argv[2] ?? 5)
const LOOKUPS = Number(process.argv[3] ?? 1000)
const bench = engineBench('tocker-bench-usernet-')
const { work, root, tocker } = bench

function measure(label, fn, runs = RUNS) {
  fn() // warm up
  const s = Array.from({ length: runs }, () => timeMs(fn)).sort((a, b) => a - b)
  console.log(`  ${label.padEnd(44)} ${s[Math.floor(s.length / 2)].toFixed(0).padStart(6)} ms  [${s[0].toFixed(0)}-${s[s.length - 1].toFixed(0)}]`)
  return s[Math.floor(s.length / 2)]
}

// --- set-up: a registry with busybox, a store, an engine ---
const BUSYBOX = await bench.busyboxRegistry()
await bench.startEngine()
tocker(['pull', BUSYBOX])

console.log(`tocker user-defined networks benchmark (${RUNS} runs each, median [min-max]; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`)

console.log('1. network create + rm:')
const floor = measure('two `tocker ps` (the CLI floor)', () => (tocker(['ps']), tocker(['ps'])))
let n = 0
const netRt = measure('network create + network rm', () => {
  const name = `bench${n++}`
  tocker(['network', 'create', name])
  tocker(['network', 'rm', name])
})
console.log(`  the network's own cost: ${(netRt - floor).toFixed(0)} ms (bridge, addresses, isolation + NAT rules, and their removal)`)

console.log('2. run -d + rm -f:')
tocker(['network', 'create', 'benchnet'])
const onBridge = measure('default bridge', () => tocker(['rm', '-f', tocker(['run', '-d', BUSYBOX, 'sleep', '1000']).trim()]))
const onUser = measure('user-defined network (+ embedded DNS)', () => tocker(['rm', '-f', tocker(['run', '-d', '--network', 'benchnet', BUSYBOX, 'sleep', '1000']).trim()]))
console.log(`  ratio user network / default bridge: ${(onUser / onBridge).toFixed(2)}x`)

console.log(`3. DNS: ${LOOKUPS} sequential lookups from inside a container's network namespace:`)
tocker(['run', '-d', '--name', 'web', '--network', 'benchnet', BUSYBOX, 'sleep', '1000'])
tocker(['run', '-d', '--name', 'probe', '--network', 'benchnet', BUSYBOX, 'sleep', '1000'])
const pid = tocker(['inspect', '-f', '{{.State.Pid}}', 'probe']).trim()
const script = `
const dns = require('node:dns')
const r = new dns.promises.Resolver({ timeout: 2000, tries: 1 })
r.setServers(['127.0.0.11'])
const time = async (fn) => { await fn(); const t0 = process.hrtime.bigint(); for (let i = 0; i < ${LOOKUPS}; i++) await fn(); return Number(process.hrtime.bigint() - t0) / 1e6 / ${LOOKUPS} }
;(async () => {
  const a = await r.resolve4('web')
  const embedded = await time(() => r.resolve4('web'))
  const hosts = await time(() => dns.promises.lookup('localhost', { family: 4 }))
  console.log(JSON.stringify({ a, embedded, hosts }))
})().catch((e) => { console.error(e.message); process.exit(1) })`
const d = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', script], { encoding: 'utf8' })
if (d.status !== 0) throw new Error(`dns probe: ${d.stderr}`)
const dns = JSON.parse(d.stdout)
console.log(`  web -> ${dns.a.join(', ')}`)
console.log(`  embedded DNS at 127.0.0.11 (A of "web")       ${(dns.embedded * 1000).toFixed(0).padStart(6)} µs per lookup`)
console.log(`  /etc/hosts (getaddrinfo of "localhost")       ${(dns.hosts * 1000).toFixed(0).padStart(6)} µs per lookup`)
console.log(`  ratio: ${(dns.embedded / dns.hosts).toFixed(1)}x`)
tocker(['rm', '-f', 'web', 'probe'])
tocker(['network', 'rm', 'benchnet'])

const COMPOSE = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim()
if (COMPOSE) {
  console.log('4. two services, a network and a volume: docker-compose vs tocker CLI calls:')
  const project = join(work, 'project')
  mkdirSync(project)
  writeFileSync(
    join(project, 'docker-compose.yml'),
    [
      'version: "3.7"',
      'services:',
      '  web:',
      `    image: ${BUSYBOX}`,
      '    command: ["httpd", "-f", "-p", "80", "-h", "/www"]',
      '    volumes:',
      '      - www:/www',
      '  client:',
      `    image: ${BUSYBOX}`,
      '    command: ["sleep", "1000"]',
      'volumes:',
      '  www: {}',
      '',
    ].join('\n'),
  )
  const cenv = { ...process.env, DOCKER_HOST: `unix://${join(root, 'tocker.sock')}`, COMPOSE_PROJECT_NAME: 'bench', DOCKER_CONFIG: project }
  const compose = (args) => {
    const r = spawnSync(COMPOSE, ['--ansi', 'never', ...args], { cwd: project, env: cenv, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`docker-compose ${args.join(' ')}: ${r.stderr}`)
  }
  let upMs = []
  const composeRt = measure('docker-compose up -d + down -v', () => {
    upMs.push(timeMs(() => compose(['up', '-d'])))
    compose(['down', '-v', '-t', '1'])
  })
  upMs = upMs.sort((a, b) => a - b)
  const cliUp = []
  const cliRt = measure('tocker: network+volume create, 2 run -d, then rm', () => {
    cliUp.push(
      timeMs(() => {
        tocker(['network', 'create', 'b_default'])
        tocker(['volume', 'create', 'b_www'])
        tocker(['run', '-d', '--name', 'b_web', '--network', 'b_default', '--network-alias', 'web', '-v', 'b_www:/www', BUSYBOX, 'httpd', '-f', '-p', '80', '-h', '/www'])
        tocker(['run', '-d', '--name', 'b_client', '--network', 'b_default', '--network-alias', 'client', BUSYBOX, 'sleep', '1000'])
      }),
    )
    tocker(['rm', '-f', 'b_web', 'b_client'])
    tocker(['network', 'rm', 'b_default'])
    tocker(['volume', 'rm', 'b_www'])
  })
  cliUp.sort((a, b) => a - b)
  const med = (xs) => xs[Math.floor(xs.length / 2)]
  console.log(`  up alone: compose ${med(upMs).toFixed(0)} ms, tocker CLI ${med(cliUp).toFixed(0)} ms (ratio ${(med(upMs) / med(cliUp)).toFixed(2)}x); round trips ratio ${(composeRt / cliRt).toFixed(2)}x`)
} else {
  console.log('4. docker-compose is not installed: skipped')
}
process.exit(0)
