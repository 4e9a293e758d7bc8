// The pure parts of the network layer: -p parsing with Docker's errors, the PORTS column and
// `port` output, inspect's shape, /etc/hosts and resolv.conf, subnet choice and the allocator.
import t from 'tap'
import { TockerError } from '../../../src/errors.js'
import { allocateIp, bindingsClash, newVethName, portOwner } from '../../../src/network/ipam.js'
import { networkSettings } from '../../../src/network/inspect.js'
import { parseCidr, macForIPv4, parseIPv4, formatCidr } from '../../../src/network/ipv4.js'
import { displayablePorts, portCommandLines, portMap, portSummaries } from '../../../src/network/port-format.js'
import { parseExposeSpec, parsePortSpec, parsePortSpecs, portRequests } from '../../../src/network/port-spec.js'
import { hostsFile, hostResolvConf, resolvConf } from '../../../src/network/etc-files.js'
import { chooseFreeSubnet, usedBlocks } from '../../../src/network/subnet.js'
import { hasComment, portRules, ruleComment } from '../../../src/network/rules.js'
import { parseSave, syncChanges } from '../../../src/network/iptables.js'
import type { Endpoint, NetworkRecord, NetworkState } from '../../../src/network/types.js'

t.test('-p forms parse like Docker', async (t) => {
  t.same(parsePortSpec('8081:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8081' } }])
  t.same(parsePortSpec('127.0.0.1:8081:80/udp'), [{ port: '80/udp', binding: { HostIp: '127.0.0.1', HostPort: '8081' } }])
  t.same(parsePortSpec('80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '' } }])
  t.same(parsePortSpec('127.0.0.1::80'), [{ port: '80/tcp', binding: { HostIp: '127.0.0.1', HostPort: '' } }])
  t.same(parsePortSpec('53:53/UDP')[0]!.port, '53/udp')
  t.same(
    parsePortSpec('8000-8001:80-81').map((m) => [m.port, m.binding.HostPort]),
    [['80/tcp', '8000'], ['81/tcp', '8001']],
  )
  t.same(parsePortSpec('8000-8010:80')[0]!.binding.HostPort, '8000-8010')
  const both = parsePortSpecs(['8081:80', '8082:80', '443'])
  t.same(both.exposedPorts, { '80/tcp': {}, '443/tcp': {} })
  t.same(both.portBindings['80/tcp'], [{ HostIp: '', HostPort: '8081' }, { HostIp: '', HostPort: '8082' }])
  t.same(parseExposeSpec('8000-8001/udp'), ['8000/udp', '8001/udp'])
})

t.test("bad -p values fail with Docker's words", async (t) => {
  const msg = (spec: string) => {
    try {
      parsePortSpec(spec)
      return 'no error'
    } catch (err) {
      t.ok(err instanceof TockerError, `${spec}: a TockerError`)
      return (err as Error).message
    }
  }
  t.equal(msg('abc'), 'invalid containerPort: abc')
  t.equal(msg('abc:80'), 'invalid hostPort: abc')
  t.equal(msg('8080:abc'), 'invalid containerPort: abc')
  t.equal(msg('70000:80'), 'invalid hostPort: 70000')
  t.equal(msg('80/sctpx'), 'invalid proto: sctpx')
  t.equal(msg('8080:'), 'no port specified: 8080:<empty>')
  t.equal(msg('1.2.3:80:80'), 'invalid IP address: 1.2.3')
  t.equal(msg('8000-8002:80-81'), 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002')
  t.match(msg('[::1]:80:80'), /^invalid IP address: ::1 /)
})

t.test('port requests: bindings, -P over ExposedPorts, sorted', async (t) => {
  const { portBindings, exposedPorts } = parsePortSpecs(['8081:80', '127.0.0.1:5353:53/udp'])
  const reqs = portRequests(portBindings, true, { ...exposedPorts, '443/tcp': {} })
  t.same(reqs, [
    { hostIp: '127.0.0.1', hostPortFirst: 5353, hostPortLast: 5353, containerPort: 53, proto: 'udp' },
    { hostIp: '0.0.0.0', hostPortFirst: 8081, hostPortLast: 8081, containerPort: 80, proto: 'tcp' },
    { hostIp: '0.0.0.0', hostPortFirst: 0, hostPortLast: 0, containerPort: 443, proto: 'tcp' },
  ])
  t.same(portRequests(undefined, false, { '80/tcp': {} }), [], 'exposed alone publishes nothing without -P')
})

t.test('PORTS column, port command and inspect Ports like the Docker CLI', async (t) => {
  const published = [
    { hostIp: '0.0.0.0', hostPort: 8081, containerPort: 80, proto: 'tcp' as const },
    { hostIp: '0.0.0.0', hostPort: 5353, containerPort: 53, proto: 'udp' as const },
  ]
  const map = portMap(published, { '80/tcp': {}, '443/tcp': {} })
  t.same(map, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }], '443/tcp': null, '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }] })
  t.equal(displayablePorts(portSummaries(map)), '443/tcp, 0.0.0.0:5353->53/udp, 0.0.0.0:8081->80/tcp')
  t.equal(displayablePorts(portSummaries({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }] })), '0.0.0.0:8081->80/tcp')
  // Same host and container ports fold into ranges.
  const range = portSummaries({
    '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '8000' }],
    '8001/tcp': [{ HostIp: '0.0.0.0', HostPort: '8001' }],
    '8002/tcp': [{ HostIp: '0.0.0.0', HostPort: '8002' }],
    '9000/tcp': null,
    '9001/tcp': null,
  })
  t.equal(displayablePorts(range), '0.0.0.0:8000-8002->8000-8002/tcp, 9000-9001/tcp')
  t.same(portCommandLines(map, 'ws3'), ['53/udp -> 0.0.0.0:5353', '80/tcp -> 0.0.0.0:8081'])
  t.same(portCommandLines(map, 'ws3', '80'), ['0.0.0.0:8081'])
  t.throws(() => portCommandLines(map, 'ws3', '81/tcp'), { message: "Error: No public port '81/tcp' published for ws3" })
  t.throws(() => portCommandLines(map, 'ws3', 'x'), { message: /^Error: invalid port \(x\)/ })
})

