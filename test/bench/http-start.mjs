#!/usr/bin/env node
// Which HTTP client should the CLI's engine client use (issue 14: `tocker ps` ≤ 1.2 × `node -e 0`)?
// Each candidate is a tiny CommonJS program doing what `tocker ps` does on the wire: one GET of a
// ~1 KB JSON body over a unix socket, parsed. Run in turns (one of each, round after round), so the
// load of this shared machine falls on all alike; printed as median wall time and mean CPU (user +
// sys, from bash's `times`) beside `node -e 0` (Node's own floor) and an empty .cjs file.
//
//   node test/bench/http-start.mjs [rounds=20]
//
// Candidates: a raw HTTP/1.1 exchange over node:net (the floor of any client), src/api/http1.ts
// as the bundle runs it, node:http, undici's Client (package, and esbuilt into one file), Node's
// built-in fetch over TCP (it cannot reach a unix socket without the undici package), node:http over
// TCP. undici is whatever node_modules holds (a dev dependency's dependency; skipped if absent).
import './node-env.mjs'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ROUNDS = Number(process.argv[2] ?? 20)
if (process.argv.includes('--help') || !(ROUNDS > 0)) {
  console.log('Usage: node test/bench/http-start.mjs [rounds=20]   (after npm run build; no root needed)')
  process.exit(0)
}
const work = mkdtempSync(join(tmpdir(), 'tocker-bench-http-start-'))
const sock = join(work, 's.sock')
symlinkSync(join(repo, 'node_modules'), join(work, 'node_modules'))

const files = {
  'server.mjs': `
import http from 'node:http'
const body = JSON.stringify(Array.from({ length: 3 }, (_, i) => ({ Id: 'a'.repeat(64), Names: ['/c' + i], Image: 'busybox', Command: 'sleep 1000', Created: 1, State: 'running', Status: 'Up 2 minutes', Ports: [], Labels: {} })))
const h = (req, res) => { res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }); res.end(body) }
http.createServer(h).listen(process.argv[2])
const tcp = http.createServer(h).listen(0, '127.0.0.1', () => console.log(tcp.address().port))
`,
  'empty.cjs': '',
  'net.cjs': `
const s = require('node:net').connect(process.env.SOCK)
s.write('GET /containers/json HTTP/1.1\\r\\nHost: tocker\\r\\nConnection: close\\r\\n\\r\\n')
const c = []; s.on('data', (d) => c.push(d)); s.on('end', () => { const t = Buffer.concat(c).toString(); JSON.parse(t.slice(t.indexOf('\\r\\n\\r\\n') + 4)) })
`,
  'http1.cjs': `
const { request } = require(${JSON.stringify(join(work, 'http1-bundle.cjs'))})
request({ socketPath: process.env.SOCK, method: 'GET', path: '/containers/json', headers: { Host: 'tocker' } }).then((res) => {
  const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => JSON.parse(Buffer.concat(c).toString()))
})
`,
  'http.cjs': `
require('node:http').request({ socketPath: process.env.SOCK, path: '/containers/json', headers: { Host: 'tocker' } }, (res) => {
  const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => JSON.parse(Buffer.concat(c).toString()))
}).end()
`,
  'undici.cjs': `
const { Client } = require('undici')
const cl = new Client('http://tocker', { socketPath: process.env.SOCK })
cl.request({ path: '/containers/json', method: 'GET' }).then(async (r) => { JSON.parse(await r.body.text()); cl.close() })
`,
  'fetch-tcp.cjs': `fetch('http://127.0.0.1:' + process.env.PORT + '/containers/json').then((r) => r.json())`,
  'http-tcp.cjs': `
require('node:http').request({ host: '127.0.0.1', port: process.env.PORT, path: '/containers/json' }, (res) => {
  const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => JSON.parse(Buffer.concat(c).toString()))
}).end()
`,
}
for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text)

const { build } = await import('esbuild')
const bundle = (entry, outfile) => build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' })
await bundle(join(repo, 'dist', 'src', 'api', 'http1.js'), join(work, 'http1-bundle.cjs'))
const hasUndici = existsSync(join(repo, 'node_modules', 'undici', 'package.json'))
if (hasUndici) await bundle(join(work, 'undici.cjs'), join(work, 'undici-bundle.cjs'))

const server = spawn(process.execPath, [join(work, 'server.mjs'), sock], { stdio: ['ignore', 'pipe', 'inherit'] })
process.on('exit', () => {
  server.kill()
  rmSync(work, { recursive: true, force: true })
})
const port = await new Promise((r) => server.stdout.once('data', (d) => r(String(d).trim())))

const node = process.execPath
const candidates = [
  ['node -e 0', `${node} -e 0`],
  ['empty .cjs', `${node} empty.cjs`],
  ['raw HTTP/1.1 over net (floor)', `${node} net.cjs`],
  ['src/api/http1.ts (bundled)', `${node} http1.cjs`],
  ['node:http', `${node} http.cjs`],
  ...(hasUndici ? [['undici Client', `${node} undici.cjs`], ['undici Client, esbuilt', `${node} undici-bundle.cjs`]] : []),
  ['fetch (built-in undici), TCP', `${node} fetch-tcp.cjs`],
  ['node:http, TCP', `${node} http-tcp.cjs`],
].map(([name, cmd]) => ({ name, cmd, wall: [], cpu: [] }))

const env = { ...process.env, SOCK: sock, PORT: port, NODE_OPTIONS: '' }
for (let r = 0; r < ROUNDS + 2; r++) {
  for (const c of r % 2 ? [...candidates].reverse() : candidates) {
    const t0 = performance.now()
    const p = spawnSync('bash', ['-c', `${c.cmd} >/dev/null || exit 9; times`], { encoding: 'utf8', env, cwd: work })
    const wall = performance.now() - t0
    if (p.status !== 0) throw new Error(`${c.name}: ${p.stderr}`)
    // `times`' second line: the children's user and system time.
    const m = p.stdout.trim().split('\n').pop().match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/)
    if (r < 2) continue // warm-up rounds
    c.wall.push(wall)
    c.cpu.push((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000)
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1]
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length
const [base] = candidates
console.log(`${'candidate'.padEnd(34)} ${'wall (median)'.padStart(13)} ${'x node'.padStart(7)} ${'cpu (mean)'.padStart(11)} ${'x node'.padStart(7)}`)
for (const c of candidates) {
  console.log(
    `${c.name.padEnd(34)} ${median(c.wall).toFixed(1).padStart(11)}ms ${(median(c.wall) / median(base.wall)).toFixed(2).padStart(6)}x ${mean(c.cpu).toFixed(1).padStart(9)}ms ${(mean(c.cpu) / mean(base.cpu)).toFixed(2).padStart(6)}x`,
  )
}
console.log(`${ROUNDS} rounds; load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')} (on 2 CPUs)`)
process.exit(0)
