// A unit test run as root cannot touch this machine's network (test/tap/unit-netns.mjs): every tap
// test process loads test/tap/ts-loader.mjs, which puts a file under test/unit/ into a network
// namespace of its own. Here a probe in such a place makes a link and a rule and talks to itself
// over 127.0.0.1; the namespace it ran in must not be the one it was started from, and what it made
// must not be there afterwards. The probe runs inside `unshare --net --mount` of this test, so that
// even without the guard nothing reaches the host. A probe elsewhere (test/integration/) stays in
// its parent's namespace: integration tests make their own namespaces and need root's.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'

const LOADER = resolve('test/tap/ts-loader.mjs')
const PROBE = `
import { execFileSync } from 'node:child_process'
import { readlinkSync } from 'node:fs'
import { createServer, connect } from 'node:net'
console.log('probe=' + readlinkSync('/proc/self/ns/net'))
execFileSync('ip', ['link', 'add', 'tockerprobe0', 'type', 'bridge'])
execFileSync('iptables', ['-t', 'nat', '-N', 'TOCKER-PROBE'])
const srv = createServer((s) => s.end('pong')).listen(0, '127.0.0.1', () => {
  connect(srv.address().port, '127.0.0.1').on('data', (d) => { console.log('loopback=' + d); srv.close() })
})
`

function inOwnNetns(probe: string): Promise<{ code: number | null; out: string; err: string }> {
  const script = `ip link set lo up; echo outer=$(readlink /proc/self/ns/net)
    "$NODE" --import "$LOADER" "$PROBE"; echo probe_exit=$?
    ip -br link | grep -q tockerprobe0 && echo link_left=yes
    iptables -t nat -S | grep -q TOCKER-PROBE && echo chain_left=yes; true`
  const child = spawn('unshare', ['--net', '--mount', 'sh', '-c', script], { env: { PATH: process.env.PATH, NODE: process.execPath, LOADER, PROBE: probe }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  return new Promise((done) => child.on('close', (code) => (clearTimeout(killer), done({ code, out, err }))))
}

t.test('a unit test file run as root gets a network namespace of its own, with lo up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-netns-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const tier of ['unit', 'integration']) {
    mkdirSync(join(dir, 'test', tier), { recursive: true })
    writeFileSync(join(dir, 'test', tier, 'probe.mjs'), PROBE)
  }
  const unit = await inOwnNetns(join(dir, 'test', 'unit', 'probe.mjs'))
  t.equal(unit.code, 0, unit.err)
  t.match(unit.out, /probe_exit=0/, unit.err)
  const outer = /outer=(\S+)/.exec(unit.out)?.[1]
  const probe = /probe=(\S+)/.exec(unit.out)?.[1]
  t.ok(outer && probe && outer !== probe, `the probe ran in another namespace (${probe}) than its parent's (${outer})`)
  t.match(unit.out, /loopback=pong/, '127.0.0.1 works inside')
  t.notMatch(unit.out, /link_left|chain_left/, "the probe's link and chain did not reach its parent's namespace")

  const integration = await inOwnNetns(join(dir, 'test', 'integration', 'probe.mjs'))
  t.match(integration.out, /probe_exit=0/, integration.err)
  t.equal(/probe=(\S+)/.exec(integration.out)?.[1], /outer=(\S+)/.exec(integration.out)?.[1], 'an integration test stays where it was started')
  t.match(integration.out, /link_left=yes/)
})
