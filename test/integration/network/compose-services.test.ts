// docker-compose (Debian's package, 1.29) with two services on the project's own network, the
// issue's acceptance: `web` (the offline httpd) publishing a port with a named volume on its
// htdocs, and `client` (busybox) fetching http://web/ by service name in a loop. up -d (network,
// volume, containers), ps, logs, exec, the volume filled from the image and kept across `down`,
// and `down -v` leaving no container, bridge, veth, rule or volume. Runs in a private network
// namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync, spawnSync } = await import('node:child_process')
const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed, until } = await import('../engine/harness.js')
const { clientEnv, runClient } = await import('../../helpers/clients.js')

const COMPOSE = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim()
if (!COMPOSE) {
  t.fail('docker-compose is not installed: bin/lab test installs it (Debian package docker-compose)')
  process.exit(1)
}

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-compose-services-')
t.teardown(cleanup)
const project = mkdtempSync(join(tmpdir(), 'tocker-compose-services-'))
t.teardown(() => rmSync(project, { recursive: true, force: true }))
// The client's loop is bounded (10 minutes at most): `down` stops it long before. As PID 1 it
// would ignore SIGTERM (no handler: the kernel drops it), and every `down` would wait 10 s.
const loop = 'trap "exit 0" TERM; i=0; while [ $$i -lt 600 ]; do if wget -qO- http://web/ >/tmp/page 2>/tmp/err; then echo "fetched: $$(head -c 60 /tmp/page)"; else echo "failed: $$(cat /tmp/err)"; fi; i=$$((i+1)); sleep 1; done'
writeFileSync(
  join(project, 'docker-compose.yml'),
  [
    'version: "3.7"',
    'services:',
    '  web:',
    `    image: ${ref('httpd')}`,
    '    ports:',
    '      - "8092:80"',
    '    volumes:',
    '      - htdocs:/usr/local/apache2/htdocs',
    '  client:',
    `    image: ${ref('busybox')}`,
    '    depends_on:',
    '      - web',
    `    command: ["sh", "-c", ${JSON.stringify(loop)}]`,
    'volumes:',
    '  htdocs: {}',
    '',
  ].join('\n'),
)
const ENV = clientEnv({ DOCKER_HOST: `unix://${env.socket}`, COMPOSE_PROJECT_NAME: 'lab', DOCKER_CONFIG: project })

const compose = (args: string[]) => runClient(COMPOSE, ['--ansi', 'never', ...args], { cwd: project, env: ENV })

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' })
const links = () => sh('ip', ['-o', 'link']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter(Boolean) as string[]
const rules = () => sh('iptables-save', []) + sh('iptables-save', ['-t', 'nat'])
/** What the client fetched last, from its logs. */
const clientSaw = (what: RegExp) =>
  until(
    async () => {
      const r = await compose(['logs', '--no-color', '--tail', '3', 'client'])
      return what.test(r.stdout) ? r.stdout : undefined
    },
    `the client's logs to show ${what}`,
    60_000,
  )

t.test('up -d: the project network, the named volume, both services', async (t) => {
  const up = await compose(['up', '-d'])
  t.equal(up.code, 0, up.stderr)
  t.match(up.stderr, /Creating network "lab_default" with the default driver/)
  t.match(up.stderr, /Creating volume "lab_htdocs" with default driver/)
  t.match(up.stderr, /Creating lab_web_1 +\.\.\. done/)
  t.match(up.stderr, /Creating lab_client_1 +\.\.\. done/)
  const [net] = JSON.parse(await env.ok(['network', 'inspect', 'lab_default']))
  t.match(net, { Name: 'lab_default', Driver: 'bridge', Labels: { 'com.docker.compose.network': 'default', 'com.docker.compose.project': 'lab' } })
  t.same(Object.values(net.Containers as Record<string, { Name: string }>).map((c) => c.Name).sort(), ['lab_client_1', 'lab_web_1'])
  t.ok(links().includes(`br-${net.Id.slice(0, 12)}`), 'the network is its own bridge')
})

t.test("the client reaches web by its service name; the volume holds the image's page", async (t) => {
  t.match(await clientSaw(/fetched: .*It works!/), /fetched:/)
  const ps = await compose(['ps'])
  t.equal(ps.code, 0, ps.stderr)
  t.match(ps.stdout, /^lab_client_1 +sh -c .* +Up *$/m)
  t.match(ps.stdout, /^lab_web_1 +httpd-foreground +Up +0\.0\.0\.0:8092->80\/tcp/m)
  t.match(await (await fetch('http://127.0.0.1:8092/')).text(), /It works!/, 'the published port')
  // compose exec: the name resolves to web's address on the project network.
  const webIp = JSON.parse(await env.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'lab_web_1'])).lab_default.IPAddress
  const look = await compose(['exec', '-T', 'client', 'nslookup', 'web'])
  t.equal(look.code, 0, look.stderr)
  t.match(look.stdout, new RegExp(`Name:\\s+web\\s+Address: ${webIp.replace(/\./g, '\\.')}`))
  t.match((await compose(['exec', '-T', 'client', 'nslookup', 'lab_web_1'])).stdout, `Address: ${webIp}`, 'and by container name')
  // Writing into the volume through web changes what the client fetches.
  const w = await compose(['exec', '-T', 'web', 'sh', '-c', 'echo "from the volume" > htdocs/index.html'])
  t.equal(w.code, 0, w.stderr)
  t.match(await clientSaw(/fetched: from the volume/), /from the volume/)
})

t.test('down keeps the named volume; up again serves what it holds', async (t) => {
  const down = await compose(['down'])
  t.equal(down.code, 0, down.stderr)
  t.match(down.stderr, /Removing network lab_default/)
  t.equal((await env.ok(['ps', '-aq'])).trim(), '', 'no container left')
  t.equal(await env.ok(['volume', 'ls', '-q']), 'lab_htdocs\n', 'the volume stays')
  t.notMatch(await env.ok(['network', 'ls']), /lab_default/)
  const up = await compose(['up', '-d'])
  t.equal(up.code, 0, up.stderr)
  t.notMatch(up.stderr, /Creating volume/, 'the volume is reused')
  t.match(await clientSaw(/fetched: from the volume/), /from the volume/)
})

t.test('logs of both services', async (t) => {
  const logs = await compose(['logs', '--no-color'])
  t.equal(logs.code, 0, logs.stderr)
  t.match(logs.stdout, /web_1 +\| .*url:\//)
  t.match(logs.stdout, /client_1 +\| fetched: /)
})

t.test('down -v: no container, network, bridge, veth, rule or volume left', async (t) => {
  const down = await compose(['down', '-v'])
  t.equal(down.code, 0, down.stderr)
  t.match(down.stderr, /Removing volume lab_htdocs/)
  t.equal((await env.ok(['ps', '-aq'])).trim(), '')
  t.equal(await env.ok(['volume', 'ls', '-q']), '')
  t.equal(await env.ok(['network', 'ls', '--format', '{{.Name}}']), 'bridge\nhost\nnone\n')
  t.same(links().filter((l) => /^(br-|veth)/.test(l)), [], 'no bridge or veth')
  t.notMatch(rules(), /br-|8092/, 'no rule of the network or the port')
})

t.test('cleanup', async () => {
  await cleanup()
})
