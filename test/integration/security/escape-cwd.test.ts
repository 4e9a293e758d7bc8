// Host escape through the container's working directory (the CVE-2024-21626 class), tried as an
// attacker would: hostile images loaded with `tocker load` (test/integration/security/hostile.ts), ordinary
// `run` and `exec`. A WorkingDir (image config, `run -w`, `exec -w`, a symlink in the image, a
// bundle's process.cwd) naming /proc/self/fd/N used to land the program in a host directory the
// helper still held open (the state dir, the log dir): `../../..` from there is the host's root.
// Every N from 0 to 64 is tried; from wherever it lands, the container looks for a canary file in a
// temp dir of the host (read and write), the engine's socket and the host's /etc/hostname. Each
// attempt must either be refused at its working directory or reach nothing.
// Runs in a private network namespace (containers on the default bridge get veths and rules).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawnSync } = await import('node:child_process')
const { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { TOCKER_BIN } = await import('../engine/harness.js')
const { makeBundle } = await import('../../helpers/bundle.js')
const { FDS, hostileEngine, pool } = await import('./hostile.js')

const h = await hostileEngine('escape-cwd')
const { env } = h
t.teardown(h.cleanup)
// The fds a helper ever held are low numbers (3-12): the variants besides /proc/self/fd/N stop at 11.
const LOW = FDS.slice(0, 12)

t.test('run: an image whose WorkingDir is /proc/self/fd/N (N = 0..64) reaches nothing of the host', async (t) => {
  const found = (await pool(FDS, 2, async (n) => h.escapes(await h.run(`hostile/wd:self-${n}`, ['sh', '-c', h.script]), `WorkingDir /proc/self/fd/${n}`))).flat()
  t.same(found, [])
})

t.test('run -w /proc/self/fd/N (N = 0..64) reaches nothing of the host', async (t) => {
  const found = (await pool(FDS, 2, async (n) => h.escapes(await h.run('hostile/wd:base', ['sh', '-c', h.script], `/proc/self/fd/${n}`), `-w /proc/self/fd/${n}`))).flat()
  t.same(found, [])
})

t.test('run: a WorkingDir that is a symlink in the image to /proc/self/fd/N reaches nothing of the host', async (t) => {
  const found = (await pool(LOW, 2, async (n) => h.escapes(await h.run(`hostile/wd:link-${n}`, ['sh', '-c', h.script]), `WorkingDir /fd/${n} -> /proc/self/fd/${n}`))).flat()
  t.same(found, [])
})

t.test("the CLI: run -w and an image WorkingDir refused with runc's error, a non-zero exit and no container left", async (t) => {
  for (const args of [['-w', '/proc/self/fd/5', 'hostile/wd:base'], ['hostile/wd:self-8'], ['-w', '/proc/thread-self/fd/8', 'hostile/wd:base']]) {
    const r = await env.tocker(['run', '--rm', ...args, 'sh', '-c', h.script])
    t.same(h.escapes(r, `run ${args.join(' ')}`), [])
    t.not(r.code, 0, `run ${args.join(' ')} refused`)
    t.match(r.stderr, /Error response from daemon: chdir to cwd \("\/proc\/(self|thread-self)\/fd\/\d"\) set in config\.json failed: /)
    t.match(r.stderr, /tocker closes every such fd before it changes directory.* \/ .*CVE-2024-21626/, 'a hint says why, in English and Korean')
  }
  t.equal(await env.ok(['ps', '-aq']), '', 'run --rm left no container')
})

t.test('exec -w /proc/self/fd/N (N = 0..64), /proc/thread-self/fd/N, /proc/1/fd/N, a symlink to them (N = 0..11): nothing of the host', async (t) => {
  t.equal((await env.tocker(['run', '-d', '--name', 'target', 'hostile/wd:base', 'sleep', '600'])).code, 0)
  const cases = [...FDS.map((n) => `/proc/self/fd/${n}`), ...LOW.flatMap((n) => [`/proc/thread-self/fd/${n}`, `/proc/1/fd/${n}`, `/fd/${n}`])]
  const found = (await pool(cases, 2, async (wd) => h.escapes(await h.exec('target', ['sh', '-c', h.script], { workingDir: wd }), `exec -w ${wd}`))).flat()
  t.same(found, [])
  const cli = await env.tocker(['exec', '-w', '/proc/self/fd/4', 'target', 'sh', '-c', h.script])
  t.same(h.escapes(cli, 'tocker exec -w /proc/self/fd/4'), [])
  t.not(cli.code, 0, 'the CLI exits non-zero')
  t.equal((await env.tocker(['rm', '-f', 'target'])).code, 0)
})

t.test('ordinary working directories still work: -w, exec -w, a symlinked WorkingDir, a bind mount, /proc/self/cwd', async (t) => {
  t.equal(await env.ok(['run', '--rm', '-w', '/etc', 'hostile/wd:base', 'pwd']), '/etc\n')
  t.equal(await env.ok(['run', '--rm', 'hostile/wd:benign-link', 'pwd']), '/etc\n', 'WorkingDir /wd -> /etc')
  t.equal(await env.ok(['run', '--rm', '-w', '/proc/self/cwd', 'hostile/wd:base', 'ls', 'bin/busybox']), 'bin/busybox\n', "/proc/self/cwd is the container's /")
  const vol = join(h.work, 'vol')
  mkdirSync(vol, { recursive: true })
  writeFileSync(join(vol, 'inside'), 'bound\n')
  t.equal(await env.ok(['run', '--rm', '-v', `${vol}:/data`, '-w', '/data', 'hostile/wd:base', 'cat', 'inside']), 'bound\n', 'a bind-mounted host dir is inside the root')
  t.equal((await env.tocker(['run', '-d', '--name', 'plain', 'hostile/wd:base', 'sleep', '600'])).code, 0)
  t.equal(await env.ok(['exec', '-w', '/tmp', 'plain', 'pwd']), '/tmp\n')
  t.equal(await env.ok(['exec', '-w', '/wd', 'plain', 'pwd']), '/etc\n')
  t.equal(await env.ok(['exec', '-w', '/proc/1/cwd', 'plain', 'ls', 'bin/busybox']), 'bin/busybox\n', "PID 1's cwd is inside too")
  t.equal(await env.ok(['exec', 'plain', 'pwd']), '/\n')
  t.equal((await env.tocker(['rm', '-f', 'plain'])).code, 0)
})

t.test('tocker runtime: process.cwd /proc/self/fd/N in a bundle; a host directory as stdin is caught by the cwd check alone', async (t) => {
  const stateRoot = join(h.work, 'runtime-state')
  const runtimeRun = (id: string, cwd: string, stdin: number | 'ignore') => {
    const bundle = makeBundle(h.work, `bundle-${id}`, ['sh', '-c', h.script], (s) => (s.process!.cwd = cwd))
    const r = spawnSync(process.execPath, [TOCKER_BIN, 'runtime', '--state-root', stateRoot, 'run', '-b', bundle, id], { stdio: [stdin, 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 })
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
  }
  for (const n of [3, 4, 5, 6, 7, 8]) t.same(h.escapes(runtimeRun(`fd${n}`, `/proc/self/fd/${n}`, 'ignore'), `runtime run, cwd /proc/self/fd/${n}`), [])
  // Stdio stays open (it is the container's), so closing fds cannot help here: only the check
  // that the cwd is inside the root does.
  const dirFd = openSync(h.canaryDir, 'r')
  let r
  try {
    r = runtimeRun('stdin-dir', '/proc/self/fd/0', dirFd)
  } finally {
    closeSync(dirFd)
  }
  t.same(h.escapes(r, 'runtime run, cwd /proc/self/fd/0 = a host dir'), [])
  t.not(r.code, 0, 'refused')
  t.match(r.stderr, /current working directory is outside of container mount namespace root -- possible container breakout detected/)
  t.match(r.stderr, /the check runc added after CVE-2024-21626.* \/ /, 'with a hint')
  t.same(existsSync(stateRoot) ? readdirSync(stateRoot) : [], [], 'no state left behind')
})

t.test('the host is untouched and nothing is left behind', async (t) => {
  t.equal(readFileSync(h.canary, 'utf8'), `${h.token}\n`, 'the canary is unchanged')
  t.same(readdirSync(h.canaryDir), ['secret'], 'nothing was written next to it')
  t.equal(await env.ok(['ps', '-aq']), '', 'no container left')
})
