// Nothing half-made, nothing left over, inside a private network namespace (the test re-executes
// itself under `unshare --net --mount`): a taken host port (published by another container or
// bound by another program) fails with Docker's error and changes no link, address, rule or lease;
// release puts links, addresses and rules back exactly as before; after an engine killed with
// SIGKILL plus injected damage (duplicate rules and jumps, a stale lease, an orphan veth),
// reconcile leaves each rule once and every published port working; teardown leaves nothing.
// @ts-ignore: plain JS shared with the benchmarks
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox, runInNetns, spawnInNetns, startInNewNetns, stopProcess } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()
// The crash test starts this same file again as a stand-in engine (see engineChild below).
if (process.env.TOCKER_NET_ENGINE_CHILD) await engineChild(JSON.parse(process.env.TOCKER_NET_ENGINE_CHILD))

const { default: t } = await import('tap')
const { execFileSync, spawn } = await import('node:child_process')
const { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs')
const { createServer } = await import('node:net')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { fileURLToPath } = await import('node:url')
const { NetworkManager, parsePortSpecs } = await import('../../../src/network/index.js')
const { addPortRules, detectIptables } = await import('../../../src/network/iptables.js')
const { TockerError } = await import('../../../src/errors.js')

const root = mkdtempSync(join(tmpdir(), 'tocker-net-'))
const www = join(root, 'www')
mkdirSync(www)
writeFileSync(join(www, 'index.html'), 'It works!\n')
let net = new NetworkManager({ root })
const stops: (() => Promise<void>)[] = []
t.teardown(async () => {
  for (const s of stops.reverse()) await s().catch(() => {})
  await net.teardown().catch(() => {})
  rmSync(root, { recursive: true, force: true })
})

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' })
// TOCKER_IPTABLES=iptables-legacy runs the same checks against the legacy backend.
const IPTABLES = process.env.TOCKER_IPTABLES || 'iptables'
const SAVE = `${IPTABLES}-save`
/** Links, addresses, iptables rules (comments and counters stripped) and the leases on disk. */
function snapshot() {
  return {
    links: sh('ip', ['-o', 'link']).replace(/ state \S+/g, ''),
    addrs: sh('ip', ['-o', '-4', 'addr']),
    rules: sh(SAVE, []).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n'),
    leases: Object.keys(net.state().endpoints).sort(),
  }
}
const bind = (specs: string[]) => parsePortSpecs(specs)

async function httpdContainer() {
  const c = await startInNewNetns()
  stops.push(c.stop)
  const httpd = spawnInNetns(c.netns, ['busybox', 'httpd', '-f', '-p', '80', '-h', www])
  stops.push(() => stopProcess(httpd))
  return c
}
async function get(port: number): Promise<string> {
  for (let i = 0;; i++) {
    const r = await runInNetns('/proc/self/ns/net', ['curl', '-sS', '-m', '3', `http://127.0.0.1:${port}/`])
    if (r.status === 0 || i > 50) return r.stdout
    await new Promise((res) => setTimeout(res, 20))
  }
}
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)))
  })
}
async function attachError(req: Parameters<typeof net.attach>[0]): Promise<Error> {
  try {
    await net.attach(req)
  } catch (err) {
    return err as Error
  }
  throw new Error('attach succeeded')
}

const A = 'a'.repeat(64)
let a: Awaited<ReturnType<typeof httpdContainer>>

t.test("a taken port fails with Docker's error and leaves nothing", async (t) => {
  a = await httpdContainer()
  await net.attach({ containerId: A, name: 'ws1', netns: a.netns, ...bind(['8081:80']) })
  t.match(await get(8081), /It works!/)
  const before = snapshot()
  const b = await httpdContainer()

  const taken = await attachError({ containerId: 'b'.repeat(64), name: 'ws2', netns: b.netns, ...bind(['8081:80']) })
  t.ok(taken instanceof TockerError)
  t.match(taken.message, /^driver failed programming external connectivity on endpoint ws2 \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:8081 failed: port is already allocated$/)
  t.equal((taken as InstanceType<typeof TockerError>).daemon, true, 'printed as "Error response from daemon: …"')
  t.same(snapshot(), before, 'published by another container: nothing changed')

  // A program on the host (busybox httpd on 127.0.0.1:8085) holds the port: the bind test sees it.
  const squatter = spawn('busybox', ['httpd', '-f', '-p', '127.0.0.1:8085', '-h', www], { stdio: 'ignore' })
  stops.push(() => stopProcess(squatter))
  await new Promise((r) => setTimeout(r, 100))
  const bound = await attachError({ containerId: 'b'.repeat(64), name: 'ws2', netns: b.netns, ...bind(['8086:80', '8085:81']) })
  t.match(bound.message, /Bind for 0\.0\.0\.0:8085 failed: port is already allocated$/)
  t.same(snapshot(), before, 'bound by another program: nothing changed')
  t.ok(await canBind(8086), 'the port reserved before the failing one was given back')

  const twice = await attachError({ containerId: 'b'.repeat(64), name: 'ws2', netns: b.netns, ...bind(['8087:80', '8087:81']) })
  t.match(twice.message, /Bind for 0\.0\.0\.0:8087 failed: port is already allocated$/, 'the same host port twice in one run')
  t.same(snapshot(), before)
  t.notOk(existsSync(join(root, 'network', 'state.json.tmp')), 'no temp state file')
})

