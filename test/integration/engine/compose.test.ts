// docker-compose (Debian's package) against tockerd: up -d, ps, logs, down with a single service on
// the default bridge (network_mode: bridge) publishing a port, its image pulled from a real
// registry on 127.0.0.1. Compose finds its containers by labels (project, service, oneoff), so
// this also checks Docker's label filter (every label asked for must match). Runs in a private
// network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawnSync } = await import('node:child_process')
const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed, until } = await import('./harness.js')
const { clientEnv, runClient } = await import('../../helpers/clients.js')

const COMPOSE = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim()
if (!COMPOSE) {
  t.fail('docker-compose is not installed: bin/lab test installs it (Debian package docker-compose)')
  process.exit(1)
}

const { env, ref, cleanup } = await engineTestBed(['httpd'], 'tocker-compose-')
t.teardown(cleanup)
const HTTPD = ref('httpd')
const project = mkdtempSync(join(tmpdir(), 'tocker-compose-project-'))
t.teardown(() => rmSync(project, { recursive: true, force: true }))
writeFileSync(
  join(project, 'docker-compose.yml'),
  ['version: "3.7"', 'services:', '  web:', `    image: ${HTTPD}`, '    network_mode: bridge', '    ports:', '      - "8091:80"', ''].join('\n'),
)
const ENV = clientEnv({ DOCKER_HOST: `unix://${env.socket}`, COMPOSE_PROJECT_NAME: 'lab', DOCKER_CONFIG: project })

const compose = (args: string[]) => runClient(COMPOSE, ['--ansi', 'never', ...args], { cwd: project, env: ENV })

t.test('up -d pulls the image and starts the service with its port', async (t) => {
  const up = await compose(['up', '-d'])
  t.equal(up.code, 0, up.stderr)
  t.match(up.stderr, /Creating lab_web_1 \.\.\. done/)
  const page = await until(async () => {
    try {
      const r = await fetch('http://127.0.0.1:8091/')
      return r.ok ? await r.text() : undefined
    } catch {
      return undefined
    }
  }, 'the service answering on 8091')
  t.match(page, /It works/)
  const labels = JSON.parse(await env.ok(['inspect', '--format', '{{json .Config.Labels}}', 'lab_web_1']))
  t.match(labels, { 'com.docker.compose.project': 'lab', 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': 'False' })
})

t.test('ps lists the service once, Up, with its port', async (t) => {
  const ps = await compose(['ps'])
  t.equal(ps.code, 0, ps.stderr)
  const rows = ps.stdout.split('\n').filter((l) => l.startsWith('lab_web_1'))
  t.equal(rows.length, 1, `one row: ${ps.stdout}`)
  t.match(rows[0], /^lab_web_1 +httpd-foreground +Up +0\.0\.0\.0:8091->80\/tcp/)
})

t.test('logs shows what the service wrote', async (t) => {
  const logs = await until(async () => {
    const r = await compose(['logs', '--no-color'])
    return r.stdout.includes('url:/') ? r : undefined
  }, 'the request in the logs')
  t.equal(logs.code, 0)
  t.match(logs.stdout, /web_1 +\| .*url:\//)
})

t.test('down stops and removes the service', async (t) => {
  const down = await compose(['down'])
  t.equal(down.code, 0, down.stderr)
  t.match(down.stderr, /Stopping lab_web_1 \.\.\. done/)
  t.match(down.stderr, /Removing lab_web_1 \.\.\. done/)
  t.equal((await env.ok(['ps', '-aq'])).trim(), '', 'no container left')
  const refused = await fetch('http://127.0.0.1:8091/').then(
    () => 'answered',
    () => 'refused',
  )
  t.equal(refused, 'refused', 'the port is released')
})

t.test('cleanup', async () => {
  await cleanup()
})
