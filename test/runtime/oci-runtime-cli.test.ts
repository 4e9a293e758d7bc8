// bin/tocker-runtime on its own (runc's command line, issue 13), through the real kernel: bad input
// answered as runc does (exit 1, the error in the log, nothing left behind), config.json checked
// against the OCI runtime spec's JSON Schema with the field named.
// Private network and mount namespaces, cgroup2 at /sys/fs/cgroup as the engine tests have it
// (test/helpers/oci-engines.ts): nothing reaches the host's network or its cgroup v1 hierarchies.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'

if (process.getuid?.() !== 0) {
  const { default: t } = await import('tap')
  t.skip('needs root', () => {})
  process.exit(0)
}
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { existsSync, readFileSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { prepareEngineSandbox, run, TOCKER_RUNTIME } = await import('../helpers/oci-engines.js')
const { makeBundle, removeDir, tempDir } = await import('./bundle.js')

prepareEngineSandbox()
const work = tempDir('ocicli')
const stateRoot = join(work, 'state')
const env = { ...process.env }
delete env.NODE_OPTIONS // tap's loaders are not for bin/tocker-runtime
t.teardown(() => removeDir(work))

function rt(args: string[], timeoutMs = 60_000) {
  return run(TOCKER_RUNTIME, ['--root', stateRoot, ...args], { env, timeoutMs })
}

/** A bundle whose config.json is edited as raw JSON (so that it can be made invalid). */
function rawBundle(name: string, edit: (c: Record<string, any>) => void): string {
  const b = makeBundle(work, name, ['true'], undefined, name !== 'no-rootfs')
  const c = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'))
  edit(c)
  writeFileSync(join(b, 'config.json'), JSON.stringify(c))
  return b
}

t.test('config.json against the OCI schema: the first problem named by its field, exit 1, nothing made', async (t) => {
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['args-string', (c) => (c.process.args = 'sh'), /config\.json does not follow the OCI runtime spec: process\.args: must be array/],
    ['ns-type', (c) => c.linux.namespaces.push({ type: 'bogus' }), /linux\.namespaces\[\d+\]\.type: must be one of "mount", "pid", /],
    ['no-version', (c) => delete c.ociVersion, /ociVersion: is required/],
    ['mount-dest', (c) => c.mounts.push({ source: 'tmpfs', type: 'tmpfs' }), /mounts\[\d+\]\.destination: is required/],
    ['uid-neg', (c) => (c.process.user.uid = -1), /process\.user\.uid: must be >= 0/],
  ]
  for (const [name, edit, want] of cases) {
    const b = rawBundle(name, edit)
    const log = join(work, `${name}.log.json`)
    const r = await rt(['--log', log, '--log-format', 'json', 'create', '--bundle', b, name])
    t.equal(r.code, 1, `${name}: exit 1 as runc`)
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!)
    t.equal(line.level, 'error', `${name}: an error line in the JSON log`)
    t.match(line.msg, want, `${name}: ${line.msg}`)
    t.match(r.stderr, want, `${name}: and plainly on stderr (the log is a file)`)
    t.notOk(existsSync(join(stateRoot, name)), `${name}: no state left`)
    t.not((await rt(['state', name])).code, 0, `${name}: no such container`)
  }
})

t.test('a missing bundle, a missing config.json: runc\'s words', async (t) => {
  const none = await rt(['create', '--bundle', join(work, 'nowhere'), 'nb'])
  t.equal(none.code, 1)
  t.match(none.stderr, /JSON specification file config\.json not found/)
  t.notOk(existsSync(join(stateRoot, 'nb')), 'no state left')
})