t.test('release puts links, addresses and rules back as they were', async (t) => {
  const before = snapshot()
  const b = await httpdContainer()
  const B = 'b'.repeat(64)
  const s = await net.attach({ containerId: B, name: 'ws2', netns: b.netns, ...bind(['8089:80', '5353:53/udp']) })
  t.match(await get(8089), /It works!/)
  t.not(snapshot().rules, before.rules, 'rules were added')
  t.notOk(await canBind(8089), 'the engine holds the published port')
  const veth = net.endpoint(B)!.hostVeth
  t.match(sh('ip', ['-o', 'link']), new RegExp(veth))
  await net.release(B)
  t.same(snapshot(), before, 'links, addresses, rules and leases as before')
  t.ok(await canBind(8089), 'the host port is free again')
  await net.release(B) // idempotent
  t.equal(s.IPAddress, '172.17.0.3')
})

t.test('engine killed with SIGKILL, damage injected, reconcile repairs', async (t) => {
  const C = 'c'.repeat(64)
  const c = await httpdContainer()
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TOCKER_NET_ENGINE_CHILD: JSON.stringify({ root, containerId: C, netns: c.netns, spec: '8088:80' }) },
  })
  stops.push(() => stopProcess(child))
  const line = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d))))
  t.match(line, /^attached 172\.17\.0\.\d+/)
  await stopProcess(child) // kill -9: its held sockets vanish, its veth and rules stay
  net.close() // our own engine "dies" too: its sockets go
  t.match(await get(8088), /It works!/, 'the port keeps working while no engine runs')

  // Damage: rules applied twice, a doubled jump, a lease of a container that died, a veth nobody owns.
  const tools = await detectIptables()
  await addPortRules(tools, 'tocker0', net.endpoint(C)!)
  sh(IPTABLES, ['-t', 'nat', '-I', 'PREROUTING', '1', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'TOCKER'])
  sh('ip', ['link', 'add', 'vethdead0001', 'master', 'tocker0', 'type', 'veth', 'peer', 'name', 'vethdead0002'])
  sh('ip', ['link', 'add', 'vethorphan01', 'master', 'tocker0', 'type', 'veth', 'peer', 'name', 'vethorphan02'])
  const D = 'd'.repeat(64)
  const state = JSON.parse(readFileSync(join(root, 'network', 'state.json'), 'utf8'))
  const bridgeNet = Object.values(state.networks as Record<string, any>).find((n) => n.name === 'bridge')
  bridgeNet.endpoints[D] = { ...bridgeNet.endpoints[C], containerId: D, ip: '172.17.0.99', hostVeth: 'vethdead0001', ports: [{ hostIp: '0.0.0.0', hostPort: 8099, containerPort: 80, proto: 'tcp' }] }
  writeFileSync(join(root, 'network', 'state.json'), JSON.stringify(state))
  t.equal(sh(SAVE, ['-t', 'nat']).split('\n').filter((l) => l.includes('--dport 8088')).length, 2, 'the DNAT rule is doubled')

  net = new NetworkManager({ root }) // the engine comes back
  const report = await net.reconcile([{ containerId: A, netns: a.netns }, { containerId: C, netns: c.netns }])
  t.same(report.released, [D], "the dead container's lease is released")
  t.same(report.kept.sort(), [A, C])
  t.same(report.orphanLinks, ['vethorphan01'])
  t.same(report.warnings, [])
  const saved = sh(SAVE, []).split('\n').filter((l) => l.startsWith('-A'))
  t.same(saved.filter((l, i) => saved.indexOf(l) !== i), [], 'no rule twice')
  t.equal(saved.filter((l) => l.includes('--dport 8088') && l.includes('DNAT')).length, 1)
  t.equal(saved.filter((l) => l.startsWith('-A PREROUTING') && l.endsWith('-j TOCKER')).length, 1, 'one jump')
  t.notMatch(saved.join('\n'), /8099|172\.17\.0\.99/, 'nothing of the dead container')
  t.notMatch(sh('ip', ['-o', 'link']), /vethdead|vethorphan/, 'orphan veths gone')
  t.match(await get(8088), /It works!/, 'C still published')
  t.match(await get(8081), /It works!/, 'A still published')
  t.notOk(await canBind(8088), 'the new engine holds the published ports again')
  const once = snapshot()
  await net.reconcile([{ containerId: A }, { containerId: C }])
  t.same(snapshot(), once, 'reconcile again changes nothing')

  // The container dies on its own: its namespace and veth go with it; reconcile drops the rest.
  await c.stop()
  const r2 = await net.reconcile([{ containerId: A }])
  t.same(r2.released, [C])
  t.notMatch(sh(SAVE, []), /8088/)
})

