// User-defined networks, the edges (user-networks.test.ts has the main path; split so that each
// file stays well under two minutes on a loaded machine): --internal (no NAT, no default route, an
// outside server unreachable), legacy --link on the default bridge (/etc/hosts and Docker's
// variables), an engine kill -9 (names resolve again, an orphan bridge removed, nothing left), and
// the /networks API's statuses. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn } = await import('node:child_process')
const { until } = await import('../engine/harness.js')
const { userNetworksBed } = await import('./user-networks-bed.js')
const { api } = await import('../../helpers/engine-api.js')

const { env, cleanup, BUSYBOX, HTTPD, sh, links, rules, inNet } = await userNetworksBed('tocker-user-networks-edges-')
t.teardown(cleanup)

t.test('--internal: no way out, no NAT', async (t) => {
  // "Outside": an address of the host that is on no bridge, with a server behind it.
  // (A veth pair: the dummy module may not be loaded, and a test cannot load it.)
  sh('ip', ['link', 'add', 'outside0', 'type', 'veth', 'peer', 'name', 'outside1'])
  t.teardown(() => void sh('ip', ['link', 'del', 'outside0']))
  sh('ip', ['addr', 'add', '10.250.0.1/24', 'dev', 'outside0'])
  sh('ip', ['link', 'set', 'outside0', 'up'])
  sh('ip', ['link', 'set', 'outside1', 'up'])
  const server = spawn('busybox', ['httpd', '-f', '-p', '10.250.0.1:8090', '-h', '/etc'], { stdio: 'ignore' })
  t.teardown(() => void server.kill('SIGKILL'))
  await env.ok(['network', 'create', 'open'])
  await env.ok(['network', 'create', '--internal', 'closed'])
  const open = await inNet('open', 'timeout 5 wget -qO- http://10.250.0.1:8090/hostname >/dev/null && echo reached')
  t.match(open.stdout, /reached/, 'a normal network gets out')
  const closed = await inNet('closed', 'ip route; timeout 5 wget -qO- http://10.250.0.1:8090/hostname 2>&1 || echo blocked')
  t.match(closed.stdout, /blocked/)
  t.notMatch(closed.stdout, /default/, 'no default route')
  const subnet = JSON.parse(await env.ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'closed']))[0].Subnet
  t.notMatch(sh('iptables-save', ['-t', 'nat']), new RegExp(`-s ${subnet.replace(/\./g, '\\.')} ! -o \\S+ -j MASQUERADE`), 'no MASQUERADE for it')
  t.equal((await env.ok(['network', 'inspect', '-f', '{{.Internal}}', 'closed'])).trim(), 'true')
  await env.ok(['network', 'rm', 'open', 'closed'])
})

t.test("--link on the default bridge: /etc/hosts and Docker's variables", async (t) => {
  const db = (await env.ok(['run', '-d', '--name', 'db', '-e', 'SECRET=s3', '--expose', '5432', HTTPD])).trim()
  const ip = (await env.ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'db'])).trim()
  const r = await env.tocker(['run', '--rm', '--name', 'client', '--link', 'db:database', BUSYBOX, 'sh', '-c', 'grep database /etc/hosts; env | grep ^DATABASE_ | sort; wget -qO- http://database/'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tdatabase ${db.slice(0, 12)} db\\n`))
  t.match(r.stdout, `DATABASE_ENV_SECRET=s3\n`)
  t.match(r.stdout, `DATABASE_NAME=/client/database\n`)
  t.match(r.stdout, `DATABASE_PORT=tcp://${ip}:80\n`)
  t.match(r.stdout, `DATABASE_PORT_5432_TCP=tcp://${ip}:5432\nDATABASE_PORT_5432_TCP_ADDR=${ip}\nDATABASE_PORT_5432_TCP_PORT=5432\nDATABASE_PORT_5432_TCP_PROTO=tcp\n`)
  t.match(r.stdout, /It works!/)
  t.notMatch(r.stdout, /DATABASE_ENV_PATH/)
  const inspect = await env.ok(['run', '--name', 'client2', '--link', 'db', BUSYBOX, 'true']).then(() => env.ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'client2']))
  t.equal(inspect.trim(), '["/db:/client2/db"]')
  await env.ok(['rm', 'client2'])
  await env.ok(['stop', '-t', '1', 'db'])
  const stopped = await env.tocker(['run', '--rm', '--link', 'db:database', BUSYBOX, 'true'])
  t.match(stopped.stderr, 'Cannot link to a non running container: /db AS /')
  await env.ok(['rm', 'db'])
})

t.test('engine kill -9: DNS comes back with the engine, nothing orphaned', async (t) => {
  await env.ok(['network', 'create', 'lasting'])
  await env.ok(['run', '-d', '--name', 's1', '--network', 'lasting', HTTPD])
  await env.ok(['run', '-d', '--name', 's2', '--network', 'lasting', BUSYBOX, 'sleep', '600'])
  t.match((await env.tocker(['exec', 's2', 'wget', '-qO-', 'http://s1/'])).stdout, /It works!/)
  await env.stopEngine('SIGKILL')
  // A bridge of ours that no network owns (a network rm cut short), and a veth nobody owns.
  sh('ip', ['link', 'add', 'br-deadbeef0000', 'type', 'bridge'])
  sh('ip', ['link', 'set', 'br-deadbeef0000', 'alias', env.root])
  await env.startEngine()
  const r = await until(
    async () => {
      const x = await env.tocker(['exec', 's2', 'timeout', '3', 'wget', '-qO-', 'http://s1/'])
      return x.stdout.includes('It works!') ? x : undefined
    },
    'name resolution after the restart',
    20_000,
  )
  t.ok(r)
  t.notOk(links().includes('br-deadbeef0000'), 'the orphan bridge is gone')
  await env.ok(['rm', '-f', 's1', 's2'])
  await env.ok(['network', 'rm', 'lasting'])
  t.same(links().filter((l) => /^(br-|veth)/.test(l)), [], 'no bridge or veth left')
  t.notMatch(rules(), /br-/, 'no rule of a removed network left')
})

t.test('the API: create 201, connect with aliases, list filters', async (t) => {
  const c = await api(env.socket, 'POST', '/networks/create', { body: { Name: 'apinet', CheckDuplicate: true, Labels: { a: 'b' } } })
  t.equal(c.status, 201)
  t.match(c.json, { Id: /^[0-9a-f]{64}$/, Warning: '' })
  const dup = await api(env.socket, 'POST', '/networks/create', { body: { Name: 'apinet' } })
  t.equal(dup.status, 409)
  const l = await api(env.socket, 'GET', '/networks?filters=' + encodeURIComponent(JSON.stringify({ name: ['apinet'] })))
  t.same(l.json.map((n: any) => n.Name), ['apinet'])
  t.same(l.json[0].Containers, {}, "lists carry no containers, as Docker's")
  const rm = await api(env.socket, 'DELETE', `/networks/${c.json.Id}`)
  t.equal(rm.status, 204)
})

t.test('cleanup', async () => {
  await cleanup()
})
