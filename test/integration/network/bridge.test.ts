// The bridge for real, inside a network namespace this test makes (it re-executes itself under
// `unshare --net --mount`): two containers reach each other by IP, `-p 8081:80` serves a page to
// curl on 127.0.0.1 (and to another container through the gateway: hairpin NAT), a udp port is
// published, `--network none` gets only lo, -P picks a free port. "Containers" are processes in
// their own network namespaces running busybox httpd or a node udp echo.
// @ts-ignore: plain JS shared with the benchmarks
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox, runInNetns, spawnInNetns, startInNewNetns, stopProcess } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { mkdtempSync, rmSync, writeFileSync, mkdirSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { createSocket } = await import('node:dgram')
const { NetworkManager, parsePortSpecs, displayablePorts, portSummaries } = await import('../../../src/network/index.js')
const { onTrace } = await import('../../../src/trace/trace.js')

const root = mkdtempSync(join(tmpdir(), 'tocker-net-'))
const www = join(root, 'www')
mkdirSync(www)
writeFileSync(join(www, 'index.html'), '<html><body><h1>It works!</h1></body></html>\n')
const net = new NetworkManager({ root })
const stops: (() => Promise<void>)[] = []
t.teardown(async () => {
  for (const s of stops.reverse()) await s().catch(() => {})
  await net.teardown().catch(() => {})
  rmSync(root, { recursive: true, force: true })
})

/** A container running busybox httpd on port 80 of its own namespace. */
async function httpdContainer() {
  const c = await startInNewNetns()
  stops.push(c.stop)
  const httpd = spawnInNetns(c.netns, ['busybox', 'httpd', '-f', '-p', '80', '-h', www])
  stops.push(() => stopProcess(httpd))
  return c
}

function curl(url: string, netns?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const argv = ['curl', '-sS', '-m', '5', url]
  if (netns) return runInNetns(netns, argv)
  return runInNetns('/proc/self/ns/net', argv)
}

t.test('two containers on the bridge reach each other by IP', async (t) => {
  const a = await httpdContainer()
  const b = await startInNewNetns()
  stops.push(b.stop)
  const events: string[] = []
  const off = onTrace((e) => events.push(`${e.op}(${e.detail})`))
  const sa = await net.attach({ containerId: 'a'.repeat(64), name: 'web', netns: a.netns, ...bindings(['8081:80']) })
  off()
  const sb = await net.attach({ containerId: 'b'.repeat(64), name: 'client', netns: b.pid })
  t.equal(sa.IPAddress, '172.17.0.2', 'first container gets .2')
  t.equal(sb.IPAddress, '172.17.0.3')
  t.equal(sa.Gateway, '172.17.0.1')
  t.equal(sa.MacAddress, '02:42:ac:11:00:02')
  t.equal(displayablePorts(portSummaries(sa.Ports)), '0.0.0.0:8081->80/tcp')
  t.match(
    events.join('\n'),
    /rtnetlink\(link add veth[0-9a-f]{7} master tocker0 up type veth peer name eth0 address 02:42:ac:11:00:02 netns \/proc\/\d+\/ns\/net; link set dev veth[0-9a-f]{7} type bridge_slave hairpin on\)/,
    'the veth command is traced',
  )
  t.match(events.join('\n'), /iptables(-legacy|-nft)?-restore\(--noflush <<< \*nat; -A TOCKER -p tcp -m tcp --dport 8081/, 'the DNAT rule is traced')

  const inB = await runInNetns(b.netns, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])
  t.match(inB.stdout, /inet 172\.17\.0\.3\/16/, 'eth0 inside has the address')
  const route = await runInNetns(b.netns, ['ip', 'route', 'show', 'default'])
  t.match(route.stdout, /default via 172\.17\.0\.1 dev eth0/)
  await waitFor(async () => (await curl('http://172.17.0.2/', b.netns)).status === 0)
  const page = await curl('http://172.17.0.2/', b.netns)
  t.match(page.stdout, /It works!/, 'b fetches a page from a by IP')

  // The tutorial's step: the host (this namespace) opens the published port on localhost.
  const local = await curl('http://127.0.0.1:8081/')
  t.equal(local.status, 0, local.stderr)
  t.match(local.stdout, /It works!/, 'curl http://127.0.0.1:8081/ from the host')
  const viaGateway = await curl('http://172.17.0.1:8081/')
  t.match(viaGateway.stdout, /It works!/, 'and on the bridge address')
  const hairpin = await curl('http://172.17.0.1:8081/', b.netns)
  t.match(hairpin.stdout, /It works!/, 'a container reaches another one through the published port (hairpin NAT)')
  const self = await curl('http://172.17.0.1:8081/', a.netns)
  t.match(self.stdout, /It works!/, 'and a container its own published port')
  const unpublished = await curl('http://127.0.0.1:8082/')
  t.not(unpublished.status, 0, 'an unpublished port is not forwarded')
})

t.test('udp publish', async (t) => {
  const c = await startInNewNetns()
  stops.push(c.stop)
  const echo = spawnInNetns(c.netns, [process.execPath, '-e', UDP_ECHO], { stdio: ['ignore', 'pipe', 'inherit'] })
  stops.push(() => stopProcess(echo))
  await new Promise((r) => echo.stdout!.once('data', r))
  const s = await net.attach({ containerId: 'u'.repeat(64), netns: c.netns, ...bindings(['5353:53/udp']) })
  t.same(s.Ports['53/udp'], [{ HostIp: '0.0.0.0', HostPort: '5353' }])
  const reply = await udpAsk('127.0.0.1', 5353, 'ping')
  t.equal(reply, 'echo:ping', 'a datagram to 127.0.0.1:5353 reaches the container and the answer comes back')
})

t.test('-P and -p 80 pick free host ports; -p 127.0.0.1:… binds only there', async (t) => {
  const c = await httpdContainer()
  // The image's EXPOSE (80 and 81) together with -p's: -P publishes 81 only (80 has its -p).
  const p = bindings(['127.0.0.1:8090:80'])
  const s = await net.attach({ containerId: 'p'.repeat(64), netns: c.netns, publishAll: true, portBindings: p.portBindings, exposedPorts: { '80/tcp': {}, '81/tcp': {}, ...p.exposedPorts } })
  const [loopOnly, dynamic] = [s.Ports['80/tcp']![0]!, s.Ports['80/tcp']![1]!]
  t.same(loopOnly, { HostIp: '127.0.0.1', HostPort: '8090' })
  t.notOk(dynamic, '-P adds nothing for a port that already has a binding')
  t.match(s.Ports['81/tcp'], [{ HostIp: '0.0.0.0', HostPort: /^\d+$/ }], '-P publishes an exposed port that has no -p')
  const s2 = await net.attach({ containerId: 'q'.repeat(64), netns: (await httpdContainer()).netns, ...bindings(['80']) })
  const port = Number(s2.Ports['80/tcp']![0]!.HostPort)
  const [lo, hi] = execFileSync('cat', ['/proc/sys/net/ipv4/ip_local_port_range'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)
  t.ok(port >= lo! && port <= hi!, `random host port ${port} in the ephemeral range`)
  await waitFor(async () => (await curl(`http://127.0.0.1:${port}/`)).status === 0)
  t.match((await curl(`http://127.0.0.1:${port}/`)).stdout, /It works!/)
  t.match((await curl('http://127.0.0.1:8090/')).stdout, /It works!/, '127.0.0.1:8090 works')
  t.not((await curl('http://172.17.0.1:8090/')).status, 0, 'but the gateway address does not serve 8090')
})

t.test('--network none: only lo, up; host: nothing made', async (t) => {
  const c = await startInNewNetns()
  stops.push(c.stop)
  const s = await net.attach({ containerId: 'n'.repeat(64), mode: 'none', netns: c.netns })
  t.equal(s.IPAddress, '')
  t.same(Object.keys(s.Networks), ['none'])
  const links = await runInNetns(c.netns, ['ip', '-o', 'link'])
  t.equal(links.stdout.trim().split('\n').length, 1, 'one link')
  t.match(links.stdout, /lo: <LOOPBACK,UP,LOWER_UP>/)
  const h = await net.attach({ containerId: 'h'.repeat(64), mode: 'host' })
  t.same(Object.keys(h.Networks), ['host'])
  t.equal(net.endpoint('h'.repeat(64)), undefined)
})

function bindings(specs: string[]) {
  const { portBindings, exposedPorts } = parsePortSpecs(specs)
  return { portBindings, exposedPorts }
}

async function waitFor(ok: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

const UDP_ECHO = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(53,'0.0.0.0',()=>console.log('ready'))`

function udpAsk(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => {
      s.close()
      reject(new Error('no udp answer'))
    }, 3000)
    s.on('message', (m) => {
      clearTimeout(timer)
      s.close()
      resolve(m.toString())
    })
    s.send(text, port, host)
  })
}
