// The network manager's rule generation and its undo, through the fake network host
// (test/unit/fakes/network-host.ts): no root, no bridge, no iptables — the fake models links and
// rules in memory and can fail any command. What the kernel does with the real commands is tested
// in test/integration/network/ (root, in a network namespace of the test's own).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { NetworkManager } from '../../../src/network/manager.js'
import { parsePortSpecs } from '../../../src/network/port-spec.js'
import { FakeNetworkHost, type Command } from '../fakes/network-host.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

function bed(t: Test) {
  const host = new FakeNetworkHost().install(t)
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-net-'))
  const net = new NetworkManager({ root, dns: false, warn: () => {} })
  t.teardown(async () => {
    net.close()
    rmSync(root, { recursive: true, force: true })
  })
  return { host, net, root }
}

/** A command as a stable key: which tool, and the first words of its first input line. */
function key(c: Command): string {
  return `${c.line.replace(/--net=\S+/, '--net=NS')} | ${c.input[0]?.split(' ').slice(0, 2).join(' ') ?? ''}`
}

t.test('docker run -p 127.0.0.1::80: bridge, forwarding, base chains, a veth pair, the container side, a DNAT rule', async (t) => {
  const { host, net } = bed(t)
  const s = await net.attach({ containerId: A, name: 'web', netns: '/run/netns/a', ...parsePortSpecs(['127.0.0.1::80']) })
  t.equal(s.IPAddress, '172.17.0.2')
  t.equal(s.Gateway, '172.17.0.1')
  const hostPort = s.Ports['80/tcp']![0]!.HostPort
  t.match(hostPort, /^\d+$/, 'a host port was chosen and held')

  const bridge = host.links.get('tocker0')!
  t.same({ kind: bridge.kind, up: bridge.up, addrs: bridge.addrs }, { kind: 'bridge', up: true, addrs: ['172.17.0.1/16'] }, 'tocker0 up with the gateway address')
  t.equal(host.sysctls.get('net.ipv4.ip_forward'), '1', "forwarding on (in the fake, never the host's)")
  const veths = [...host.links].filter(([, l]) => l.kind === 'veth')
  t.equal(veths.length, 1)
  t.equal(veths[0]![1].master, 'tocker0', 'the host end is on the bridge')
  const inside = host.namespaces.get('/run/netns/a')!
  t.same(inside.links.get('eth0'), { up: true, addrs: ['172.17.0.2/16'] }, 'eth0 inside, addressed and up')
  t.equal(inside.defaultVia, '172.17.0.1', 'default route via the gateway')
  t.ok(inside.links.get('lo')!.up, 'lo up')

  t.same(host.rules('nat').filter((r) => r.includes('-j DNAT')), [`-A TOCKER -d 127.0.0.1/32 -p tcp -m tcp --dport ${hostPort} -m comment --comment "tocker:aaaaaaaaaaaa" -j DNAT --to-destination 172.17.0.2:80`])
  t.ok(host.rules('filter').includes('-A TOCKER -d 172.17.0.2/32 ! -i tocker0 -o tocker0 -p tcp -m tcp --dport 80 -m comment --comment "tocker:aaaaaaaaaaaa" -j ACCEPT'))
  t.ok(host.rules('nat').includes('-A TOCKER-POSTROUTING -s 172.17.0.0/16 ! -o tocker0 -j MASQUERADE'), 'outgoing traffic masqueraded')
  t.same(host.rules('nat').filter((r) => / -j TOCKER(-POSTROUTING)?$/.test(r) && !r.startsWith('-A TOCKER')), [
    '-A PREROUTING -m addrtype --dst-type LOCAL -j TOCKER',
    '-A OUTPUT -m addrtype --dst-type LOCAL -j TOCKER',
    '-A POSTROUTING -j TOCKER-POSTROUTING',
  ], 'one jump from each built-in chain')
  const changes = host.commands.map(key).filter((k) => !k.startsWith('ip -j') && !/^iptables(-save)? /.test(k))
  t.same(changes.slice(0, 4), [
    'ip -batch - | link add', // the bridge: link add, alias, addr add, up
    'sysctl -w net.ipv4.ip_forward=1 | ',
    'sysctl -w net.ipv4.conf.tocker0.route_localnet=1 | ',
    'iptables-restore --noflush | *nat', // the base chains, both tables in one transaction
  ], 'first the shared part, once')
  t.same(changes.slice(4).sort(), ['iptables-restore --noflush | *nat', 'rtnetlink --net=NS | link set', 'rtnetlink | link add'], "then the container's: veth pair, its side (over rtnetlink), its port rules")
})