t.test('inspect NetworkSettings shape', async (t) => {
  const e: Endpoint = {
    containerId: 'c'.repeat(64),
    endpointId: 'e'.repeat(64),
    ip: '172.17.0.2',
    prefixLen: 16,
    gateway: '172.17.0.1',
    mac: '02:42:ac:11:00:02',
    hostVeth: 'veth1234567',
    netns: '/proc/1/ns/net',
    ports: [{ hostIp: '0.0.0.0', hostPort: 8081, containerPort: 80, proto: 'tcp' }],
  }
  const s = networkSettings({ mode: 'bridge', networkId: 'n'.repeat(64), endpoint: e, exposed: { '80/tcp': {} } })
  t.equal(s.IPAddress, '172.17.0.2')
  t.equal(s.Gateway, '172.17.0.1')
  t.equal(s.MacAddress, '02:42:ac:11:00:02')
  t.equal(s.IPPrefixLen, 16)
  t.same(s.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }] })
  t.equal(s.Networks.bridge!.IPAddress, '172.17.0.2')
  t.equal(s.Networks.bridge!.NetworkID, 'n'.repeat(64))
  const stopped = networkSettings({ mode: 'bridge', running: false })
  t.same([stopped.IPAddress, stopped.Ports], ['', {}])
  t.same(Object.keys(networkSettings({ mode: 'none', running: true }).Networks), ['none'])
})

