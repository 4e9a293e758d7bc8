// User-defined networks through the tocker CLI against a real engine: network create/ls/inspect/
// rm/connect/disconnect/prune with Docker's output and errors (and nothing half-made), containers
// that find each other by name, alias and short id through the embedded DNS at 127.0.0.11 (names
// following start, stop and rename), Docker's isolation between bridges, --internal, --ip, legacy
// --link on the default bridge, and nothing left behind (bridges, veths, rules) after rm, network
// rm and an engine kill -9. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { userNetworksBed } = await import('./user-networks-bed.js')
const { api } = await import('../../helpers/engine-api.js')

const { env, cleanup, BUSYBOX, HTTPD, sh, links, rules, inNet } = await userNetworksBed('tocker-user-networks-')
t.teardown(cleanup)
const idOf = async (name: string) => (await env.ok(['network', 'inspect', '-f', '{{.Id}}', name])).trim()

t.test("network create / ls / inspect: Docker's output and shapes", async (t) => {
  t.match(await env.ok(['network', 'ls']), /^NETWORK ID +NAME +DRIVER +SCOPE\n[0-9a-f]{12} +bridge +bridge +local\n[0-9a-f]{12} +host +host +local\n[0-9a-f]{12} +none +null +local\n$/)
  const id = (await env.ok(['network', 'create', 'front'])).trim()
  t.match(id, /^[0-9a-f]{64}$/)
  await env.ok(['network', 'create', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.254', '--label', 'tier=back', 'back'])
  const ls = await env.ok(['network', 'ls'])
  t.match(ls, new RegExp(`\\n${id.slice(0, 12)} +front +bridge +local\\n`))
  t.equal(await env.ok(['network', 'ls', '-q', '--filter', 'label=tier=back']), `${(await idOf('back')).slice(0, 12)}\n`)
  t.equal(await env.ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=custom']), 'back\nfront\n')
  const [front] = JSON.parse(await env.ok(['network', 'inspect', 'front']))
  t.match(front, {
    Name: 'front',
    Id: id,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    Internal: false,
    Attachable: false,
    Containers: {},
    Labels: {},
    IPAM: { Driver: 'default', Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] },
  })
  t.match(front.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/)
  t.equal(await env.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'back']), '[{"Subnet":"10.77.0.0/24","Gateway":"10.77.0.254"}]\n')
  // Each network is its own bridge, up, with its gateway address.
  t.match(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', `br-${id.slice(0, 12)}`]), /inet 172\.18\.0\.1\/16/)
  t.match(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', `br-${(await idOf('back')).slice(0, 12)}`]), /inet 10\.77\.0\.254\/24/)
  // Prefix lookups as Docker's.
  t.equal((await env.ok(['network', 'inspect', '-f', '{{.Name}}', id.slice(0, 5)])).trim(), 'front')
})

t.test("bad input: Docker's messages, nothing half-made", async (t) => {
  const before = { links: links(), rules: rules(), ls: await env.ok(['network', 'ls', '-q']) }
  // Through the CLI: what it prints (Docker's "Error response from daemon: " first) and its exit code.
  const cases: [string[], string][] = [
    [['network', 'create', 'front'], 'Error response from daemon: network with name front already exists'],
    [['run', '--rm', '--network', 'nosuch', BUSYBOX, 'true'], 'network nosuch not found'],
    [['run', '--rm', '--network-alias', 'x', BUSYBOX, 'true'], 'network-scoped alias is supported only for containers in user defined networks'],
    [['run', '--rm', '--network', 'front', '--ip', '172.18.0.50', BUSYBOX, 'true'], 'user specified IP address is supported only when connecting to networks with user configured subnets'],
    [['run', '--rm', '--network', 'back', '--ip', '10.99.0.5', BUSYBOX, 'true'], 'no configured subnet or ip-range contain the IP address 10.99.0.5'],
    [['run', '--rm', '--link', 'nosuch:db', BUSYBOX, 'true'], 'could not get container for nosuch'],
  ]
  for (const [args, message] of cases) {
    const r = await env.tocker(args)
    t.not(r.code, 0, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
  }
  // Through the API (the same daemon messages; no CLI start-up per case).
  const create = (body: object) => api(env.socket, 'POST', '/networks/create', { body })
  const apiCases: [() => ReturnType<typeof api>, number, string][] = [
    [() => create({ Name: 'overlap', IPAM: { Config: [{ Subnet: '10.77.0.128/25' }] } }), 403, 'invalid pool request: Pool overlaps with other one on this address space'],
    [() => create({ Name: 'overlap2', IPAM: { Config: [{ Subnet: '172.18.5.0/24' }] } }), 403, 'Pool overlaps with other one on this address space'],
    [() => create({ Name: 'hostbits', IPAM: { Config: [{ Subnet: '10.88.0.1/24' }] } }), 400, 'invalid subnet 10.88.0.1/24: it should be 10.88.0.0/24'],
    [() => create({ Name: 'gw', IPAM: { Config: [{ Subnet: '10.88.0.0/24', Gateway: '10.89.0.1' }] } }), 400, 'invalid gateway 10.89.0.1: it must be in subnet 10.88.0.0/24'],
    [() => create({ Name: 'bad', IPAM: { Config: [{ Subnet: 'banana' }] } }), 400, 'invalid subnet banana'],
    [() => create({ Name: 'ov', Driver: 'overlay' }), 404, 'plugin "overlay" not found'],
    [() => create({ Name: 'host' }), 403, 'operation is not permitted on predefined host network'],
    [() => api(env.socket, 'DELETE', '/networks/bridge'), 403, 'bridge is a pre-defined network and cannot be removed'],
    [() => api(env.socket, 'DELETE', '/networks/nosuch'), 404, 'network nosuch not found'],
    [() => api(env.socket, 'GET', '/networks/nosuch'), 404, 'network nosuch not found'],
  ]
  for (const [call, status, message] of apiCases) {
    const r = await call()
    t.equal(r.status, status, `${message}: Docker's status`)
    t.match(r.json?.message, message)
  }
  t.same(links(), before.links, 'no bridge or veth was made')
  t.equal(rules(), before.rules, 'no rule was added')
  t.equal(await env.ok(['network', 'ls', '-q']), before.ls)
  t.equal((await env.ok(['ps', '-aq'])).trim(), '', 'no container left')
})

t.test('containers on one network find each other by name, alias and short id', async (t) => {
  const web = (await env.ok(['run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'www', HTTPD])).trim()
  const r = await inNet('front', 'cat /etc/resolv.conf; wget -qO- http://web/; wget -qO- http://www/; wget -qO- http://' + web.slice(0, 12) + '/; wget -qO- http://web.front/; nslookup web 2>&1')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^# .*\nnameserver 127\.0\.0\.11\n(search .*\n)?options ndots:0/)
  t.equal(r.stdout.split('It works!').length - 1, 4, 'by name, alias, short id and name.network')
  t.match(r.stdout, /Server:\s+127\.0\.0\.11[\s\S]*Name:\s+web\s+Address: 172\.18\.0\.2/)
  const [ns] = JSON.parse(await env.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web']).then((s) => `[${s}]`))
  t.match(ns.front, { Aliases: ['www', web.slice(0, 12)], DNSNames: ['web', web.slice(0, 12), 'www'], IPAddress: '172.18.0.2', Gateway: '172.18.0.1', IPPrefixLen: 16, NetworkID: await idOf('front') })
  t.equal((await env.ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web'])).trim(), '', "the top-level address is the default bridge's only")
  const [net] = JSON.parse(await env.ok(['network', 'inspect', 'front']))
  t.match(net.Containers[web], { Name: 'web', IPv4Address: '172.18.0.2/16' })
  // A name nobody has: NXDOMAIN at once (the test's namespace is offline); AAAA of a known name: no error.
  const q = await inNet('front', 'nslookup nosuchname.example 2>&1; echo "exit=$?"; nslookup -type=AAAA web 2>&1 | tail -2')
  t.match(q.stdout, /NXDOMAIN/)
  t.notMatch(q.stdout.split('exit=')[1] ?? '', /NXDOMAIN|SERVFAIL/, 'AAAA of a container name is not an error')
  // The default bridge and other networks see neither the name nor the address.
  const other = await inNet('back', 'nslookup web 2>&1; timeout 3 wget -qO- http://172.18.0.2/ 2>&1 || echo unreachable')
  t.match(other.stdout, /NXDOMAIN/)
  t.match(other.stdout, /unreachable/)
  const dflt = await env.tocker(['run', '--rm', BUSYBOX, 'sh', '-c', 'timeout 3 wget -qO- http://172.18.0.2/ 2>&1 || echo unreachable'])
  t.match(dflt.stdout, /unreachable/, 'the default bridge is isolated from user-defined networks too')
})

t.test('names follow start, stop and rename', async (t) => {
  await env.ok(['run', '-d', '--name', 'pinger', '--network', 'front', BUSYBOX, 'sleep', '600'])
  const look = async (name: string) => (await env.tocker(['exec', 'pinger', 'nslookup', name])).stdout
  t.match(await look('web'), /Address: 172\.18\.0\.2/)
  await env.ok(['stop', '-t', '1', 'web'])
  t.match(await look('web'), /NXDOMAIN/, 'a stopped container has no name')
  await env.ok(['start', 'web'])
  t.match(await look('web'), /Address: 172\.18\.0\.\d+/)
  await env.ok(['rename', 'web', 'web2'])
  t.match(await look('web2'), /Address: 172\.18\.0\.\d+/, 'the new name resolves')
  t.match(await look('web'), /NXDOMAIN/, 'the old name does not')
  t.match(await look('www'), /Address: 172\.18\.0\.\d+/, 'aliases stay')
  // Two containers with one alias: both addresses.
  await env.ok(['run', '-d', '--name', 'web3', '--network', 'front', '--network-alias', 'www', HTTPD])
  t.match(await look('www'), /Address: 172\.18\.0\.\d+[\s\S]*Address: 172\.18\.0\.\d+/)
  await env.ok(['rm', '-f', 'web3'])
})

t.test('connect and disconnect a running container; --ip', async (t) => {
  const r = await env.tocker(['network', 'connect', '--ip', '10.77.0.10', '--alias', 'pong', 'back', 'pinger'])
  t.equal(r.code, 0, r.stderr)
  const ifs = await env.ok(['exec', 'pinger', 'ip', '-o', '-4', 'addr'])
  t.match(ifs, /eth0 +inet 172\.18\.0\.\d+\/16/)
  t.match(ifs, /eth1 +inet 10\.77\.0\.10\/24/)
  const b = await inNet('back', 'nslookup pong 2>&1; nslookup pinger 2>&1; nslookup web2 2>&1')
  t.match(b.stdout, /Name:\s+pong\s+Address: 10\.77\.0\.10/)
  t.match(b.stdout, /Name:\s+pinger\s+Address: 10\.77\.0\.10/)
  t.match(b.stdout, /can't find web2: NXDOMAIN/, 'web2 is on front only')
  const again = await env.tocker(['network', 'connect', 'back', 'pinger'])
  t.match(again.stderr, 'endpoint with name pinger already exists in network back')
  const taken = await env.tocker(['run', '--rm', '--network', 'back', '--ip', '10.77.0.10', BUSYBOX, 'true'])
  t.match(taken.stderr, 'Address already in use')
  t.equal((await env.tocker(['network', 'disconnect', 'back', 'pinger'])).code, 0)
  t.notMatch(await env.ok(['exec', 'pinger', 'ip', '-o', 'link']), /eth1/)
  const gone = await env.tocker(['network', 'disconnect', 'back', 'pinger'])
  t.match(gone.stderr, /is not connected to network back/)
  // A created (not running) container: only its configuration changes; start attaches it.
  await env.ok(['create', '--name', 'later', '--network', 'front', BUSYBOX, 'sleep', '600'])
  await env.ok(['network', 'connect', 'back', 'later'])
  await env.ok(['start', 'later'])
  t.match(await env.ok(['exec', 'later', 'ip', '-o', '-4', 'addr']), /eth1 +inet 10\.77\.0\.\d+/)
  await env.ok(['rm', '-f', 'later'])
})

t.test('network rm refuses a network in use; rm and prune leave no bridge, veth or rule', async (t) => {
  const inUse = await env.tocker(['network', 'rm', 'front'])
  t.equal(inUse.code, 1)
  t.match(inUse.stderr, new RegExp(`Error response from daemon: error while removing network: network front id ${await idOf('front')} has active endpoints`))
  const frontBridge = `br-${(await idOf('front')).slice(0, 12)}`
  await env.ok(['rm', '-f', 'web2', 'pinger'])
  t.same(links().filter((l) => l.startsWith('veth')), [], 'no veth left')
  t.equal(await env.ok(['network', 'rm', 'front']), 'front\n')
  t.notOk(links().includes(frontBridge), 'its bridge is gone')
  t.notMatch(rules(), new RegExp(frontBridge), 'its rules are gone')
  t.equal(await env.ok(['network', 'prune', '-f']), 'Deleted Networks:\nback\n')
  t.same(links().filter((l) => l.startsWith('br-')), [], 'no bridge left')
  t.notMatch(rules(), /br-/)
})

t.test('cleanup', async () => {
  await cleanup()
})
