// The real Docker CLI (`docker` 28) against tockerd for networks: network create / ls / inspect /
// connect / disconnect / rm / prune, run --network --network-alias, name resolution between two
// containers, --link on the default bridge, and Docker's error lines through the CLI (a name taken,
// overlapping subnets, a network in use, an unknown one). Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync, spawnSync } = await import('node:child_process')
const { mkdtempSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed } = await import('../engine/harness.js')
const { clientEnv, runClient } = await import('../../helpers/clients.js')

const DOCKER = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim()
if (!DOCKER) {
  t.fail('the docker CLI is not installed: bin/lab test installs it (Debian: docker-cli, or the client from docker.io)')
  process.exit(1)
}

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-docker-cli-networks-')
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
const dockerConfig = mkdtempSync(join(tmpdir(), 'tocker-docker-cli-networks-config-'))
t.teardown(() => rmSync(dockerConfig, { recursive: true, force: true }))
const DOCKER_ENV = clientEnv({ DOCKER_CONFIG: dockerConfig, DOCKER_HOST: `unix://${env.socket}`, DOCKER_CLI_HINTS: 'false' })

const docker = (args: string[]) => runClient(DOCKER, args, { env: DOCKER_ENV })

async function ok(args: string[]): Promise<string> {
  const r = await docker(args)
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' })
const links = () => sh('ip', ['-o', 'link']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter(Boolean) as string[]

await ok(['pull', '-q', BUSYBOX])
await ok(['pull', '-q', HTTPD])

t.test('network create / ls / inspect', async (t) => {
  const id = (await ok(['network', 'create', '--label', 'lab=1', 'front'])).trim()
  t.match(id, /^[0-9a-f]{64}$/)
  const ls = await ok(['network', 'ls'])
  t.match(ls, /^NETWORK ID +NAME +DRIVER +SCOPE\n/)
  t.match(ls, new RegExp(`\\n${id.slice(0, 12)} +front +bridge +local\\n`))
  t.match(ls, /\n[0-9a-f]{12} +bridge +bridge +local\n/)
  t.equal(await ok(['network', 'ls', '-q', '--filter', 'label=lab=1']), `${id.slice(0, 12)}\n`)
  t.equal(await ok(['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}}']), 'none\n')
  const [n] = JSON.parse(await ok(['network', 'inspect', 'front']))
  t.match(n, { Name: 'front', Id: id, Driver: 'bridge', Scope: 'local', Internal: false, Labels: { lab: '1' }, IPAM: { Driver: 'default', Config: [{ Subnet: /^\d+\.\d+\.0\.0\/16$/ }] } })
  t.equal((await ok(['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', id.slice(0, 6)])).trim(), 'front bridge')
})

t.test('run --network --network-alias: two containers find each other by name and alias', async (t) => {
  await ok(['run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'www', HTTPD])
  const r = await docker(['run', '--rm', '--network', 'front', BUSYBOX, 'sh', '-c', 'wget -qO- http://web/ && wget -qO- http://www/'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout.split('It works!').length - 1, 2)
  const nets = JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web']))
  t.same(Object.keys(nets), ['front'])
  t.match(nets.front.Aliases, ['www'])
  const [n] = JSON.parse(await ok(['network', 'inspect', 'front']))
  t.same(Object.values(n.Containers as Record<string, { Name: string }>).map((c) => c.Name), ['web'])
})

t.test('connect / disconnect', async (t) => {
  await ok(['network', 'create', '--subnet', '10.66.0.0/24', 'back'])
  await ok(['run', '-d', '--name', 'worker', '--network', 'back', BUSYBOX, 'sleep', '600'])
  t.match((await docker(['exec', 'worker', 'nslookup', 'web'])).stdout, /NXDOMAIN/, 'web is on another network')
  t.equal(await ok(['network', 'connect', '--alias', 'jobs', 'front', 'worker']), '')
  t.match(await ok(['exec', 'worker', 'wget', '-qO-', 'http://web/']), /It works!/)
  const seen = await docker(['run', '--rm', '--network', 'front', BUSYBOX, 'nslookup', 'jobs'])
  t.match(seen.stdout, /Name:\s+jobs\s+Address: \d+\.\d+\.0\.\d+/)
  t.same(Object.keys(JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'worker']))).sort(), ['back', 'front'])
  const again = await docker(['network', 'connect', 'front', 'worker'])
  t.not(again.code, 0)
  t.match(again.stderr, 'Error response from daemon: endpoint with name worker already exists in network front')
  t.equal(await ok(['network', 'disconnect', 'front', 'worker']), '')
  t.match((await docker(['exec', 'worker', 'nslookup', 'web'])).stdout, /NXDOMAIN/, 'gone from front')
})

t.test("Docker's errors through the CLI, nothing half-made", async (t) => {
  const before = links()
  const cases: [string[], RegExp | string][] = [
    [['network', 'create', 'front'], 'Error response from daemon: network with name front already exists'],
    [['network', 'create', '--subnet', '10.66.0.0/25', 'overlap'], 'Error response from daemon: invalid pool request: Pool overlaps with other one on this address space'],
    [['network', 'rm', 'nosuch'], 'Error response from daemon: network nosuch not found'],
    [['network', 'rm', 'front'], /Error response from daemon: error while removing network: network front id [0-9a-f]{64} has active endpoints/],
    [['network', 'rm', 'bridge'], 'Error response from daemon: bridge is a pre-defined network and cannot be removed'],
    [['run', '--rm', '--network', 'nosuch', BUSYBOX, 'true'], 'Error response from daemon: network nosuch not found'],
    [['network', 'disconnect', 'back', 'web'], /Error response from daemon: container [0-9a-f]{64} is not connected to network back/],
  ]
  for (const [args, message] of cases) {
    const r = await docker(args)
    t.not(r.code, 0, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
  }
  t.same(links(), before, 'no bridge or veth made')
  t.notMatch(await ok(['network', 'ls']), /overlap/)
})

t.test('--link on the default bridge', async (t) => {
  await ok(['run', '-d', '--name', 'db', HTTPD])
  const r = await docker(['run', '--rm', '--link', 'db:database', BUSYBOX, 'sh', '-c', 'wget -qO- http://database/; echo "$DATABASE_NAME"'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /It works![\s\S]*\/[^/]+\/database\n$/)
})

t.test('rm and prune leave no bridge or veth', async (t) => {
  await ok(['rm', '-f', 'web', 'worker', 'db'])
  t.equal(await ok(['network', 'rm', 'front']), 'front\n')
  t.equal(await ok(['network', 'prune', '-f']), 'Deleted Networks:\nback\n\n')
  t.equal(await ok(['network', 'ls', '--format', '{{.Name}}']), 'bridge\nhost\nnone\n')
  t.same(links().filter((l) => /^(br-|veth)/.test(l)), [])
})

t.test('cleanup', async () => {
  await cleanup()
})