t.test('release takes back exactly what attach added; a second attach reuses the bridge and the chains', async (t) => {
  const { host, net } = bed(t)
  await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
  const before = host.snapshot()
  host.commands.length = 0
  await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b', ...parsePortSpecs(['127.0.0.1::8080']) })
  t.notOk(host.commands.some((c) => c.input[0]?.startsWith('link add tocker0')), 'the bridge is not made again')
  await net.release(B)
  const after = host.snapshot() as { namespaces: Record<string, unknown> }
  delete after.namespaces['/run/netns/b'] // the namespace's own lo: the container's, gone with it
  t.same(after, before)
})

t.test('a failure at any step of an attach leaves nothing behind: every step failed once in turn', async (t) => {
  // The steps of a second container's attach (the bridge and the base chains exist already).
  const steps = await (async () => {
    const tt = { teardown: (fn: () => unknown) => cleanups.push(fn) } as unknown as Test
    const cleanups: (() => unknown)[] = []
    const { host, net } = bed(tt)
    await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
    host.commands.length = 0
    await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b', ...parsePortSpecs(['127.0.0.1::8080']) })
    const out = host.commands.filter((c) => !c.line.startsWith('ip -j') && !c.line.endsWith('-save') && !c.line.endsWith('--version')).map(key)
    for (const fn of cleanups.reverse()) await fn()
    return out
  })()
  t.same([...steps].sort(), ['iptables-restore --noflush | *nat', 'rtnetlink --net=NS | link set', 'rtnetlink | link add'], 'three steps: veth pair, its side (rtnetlink, no process), port rules (one process)')
  for (const [k, step] of steps.entries()) {
    await t.test(`step ${k + 1} fails: ${step}`, async (t) => {
      const { host, net } = bed(t)
      await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
      const before = host.snapshot()
      host.failOn((c) => key(c) === step)
      await t.rejects(net.attach({ containerId: B, name: 'b', netns: '/run/netns/b', ...parsePortSpecs(['127.0.0.1::8080']) }), {
        message: /^failed to set up container networking for b: .*RTNETLINK answers: Operation not permitted/,
        status: 500,
      })
      const after = host.snapshot() as { namespaces: Record<string, unknown> }
      delete after.namespaces['/run/netns/b']
      t.same(after, before, 'links and rules as before the attach')
      t.notOk(net.endpoint(B), 'no endpoint recorded')
      // …and the port it held is free again: the same container can attach on a retry.
      await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b2', ...parsePortSpecs(['127.0.0.1::8080']) })
    })
  }
})

t.test("portRulesLater: attach answers before the port rules; their failure is the caller's, whose release takes all back", async (t) => {
  const { host, net } = bed(t)
  await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
  const before = host.snapshot()
  // The rules are in once their promise resolves, and the next operation waits for them.
  let added: Promise<void> | undefined
  await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b', ...parsePortSpecs(['127.0.0.1::8080']), portRulesLater: (p) => (added = p) })
  t.ok(added, 'the rules are handed over')
  await added
  t.ok(host.commands.some((c) => c.line === 'iptables-restore --noflush' && c.input.some((l) => l.includes('--dport 8080'))), 'the DNAT rule went in')
  await net.release(B)
  // Failing: attach still resolves (the veth and the record are in); the caller hears the failure
  // from the promise and releases, which waits for the rules' end and leaves nothing.
  host.failOn((c) => c.line === 'iptables-restore --noflush' && c.input.some((l) => l.includes('--dport 8080')))
  let failed: Promise<void> | undefined
  await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b2', ...parsePortSpecs(['127.0.0.1::8080']), portRulesLater: (p) => (failed = p) })
  await t.rejects(failed!, /Operation not permitted/)
  await net.release(B)
  const after = host.snapshot() as { namespaces: Record<string, unknown> }
  delete after.namespaces['/run/netns/b']
  delete after.namespaces['/run/netns/b2']
  t.same(after, before, 'links and rules as before')
  t.notOk(net.endpoint(B), 'no endpoint recorded')
})

