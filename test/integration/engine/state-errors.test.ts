// Failures to read state, or to clean up, are errors that stop the destructive step or are
// reported; never "absent", never silent (issue 9's list):
//   - an unreadable image record must not make rmi delete a layer that image shares;
//   - an unreadable container record must stop the engine's start (else reconcile releases that
//     live container's network endpoint);
//   - a network layer that fails to load stops the engine (else -p is silently ignored);
//   - an uncaught exception stops the engine (its state may be half-changed);
//   - a network release that fails during rm is a warning in the engine's log.
// Runs in a private network namespace: containers get veths and port rules there.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn, spawnSync } = await import('node:child_process')
const { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join, resolve } = await import('node:path')
const { engineTestBed, tockerEnv, TOCKER_BIN, until } = await import('./harness.js')
const { api } = await import('../../helpers/engine-api.js')

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-state-errors-')
t.teardown(cleanup)
const sock = env.socket
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
const work = mkdtempSync(join(tmpdir(), 'tocker-state-errors-work-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

const natRules = () => spawnSync('iptables', ['-t', 'nat', '-S', 'TOCKER'], { encoding: 'utf8' }).stdout

t.test('rmi with an unreadable image record in the store deletes nothing', async (t) => {
  await env.ok(['pull', '-q', BUSYBOX])
  await env.ok(['pull', '-q', HTTPD])
  const httpd = (await api(sock, 'GET', `/images/${HTTPD}/json`)).json
  const busybox = (await api(sock, 'GET', `/images/${BUSYBOX}/json`)).json
  const shared = busybox.RootFS.Layers.filter((l: string) => httpd.RootFS.Layers.includes(l))
  t.ok(shared.length > 0, 'busybox and httpd share a layer')
  const record = join(env.root, 'images', `${httpd.Id.slice(7)}.json`)
  const good = readFileSync(record)
  writeFileSync(record, good.subarray(0, 20)) // a torn, unparsable record
  try {
    const r = await api(sock, 'DELETE', `/images/${BUSYBOX}`)
    t.equal(r.status, 500, r.text)
    t.match(r.json.message, `cannot read the image store's ${record}`)
    for (const l of shared) t.ok(existsSync(join(env.root, 'layers', l.slice(7), 'diff')), `shared layer ${l.slice(7, 19)} is still there`)
    t.ok(existsSync(join(env.root, 'images', `${busybox.Id.slice(7)}.json`)), 'busybox itself was not deleted either')
  } finally {
    writeFileSync(record, good)
  }
  t.equal((await api(sock, 'GET', `/images/${HTTPD}/json`)).json.Id, httpd.Id, 'with the record back, httpd is whole')
})

t.test('an unreadable container record stops the engine from starting; the container keeps its port', async (t) => {
  const id = (await env.ok(['run', '-d', '--name', 'web', '-p', '8087:80', HTTPD])).trim()
  t.match(natRules(), id.slice(0, 12), 'the DNAT rule is there')
  await env.stopEngine()
  const record = join(env.root, 'containers', id, 'container.json')
  const good = readFileSync(record)
  writeFileSync(record, '{"Id": "' + id + '", "Name": "web", "Sta')
  try {
    const started = await env.startEngine().then(
      () => 'started',
      (err: Error) => err.message,
    )
    t.match(started, `cannot read the container record ${record}`, 'the engine refuses to start')
    t.match(natRules(), id.slice(0, 12), 'the live container kept its DNAT rule')
    t.match(spawnSync('ip', ['-o', 'link', 'show', 'master', 'tocker0'], { encoding: 'utf8' }).stdout, /veth/, 'and its veth')
  } finally {
    writeFileSync(record, good)
  }
  await env.startEngine()
  t.match(await env.ok(['ps']), /Up .* web/, 'with the record back, the engine adopts it')
})

t.test('a network release that fails during rm is a warning in the engine log', async (t) => {
  // iptables wrappers that fail once a flag file exists (the engine finds -save/-restore beside it).
  const bin = join(work, 'iptables-bin')
  const flag = join(work, 'iptables-broken')
  mkdirSync(bin, { recursive: true })
  for (const name of ['iptables', 'iptables-save', 'iptables-restore']) {
    const real = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim()
    writeFileSync(join(bin, name), `#!/bin/sh\nif [ -e ${flag} ]; then echo "${name}: injected failure" >&2; exit 1; fi\nexec ${real} "$@"\n`)
    chmodSync(join(bin, name), 0o755)
  }
  await env.stopEngine()
  await env.startEngine([], { TOCKER_IPTABLES: join(bin, 'iptables') })
  t.match(await env.ok(['ps']), /web/, 'the engine runs with the wrapped iptables')
  writeFileSync(flag, '')
  try {
    const rm = await env.tocker(['rm', '-f', 'web'])
    t.equal(rm.code, 0, `rm -f still removes the container: ${rm.stderr}`)
    await until(() => env.engineLog().includes('warning: network release of'), 'the warning in the engine log')
    t.match(env.engineLog(), /tockerd: warning: network release of [0-9a-f]{64}: .*injected failure/)
  } finally {
    rmSync(flag, { force: true })
  }
  await env.stopEngine()
  await env.startEngine() // the next start reconciles: the rule the failed release left goes
  t.notMatch(natRules(), /8087/, 'reconcile removed the leftover rule')
})

t.test('an engine whose network layer fails to load does not start', async (t) => {
  // A copy of the build whose network backend throws when loaded (an incomplete installation).
  const tree = join(work, 'broken-install')
  const repo = resolve(TOCKER_BIN, '..', '..')
  cpSync(join(repo, 'dist'), join(tree, 'dist'), { recursive: true })
  cpSync(join(repo, 'bin'), join(tree, 'bin'), { recursive: true })
  cpSync(join(repo, 'package.json'), join(tree, 'package.json'))
  mkdirSync(join(tree, 'native-shims'), { recursive: true })
  symlinkSync(join(repo, 'native-shims', 'out'), join(tree, 'native-shims', 'out'))
  symlinkSync(join(repo, 'node_modules'), join(tree, 'node_modules'))
  writeFileSync(join(tree, 'dist', 'src', 'engine', 'network-backend.js'), "throw new Error('network layer broken on purpose')\n")
  const root = mkdtempSync(join(tmpdir(), 'tocker-state-errors-broken-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const r = spawnSync(process.execPath, [join(tree, 'bin', 'tocker'), '--root', root, 'daemon'], { encoding: 'utf8', timeout: 30_000 })
  t.not(r.status, 0, 'the engine exits with an error')
  t.match(r.stderr, 'cannot load the network layer: network layer broken on purpose')
  t.notOk(existsSync(join(root, 'tocker.sock')), 'it never listened')
})

t.test('an uncaught exception stops the engine', async (t) => {
  const other = await tockerEnv('tocker-state-errors-boom-')
  t.teardown(() => other.cleanup())
  // Preloaded into the engine: once its socket exists, throw from a timer (nobody catches it).
  const preload = join(work, 'boom.mjs')
  writeFileSync(
    preload,
    `import { existsSync } from 'node:fs'\nconst poll = setInterval(() => { if (existsSync(${JSON.stringify(other.socket)})) { clearInterval(poll); setTimeout(() => { throw new Error('boom from a timer') }, 200) } }, 20)\npoll.unref?.()\n`,
  )
  const child = spawn(process.execPath, ['--import', preload, TOCKER_BIN, '--root', other.root, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await exited
  clearTimeout(timeout)
  t.equal(code, 70, `the engine stopped (stderr: ${stderr.slice(0, 300)})`)
  t.match(stderr, 'tockerd: unexpected error, stopping the engine: Error: boom from a timer')
  t.notOk(existsSync(other.socket), 'its socket is gone')
})

t.test('cleanup', async () => {
  await cleanup()
})
