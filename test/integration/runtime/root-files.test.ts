// Files the runtime writes inside a container's root while it creates it: linux.sysctl goes through
// the container's /proc/sys. When the spec mounts no procfs there, /proc is whatever the image put
// at that path: a FIFO must not block the runtime (open(2) for writing waits for a reader), and a
// symlink must not be followed. Each hostile create runs in a child process with a time limit, so
// that a runtime that does block fails this test instead of hanging it.
import t from 'tap'
import { spawn } from 'node:child_process'
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mknod, S_IFIFO } from '../../../src/sys/fs.js'
import { makeBundle, removeDir, runCaptured, shimsOf, stateDirs, tempDir } from '../../helpers/bundle.js'
import { distPath } from '../../helpers/paths.js'

if (process.getuid?.() !== 0) {
  t.skip('needs root', () => {})
  process.exit(0)
}

const DIST = distPath('runtime/container.js')
const work = tempDir('rootfiles')
const stateRoot = join(work, 'state')
t.teardown(() => removeDir(work))

const SYSCTL = 'net.ipv4.ip_unprivileged_port_start'
const SYSCTL_FILE = 'proc/sys/net/ipv4/ip_unprivileged_port_start'

/** createContainer of `bundle` in a child process: its error message, or 'created'; killed after `ms`. */
function createInChild(bundle: string, id: string, ms = 10_000): Promise<{ result: string; timedOut: boolean }> {
  const script = `
    import { createContainer, deleteContainer } from ${JSON.stringify(DIST)}
    try {
      await createContainer({ id: ${JSON.stringify(id)}, bundle: ${JSON.stringify(bundle)}, stateRoot: ${JSON.stringify(stateRoot)}, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
      await deleteContainer(${JSON.stringify(id)}, { stateRoot: ${JSON.stringify(stateRoot)}, force: true })
      process.stdout.write('created')
    } catch (err) {
      process.stdout.write(err.message)
    }
    process.exit(0)`
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let timedOut = false
    child.stdout.on('data', (d) => (out += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, ms)
    child.on('close', () => {
      clearTimeout(timer)
      resolve({ result: out, timedOut })
    })
  })
}

/** A bundle whose spec mounts no proc (so /proc is the image's) and sets one sysctl. */
function noProcBundle(name: string, plant: (rootfs: string) => void): string {
  const bundle = makeBundle(work, name, ['true'], (s) => {
    s.mounts = s.mounts!.filter((m) => m.destination !== '/proc')
    s.linux!.maskedPaths = []
    s.linux!.readonlyPaths = []
    s.linux!.sysctl = { [SYSCTL]: '0' }
  })
  mkdirSync(join(bundle, 'rootfs', 'proc/sys/net/ipv4'), { recursive: true })
  plant(join(bundle, 'rootfs'))
  return bundle
}

t.test("linux.sysctl is written through the container's own /proc/sys", async (t) => {
  const bundle = makeBundle(work, 'sysctl', ['cat', `/${SYSCTL_FILE}`], (s) => (s.linux!.sysctl = { [SYSCTL]: '0' }))
  const r = await runCaptured({ id: 'sysctl', bundle, stateRoot }, work)
  t.equal(r.code, 0, r.out)
  t.equal(r.out, '0\n')
})

t.test('a FIFO where the sysctl file should be: a clear error, nothing blocks', async (t) => {
  const bundle = noProcBundle('sysctl-fifo', (rootfs) => mknod(join(rootfs, SYSCTL_FILE), S_IFIFO | 0o644))
  const r = await createInChild(bundle, 'sysctl-fifo')
  t.notOk(r.timedOut, 'create returned (within 10 s)')
  t.match(r.result, `unable to write /${SYSCTL_FILE} in the container: it is a FIFO, not a regular file`)
  t.same(stateDirs(stateRoot), [], 'no state dir left')
  t.same(shimsOf(stateRoot), [], 'no shim left')
})

t.test('a symlink where the sysctl file should be: not followed', async (t) => {
  const bundle = noProcBundle('sysctl-link', (rootfs) => {
    writeFileSync(join(rootfs, 'etc/canary'), 'canary\n')
    symlinkSync('/etc/canary', join(rootfs, SYSCTL_FILE))
  })
  const r = await createInChild(bundle, 'sysctl-link')
  t.notOk(r.timedOut, 'create returned (within 10 s)')
  t.match(r.result, /ELOOP/)
  t.equal(readFileSync(join(bundle, 'rootfs/etc/canary'), 'utf8'), 'canary\n', 'the link target is untouched')
  t.ok(lstatSync(join(bundle, 'rootfs', SYSCTL_FILE)).isSymbolicLink(), 'the link is still there')
  t.same(stateDirs(stateRoot), [])
})