t.test("release(afterwards), a removal's: the port rules are gone when it resolves (as Docker's rm -f); the veth may go after; a failure goes to afterwards", async (t) => {
  const { host, net } = bed(t)
  const dnat = () => host.rules('nat').filter((r) => r.includes('-j DNAT'))
  const accept = () => host.rules('filter').filter((r) => r.includes('tocker:bbbbbbbbbbbb'))
  await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b', ...parsePortSpecs(['127.0.0.1:8080:80']) })
  t.equal(dnat().length, 1, 'the DNAT rule is in')
  const failures: Error[] = []
  await net.release(B, undefined, { afterwards: (e) => failures.push(e) })
  // The lab guide's chapter 3 lists the NAT table right after `rm -f`: the rule must be gone then.
  t.same(dnat(), [], 'no DNAT rule once release has resolved')
  t.same(accept(), [], 'no ACCEPT rule either')
  t.notOk(net.endpoint(B), 'the endpoint is forgotten')
  await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' }) // queued behind the veth's deletion
  t.equal([...host.links].filter(([, l]) => l.kind === 'veth').length, 1, "B's veth is gone, A's is in")
  t.same(failures, [], 'nothing failed')

  // A failing iptables-restore still lets the answer go (the endpoint is forgotten), and its
  // error reaches afterwards, after the veth's deletion was tried.
  await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b2', ...parsePortSpecs(['127.0.0.1:8081:80']) })
  // Twice: the deletion by rule, then its fallback by comment (iptables.ts removePortRules).
  for (let i = 0; i < 2; i++) host.failOn((c) => c.line.startsWith('iptables-restore') && c.input.some((l) => l.startsWith('-D ')))
  await net.release(B, undefined, { afterwards: (e) => failures.push(e) })
  t.notOk(net.endpoint(B), 'forgotten although its rules failed')
  await net.release(A) // queued behind the failed release's afterwards
  t.match(failures, [/Operation not permitted/], 'the failure went to afterwards')
})

t.test('reserve, before the namespace exists: address, ports, record and port rules; attach then only plugs the veth in; release takes a reservation back', async (t) => {
  const { host, net, root } = bed(t)
  await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
  const before = host.snapshot()
  host.commands.length = 0
  const ports = parsePortSpecs(['127.0.0.1::8080'])
  await net.reserve({ containerId: B, name: 'b', ...ports })
  t.equal(net.endpoint(B)?.ip, '172.17.0.3', 'the address is taken at once')
  await net.renamed(B, 'b', 'b') // (the next operation: it waits for the reservation's write and rules)
  const onDisk = JSON.parse(readFileSync(join(root, 'network', 'state.json'), 'utf8')) as { networks: Record<string, { endpoints: Record<string, { ip: string; netns: string }> }> }
  const recorded = Object.values(onDisk.networks).map((n) => n.endpoints[B]).find(Boolean)
  t.same({ ip: recorded?.ip, netns: recorded?.netns }, { ip: '172.17.0.3', netns: '' }, 'the record landed before the namespace exists')
  t.ok(host.commands.some((c) => c.line === 'iptables-restore --noflush' && c.input.some((l) => l.includes('--dport 8080'))), 'the port rules went in')
  t.notOk(host.commands.some((c) => c.input.some((l) => l.includes('peer name eth0') && l.includes('02:42:ac:11:00:03'))), 'no veth yet')
  host.commands.length = 0
  const s = await net.attach({ containerId: B, name: 'b', netns: '/run/netns/b', ...ports })
  t.equal(s.IPAddress, '172.17.0.3', 'attach uses the reservation')
  t.same(host.commands.map(key).sort(), ['rtnetlink --net=NS | link set', 'rtnetlink | link add'], 'attach: the veth pair and its side, nothing else')
  t.equal(s.SandboxKey, '/run/netns/b', 'the namespace filled in')
  await net.release(B)
  // A reservation whose container never got its namespace (the runtime's create failed): release
  // takes back its address, its port (held socket and rules) and its record.
  await net.reserve({ containerId: B, name: 'b', ...ports })
  const got = net.endpoint(B)!.ports[0]!.hostPort
  await net.release(B)
  t.notOk(net.endpoint(B), 'no endpoint recorded')
  const after = host.snapshot() as { namespaces: Record<string, unknown> }
  delete after.namespaces['/run/netns/b']
  t.same(after, before, 'links and rules as before')
  // …and its port is free again: the next reservation of it gets it; one more is refused, leaving nothing.
  const C = 'c'.repeat(64)
  const again = parsePortSpecs([`127.0.0.1:${got}:80`])
  await net.reserve({ containerId: C, name: 'c', ...again })
  t.equal(net.endpoint(C)?.ports[0]?.hostPort, got, 'the released port reserved again')
  const state = net.snapshot()
  await t.rejects(net.reserve({ containerId: B, name: 'b', ...again }), { message: /port is already allocated/ })
  t.same(net.snapshot(), state, 'nothing reserved')
})