t.test('/etc/hosts and /etc/resolv.conf', async (t) => {
  const hosts = hostsFile({ hostname: 'a1b2c3d4e5f6', ip: '172.17.0.2' })
  t.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/)
  t.match(hosts, /\n172\.17\.0\.2\ta1b2c3d4e5f6\n$/)
  t.notMatch(hostsFile({ hostname: 'x', mode: 'none' }), /\tx\n/)
  t.equal(resolvConf('search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.1\noptions edns0\n'), 'search lan\nnameserver 10.0.0.1\noptions edns0\n')
  t.equal(resolvConf('nameserver 127.0.0.1\nnameserver ::1\n'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n')
  t.equal(resolvConf('nameserver 127.0.0.1\n', 'host'), 'nameserver 127.0.0.1\n')
  const files: Record<string, string> = {
    '/etc/resolv.conf': 'nameserver 127.0.0.53\noptions edns0 trust-ad\n',
    '/run/systemd/resolve/resolv.conf': 'nameserver 192.0.2.53\n',
  }
  t.equal(
    hostResolvConf((p) =>
      files[p] ?? (() => {
        throw new Error('ENOENT')
      })()
    ),
    'nameserver 192.0.2.53\n',
    'systemd-resolved upstream file',
  )
})

t.test('subnet: 172.17.0.0/16 unless the host uses it', async (t) => {
  const free = (routes: string[], addrs: string[] = []) =>
    formatCidr(
      chooseFreeSubnet(usedBlocks(
        routes.map((dst) => ({ dst })),
        [{ ifname: 'eth0', addr_info: addrs.map((a) => ({ family: 'inet', local: a.split('/')[0]!, prefixlen: Number(a.split('/')[1]) })) }],
      ))!,
    )
  t.equal(free(['default', '192.0.2.0/24']), '172.17.0.0/16')
  t.equal(free(['172.17.5.0/24']), '172.18.0.0/16')
  t.equal(free(['172.16.0.0/12']), '192.168.0.0/20', 'a /12 VPC covers every 172.x candidate')
  t.equal(free([], ['172.17.0.9/32', '172.18.1.1/24']), '172.19.0.0/16')
})

t.test('allocator: lowest free IP, no port shared', async (t) => {
  const net: NetworkRecord = { id: 'n', name: 'bridge', driver: 'bridge', created: '', predefined: true, bridge: 'tocker0', subnet: '172.17.0.0/16', gateway: '172.17.0.1', endpoints: {} }
  const state: NetworkState = { version: 2, networks: { n: net } }
  t.equal(allocateIp(net), '172.17.0.2')
  const e = (id: string, ip: string, port?: number): Endpoint => ({
    containerId: id,
    endpointId: id,
    ip,
    prefixLen: 16,
    gateway: '172.17.0.1',
    mac: macForIPv4(parseIPv4(ip)!),
    hostVeth: newVethName(state),
    netns: '',
    ports: port ? [{ hostIp: '0.0.0.0', hostPort: port, containerPort: 80, proto: 'tcp' }] : [],
  })
  net.endpoints.a = e('a', '172.17.0.2', 8081)
  net.endpoints.b = e('b', '172.17.0.3')
  t.equal(allocateIp(net), '172.17.0.4')
  delete net.endpoints.a
  t.equal(allocateIp(net), '172.17.0.2', 'a released address is reused, like Docker')
  net.endpoints.a = e('a', '172.17.0.2', 8081)
  t.equal((portOwner(state, { hostIp: '127.0.0.1', hostPort: 8081, proto: 'tcp' }) as Endpoint).containerId, 'a', '0.0.0.0 covers 127.0.0.1')
  t.equal(portOwner(state, { hostIp: '0.0.0.0', hostPort: 8081, proto: 'udp' }), undefined, 'udp and tcp are separate')
  // A port published on another network is taken too: host ports are one space.
  state.networks.m = { ...net, id: 'm', name: 'front', predefined: false, bridge: 'br-m', subnet: '172.18.0.0/16', gateway: '172.18.0.1', endpoints: { c: e('c', '172.18.0.2', 9090) } }
  t.equal((portOwner(state, { hostIp: '0.0.0.0', hostPort: 9090, proto: 'tcp' }) as Endpoint).containerId, 'c')
  t.notOk(bindingsClash({ hostIp: '127.0.0.1', hostPort: 1, proto: 'tcp' }, { hostIp: '127.0.0.2', hostPort: 1, proto: 'tcp' }))
  t.match(newVethName(state), /^veth[0-9a-f]{7}$/)
  t.equal(macForIPv4(parseIPv4('172.17.0.2')!), '02:42:ac:11:00:02')
  const full: NetworkRecord = { ...net, subnet: '10.0.0.0/30', gateway: '10.0.0.1', endpoints: { x: e('x', '10.0.0.2') } }
  t.equal(allocateIp(full), undefined, 'a /30 has room for one container')
  t.same(parseCidr('172.17.0.1/16'), undefined, 'host bits set is not a network')
})

t.test('rules: comments, and sync fixes duplicate jumps', async (t) => {
  const e: Endpoint = {
    containerId: 'abcdef0123456789',
    endpointId: 'x',
    ip: '172.17.0.2',
    prefixLen: 16,
    gateway: '172.17.0.1',
    mac: '',
    hostVeth: 'veth1',
    netns: '',
    ports: [{ hostIp: '127.0.0.1', hostPort: 8081, containerPort: 80, proto: 'tcp' }],
  }
  const r = portRules('tocker0', e)
  t.same(r.nat, ['-A TOCKER -d 127.0.0.1/32 -p tcp -m tcp --dport 8081 -m comment --comment "tocker:abcdef012345" -j DNAT --to-destination 172.17.0.2:80'])
  t.ok(hasComment(r.filter[0]!, ruleComment(e.containerId)))
  const saved = parseSave(
    '*nat\n:PREROUTING ACCEPT [0:0]\n:TOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j TOCKER\n-A PREROUTING -m addrtype --dst-type LOCAL -j TOCKER\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j TOCKER-FORWARD\nCOMMIT\n',
  )
  const nets = [{ bridge: 'tocker0', subnet: '172.17.0.0/16' }]
  const c = syncChanges(saved, nets)
  t.equal(c.nat.filter((l) => l.startsWith('-D PREROUTING')).length, 2, 'both copies deleted')
  t.equal(c.nat.filter((l) => l.startsWith('-I PREROUTING 1 ')).length, 1, 'one put back')
  t.notOk(c.nat.includes(':TOCKER - [0:0]'), 'the ports chain is not flushed when it exists')
  t.notOk(c.filter.some((l) => l.includes('FORWARD -j TOCKER-FORWARD') && !l.startsWith(':')), 'a single correct jump is left alone')
  t.ok(syncChanges(saved, nets, [{ bridge: 'tocker0', endpoint: e }]).nat.includes(':TOCKER - [0:0]'), 'reconcile flushes and refills it')
})
