// The real Docker CLI (`docker` 28, or Debian's docker.io client) against tockerd, as a user of
// Docker would drive it: `docker -H unix://<tockerd's socket> …` through the tutorials' sequence —
// version, info, pull, images, image inspect, tag, rmi (with conflicts), save | load, run of an
// image not yet pulled, run -d -p, ps, logs -f, exec -it, stop, start, rm -f, events while a
// container starts, system df, container prune, image prune. Images come from a real registry on
// 127.0.0.1. Runs in a private network namespace.
import type { ClientRun } from '../../helpers/clients.js'
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn, spawnSync } = await import('node:child_process')
const { mkdtempSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed, until } = await import('./harness.js')
const { clientEnv, runClient } = await import('../../helpers/clients.js')

const DOCKER = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim()
if (!DOCKER) {
  t.fail('the docker CLI is not installed: bin/lab test installs it (Debian: docker-cli, or the client from docker.io)')
  process.exit(1)
}

t.comment(`client: ${spawnSync(DOCKER, ['--version'], { encoding: 'utf8' }).stdout.trim()}`)
const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-docker-cli-')
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
const HOST = `unix://${env.socket}`
// The docker CLI keeps its own config (contexts, credentials): a private one, never the user's.
const dockerConfig = mkdtempSync(join(tmpdir(), 'tocker-docker-cli-config-'))
t.teardown(() => rmSync(dockerConfig, { recursive: true, force: true }))
const DOCKER_ENV = clientEnv({ DOCKER_CONFIG: dockerConfig, DOCKER_HOST: HOST, DOCKER_CLI_HINTS: 'false' })

type Run = ClientRun