t.test('a user-defined network: its own bridge and subnet, isolated from the default bridge; rm takes it all back', async (t) => {
  const { host, net } = bed(t)
  await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
  const before = host.snapshot()
  const n = await net.createNetwork({ name: 'backend' })
  t.equal(n.subnet, '172.18.0.0/16', 'the next free block after the default bridge')
  const br = `br-${n.id.slice(0, 12)}`
  t.ok(host.links.get(br)?.up, `${br} made and up`)
  const iso = host.rules('filter').filter((r) => r.includes('ISOLATION'))
  t.ok(iso.includes(`-A TOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j TOCKER-ISOLATION-STAGE-2`), 'traffic leaving the new bridge for another goes to stage 2')
  t.ok(iso.includes('-A TOCKER-ISOLATION-STAGE-2 -o tocker0 -j DROP'), '…where it is dropped towards the default bridge')
  const s = await net.attach({ containerId: B, name: 'b', network: 'backend', netns: '/run/netns/b', links: { db: 'a' } })
  t.equal(s.Networks.backend?.IPAddress, '172.18.0.2')
  t.same(net.endpoint(B, 'backend')?.links, { db: 'a' }, '--link recorded on the endpoint (for this container only)')
  await t.rejects(net.removeNetwork('backend'), { message: `error while removing network: network backend id ${n.id} has active endpoints`, status: 403 })
  await net.release(B)
  await net.removeNetwork('backend')
  const after = host.snapshot() as { namespaces: Record<string, unknown> }
  delete after.namespaces['/run/netns/b']
  t.same(after, before, 'bridge and isolation rules gone')
})

t.test('a network whose bridge cannot be made is not recorded, and nothing of it stays', async (t) => {
  const { host, net } = bed(t)
  await net.attach({ containerId: A, name: 'a', netns: '/run/netns/a' })
  const before = host.snapshot()
  host.failOn((c) => c.line === 'iptables-restore --noflush' && c.input.some((l) => l.includes('br-')))
  await t.rejects(net.createNetwork({ name: 'broken' }))
  t.same(host.snapshot(), before)
  t.notOk(net.networks().some((n) => n.name === 'broken'))
})

t.test('--network none: only lo, brought up without starting a process; host: nothing at all', async (t) => {
  const { host, net } = bed(t)
  await net.attach({ containerId: A, mode: 'none', netns: '/run/netns/a' })
  t.same(host.commands, [{ line: 'rtnetlink --net=/run/netns/a', input: ['link set lo up'] }])
  host.commands.length = 0
  await net.attach({ containerId: B, mode: 'host' })
  t.same(host.commands, [])
})