t.test('a second engine (another --root) does not take over the bridge', async (t) => {
  const otherRoot = mkdtempSync(join(tmpdir(), 'tocker-net-other-'))
  t.teardown(() => rmSync(otherRoot, { recursive: true, force: true }))
  const other = new NetworkManager({ root: otherRoot })
  const before = snapshot()
  const x = await httpdContainer()
  const err = await other.attach({ containerId: 'x'.repeat(64), netns: x.netns, ...bind(['8095:80']) }).then(() => undefined, (e: Error) => e)
  t.match(err?.message, new RegExp(`^the bridge tocker0 is in use by the engine with --root ${root} \\(1 container attached\\)`))
  t.same(snapshot(), before, 'nothing changed')
  const r = await other.reconcile([])
  t.match(r.warnings, [], 'reconcile of the other engine touches nothing')
  t.same(snapshot(), before)
  await other.teardown()
  t.same(snapshot(), before, 'nor does its teardown')
  t.match(sh('ip', ['link', 'show', 'tocker0']), new RegExp(`alias ${root}`), 'the bridge names its engine')
})

t.test('teardown leaves no chain, rule, link or state', async (t) => {
  await net.teardown()
  t.notMatch(sh(SAVE, []), /TOCKER|tocker/)
  t.notMatch(sh('ip', ['-o', 'link']), /tocker0|veth/)
  t.notOk(existsSync(join(root, 'network', 'state.json')))
})

/** A stand-in engine: attach one container, say so, then wait to be killed, holding its port sockets. */
async function engineChild(o: { root: string; containerId: string; netns: string; spec: string }): Promise<never> {
  const { NetworkManager, parsePortSpecs } = await import('../../../src/network/index.js')
  const s = await new NetworkManager({ root: o.root }).attach({ containerId: o.containerId, netns: o.netns, ...parsePortSpecs([o.spec]) })
  process.stdout.write(`attached ${s.IPAddress}\n`)
  return new Promise(() => setInterval(() => {}, 1 << 30))
}

t.test('subnet: the next free block when the host uses 172.17/16; a fixed one like --bip', async (t) => {
  // Something else of the host's on 172.17.9.0/24 (a veth pair stands in for a VPN or a bridge).
  sh('ip', ['link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1'])
  t.teardown(() => {
    sh('ip', ['link', 'del', 'other0'])
  })
  sh('ip', ['addr', 'add', '172.17.9.1/24', 'dev', 'other0'])
  sh('ip', ['link', 'set', 'other0', 'up'])
  const r1 = mkdtempSync(join(tmpdir(), 'tocker-net-sub-'))
  const r2 = mkdtempSync(join(tmpdir(), 'tocker-net-sub-'))
  t.teardown(() => {
    rmSync(r1, { recursive: true, force: true })
    rmSync(r2, { recursive: true, force: true })
  })
  const c = await startInNewNetns()
  stops.push(c.stop)
  const auto = new NetworkManager({ root: r1 })
  const s = await auto.attach({ containerId: 's'.repeat(64), netns: c.netns })
  t.same([s.IPAddress, s.Gateway], ['172.18.0.2', '172.18.0.1'], '172.17.9.0/24 is taken, so 172.18.0.0/16')
  t.match(sh('ip', ['-o', '-4', 'addr', 'show', 'dev', 'tocker0']), /inet 172\.18\.0\.1\/16/)
  await auto.release('s'.repeat(64))
  // The host starts using 172.18/16 while nothing is attached; the next engine moves the bridge.
  sh('ip', ['addr', 'add', '172.18.7.1/24', 'dev', 'other0'])
  const again = new NetworkManager({ root: r1 })
  const s3 = await again.attach({ containerId: 's'.repeat(64), netns: c.netns })
  t.same([s3.IPAddress, again.state().subnet], ['172.19.0.2', '172.19.0.0/16'], 'a stored subnet the host now uses is given up')
  t.notMatch(sh('ip', ['-o', '-4', 'addr', 'show', 'dev', 'tocker0']), /172\.18\./)
  await again.teardown()
  const fixed = new NetworkManager({ root: r2, subnet: '10.99.0.254/24' })
  const s2 = await fixed.attach({ containerId: 't'.repeat(64), netns: c.netns })
  t.same([s2.IPAddress, s2.Gateway, s2.IPPrefixLen], ['10.99.0.1', '10.99.0.254', 24])
  await fixed.teardown()
  t.notMatch(sh('ip', ['-o', 'link']), /tocker0/)
})