const docker = (args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<Run> => runClient(DOCKER, args, { env: DOCKER_ENV, input: opts.input ?? '', timeoutMs: opts.timeoutMs })

async function ok(args: string[], opts?: { input?: string | Buffer }): Promise<string> {
  const r = await docker(args, opts)
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** A shell pipeline with DOCKER_HOST set (save | load). */
function sh(script: string): Run {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { env: DOCKER_ENV, encoding: 'utf8', maxBuffer: 1 << 28 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

t.test('docker version and info talk to tockerd and show its facts', async (t) => {
  const version = await ok(['version'])
  t.match(version, /Server: tocker\n Engine:\n {2}Version: {10}\d+\.\d+\.\d+\n {2}API version: {6}1\.43 \(minimum version 1\.24\)/)
  const info = await ok(['info'])
  t.match(info, /Storage Driver: overlay2/)
  t.match(info, /Cgroup Driver: cgroupfs/)
  t.match(info, new RegExp(`Docker Root Dir: ${env.root}`))
  t.match(info, /CPUs: [1-9]/)
  t.match(info, /Total Memory: \d/)
  t.match(info, /Live Restore Enabled: true/)
  t.equal((await ok(['info', '--format', '{{.Images}} {{.Containers}} {{.OSType}}'])).trim(), '0 0 linux')
})

t.test('pull, images, image inspect, tag, history', async (t) => {
  const pull = await docker(['pull', BUSYBOX])
  t.equal(pull.code, 0, pull.stderr)
  t.match(pull.stdout, /^Using default tag: latest\nlatest: Pulling from library\/busybox\n/)
  t.match(pull.stdout, /[0-9a-f]{12}: Pull complete\n/)
  t.match(pull.stdout, new RegExp(`Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ${BUSYBOX}:latest\n${BUSYBOX}:latest\n$`))
  const images = await ok(['images'])
  t.match(images, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/)
  t.match(images, new RegExp(`${BUSYBOX.replace(/[.]/g, '\\.')} +latest +[0-9a-f]{12} `))
  const inspect = JSON.parse(await ok(['image', 'inspect', BUSYBOX]))
  t.match(inspect[0], { Id: /^sha256:/, RepoTags: [`${BUSYBOX}:latest`], Os: 'linux' })
  t.equal(await ok(['tag', BUSYBOX, 'mybox:1']), '')
  t.equal((await ok(['images', '--format', '{{.Repository}}:{{.Tag}}', 'mybox'])).trim(), 'mybox:1')
  t.match(await ok(['history', 'mybox:1']), /^IMAGE +CREATED +CREATED BY +SIZE +COMMENT\n[0-9a-f]{12} /)
  const missing = await docker(['image', 'inspect', 'nope'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /No such image: nope/)
})

t.test('save | load keeps the image; rmi with its conflicts', async (t) => {
  const id = (await ok(['image', 'inspect', '--format', '{{.Id}}', 'mybox:1'])).trim()
  const short = id.slice(7, 19)
  const roundTrip = sh(`${DOCKER} save mybox:1 | ${DOCKER} load`)
  t.equal(roundTrip.code, 0, roundTrip.stderr)
  t.equal(roundTrip.stdout, 'Loaded image: mybox:1\n')
  const multi = await docker(['rmi', short])
  t.equal(multi.code, 1)
  t.equal(multi.stderr, `Error response from daemon: conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories\n`)
  await ok(['run', '-d', '--name', 'holder', 'mybox:1', 'sleep', '300'])
  const forced = await docker(['rmi', '-f', short])
  t.equal(forced.code, 1)
  t.match(forced.stderr, `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container`)
  t.equal(await ok(['rmi', 'mybox:1']), 'Untagged: mybox:1\n', 'one of two names: untagged only')
  await ok(['rm', '-f', 'holder'])
})

t.test('run of an image not pulled yet; run -d -p; ps; logs -f; exec -it; stop; start; rm -f', async (t) => {
  const first = await docker(['run', '--rm', HTTPD, 'echo', 'hello from httpd'])
  t.equal(first.code, 0, first.stderr)
  t.match(first.stderr, `Unable to find image '${HTTPD}:latest' locally\n`)
  t.match(first.stderr, `Status: Downloaded newer image for ${HTTPD}:latest`)
  t.equal(first.stdout, 'hello from httpd\n')

  const id = (await ok(['run', '-d', '--name', 'web', '-p', '8089:80', HTTPD])).trim()
  t.match(id, /^[0-9a-f]{64}$/)
  const page = await until(async () => {
    try {
      const r = await fetch('http://127.0.0.1:8089/')
      return r.ok ? await r.text() : undefined
    } catch {
      return undefined
    }
  }, 'httpd answering on the published port')
  t.match(page, /<html|It works/i)
  const ps = await ok(['ps'])
  t.match(ps, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/)
  t.match(ps, new RegExp(`${id.slice(0, 12)} +${HTTPD.replace(/[.]/g, '\\.')} +"httpd-foreground" +.* Up .* 0\\.0\\.0\\.0:8089->80/tcp +web`))

  const script = 'for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.3; done'
  await ok(['run', '-d', '--name', 'ticker', BUSYBOX, 'sh', '-c', script])
  const follow = await docker(['logs', '-f', 'ticker'], { timeoutMs: 30_000 })
  t.equal(follow.code, 0, follow.stderr)
  t.equal(follow.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n', 'logs -f follows until the container ends')

  // exec -it wants a terminal: `script` gives docker one.
  const it = spawnSync('script', ['-q', '-e', '-c', `${DOCKER} exec -it web sh -c 'tty; echo in-$HOSTNAME; exit 3'`, '/dev/null'], { env: DOCKER_ENV, encoding: 'utf8', timeout: 30_000 })
  t.equal(it.status, 3, `exec -it returns the exit code (${it.stderr})`)
  t.match(it.stdout, /\/dev\/pts\/\d+/)
  t.match(it.stdout, `in-${id.slice(0, 12)}`)

  t.equal((await ok(['stop', 'web'])).trim(), 'web')
  t.match(await ok(['ps', '-a', '--filter', 'name=web']), /Exited \(0\)/)
  t.equal((await ok(['start', 'web'])).trim(), 'web')
  t.match(await ok(['ps', '--filter', 'name=web']), /Up /)
  t.equal((await ok(['rm', '-f', 'web'])).trim(), 'web')
  t.notMatch(await ok(['ps', '-a']), / web\n/)
})

t.test('docker events sees a container start', async (t) => {
  const events = spawn(DOCKER, ['events', '--filter', 'type=container', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'], { env: DOCKER_ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  let seen = ''
  events.stdout.on('data', (d) => (seen += d))
  t.teardown(() => void events.kill('SIGKILL'))
  await new Promise((r) => setTimeout(r, 500)) // the stream is open
  await ok(['run', '--name', 'evt', BUSYBOX, 'true'])
  await until(() => seen.includes('container die evt'), 'the die event', 15_000)
  events.kill('SIGTERM')
  const actions = seen.split('\n').filter((l) => l.endsWith(' evt')).map((l) => l.split(' ')[1])
  t.same(actions.filter((a) => ['create', 'start', 'die'].includes(a)), ['create', 'start', 'die'], `in order (${actions.join(', ')})`)
  // --until is whole seconds (as Docker's): one in the near future, so this second's events count.
  const since = await ok(['events', '--since', '1m', '--until', String(Math.floor(Date.now() / 1000) + 2), '--filter', 'container=evt', '--format', '{{.Action}}'])
  t.match(since, /^create\n(.*\n)*start\n(.*\n)*die\n/, 'since/until replays them and ends')
})

t.test('system df, container prune, image prune', async (t) => {
  const df = await ok(['system', 'df'])
  t.match(df, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +2 +\d+ +\S+ +\S+/)
  t.match(df, /\nContainers +\d+ +0 /)
  const prune = await docker(['container', 'prune', '-f'])
  t.equal(prune.code, 0, prune.stderr)
  t.match(prune.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n(.*\n)*\nTotal reclaimed space: /)
  t.same((await ok(['ps', '-aq'])).trim(), '', 'every stopped container went')
  const images = await docker(['image', 'prune', '-a', '-f'])
  t.equal(images.code, 0, images.stderr)
  t.match(images.stdout, /^Deleted Images:\nuntagged: /)
  t.match(images.stdout, /Total reclaimed space: \d/)
  t.equal((await ok(['images', '-q'])).trim(), '', 'no image left')
})

t.test('cleanup', async () => {
  await cleanup()
})
