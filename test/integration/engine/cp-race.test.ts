// `tocker cp` against a container that races a directory against a symlink to the host's path while
// the copies run (CVE-2018-15664): copies in, out and as a tar, none of which may write or read the
// host's file. The canary is a file under this test's temporary directory. Its own file, apart from
// the rest of cp (cp.test.ts): the racing loop keeps a core busy for the whole subtest, ~30 s here
// and over 100 s on a loaded machine, which with the rest put one file near tap's 300 s limit.
// Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed, tockerShell } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const work = mkdtempSync(join(tmpdir(), 'tocker-cp-race-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const local = (...p: string[]) => join(work, ...p)
const exec = (c: string, script: string) => env.ok(['exec', c, 'sh', '-c', script])

const canary = local('canary')
mkdirSync(canary)
writeFileSync(join(canary, 'inner.txt'), 'host-secret\n')
writeFileSync(local('x.txt'), 'X\n')
await env.ok(['run', '-d', '--name', 'c1', BUSYBOX, 'sleep', '600'])

t.test('a container racing a directory against a symlink to the host while copies run', async (t) => {
  // /tmp/race flips between a directory (with inner.txt) and a link to the canary's host path.
  await exec('c1', 'mkdir -p /tmp/rd && echo container > /tmp/rd/inner.txt')
  await env.ok(['exec', '-d', 'c1', 'timeout', '90', 'sh', '-c', `while [ ! -e /tmp/stop-race ]; do rm -rf /tmp/race; cp -r /tmp/rd /tmp/race; rm -rf /tmp/race; ln -s ${canary} /tmp/race; done`])
  let copiedIn = 0
  let copiedOut = 0
  for (let i = 0; i < 12; i++) {
    const a = await env.tocker(['cp', local('x.txt'), 'c1:/tmp/race/'])
    if (a.code === 0) copiedIn++
    const b = await env.tocker(['cp', 'c1:/tmp/race/inner.txt', local(`race-out-${i}`)])
    if (b.code === 0) {
      copiedOut++
      // The container's file (maybe caught half-written by its own cp), never the host's.
      t.ok('container\n'.startsWith(readFileSync(local(`race-out-${i}`), 'utf8')), `copy ${i}: the container's file, never the host's`)
    }
    const c = await tockerShell(env, `$TOCKER cp c1:/tmp/race/. - | tar -xOf - 2>/dev/null | grep -c host-secret || true`)
    t.equal(c.stdout.trim(), '0', `copy ${i}: no host content in the tar`)
  }
  await exec('c1', 'touch /tmp/stop-race') // (and `timeout 90` bounds it whatever happens)
  t.same(readdirSync(canary), ['inner.txt'], `the race (${copiedIn} copies in and ${copiedOut} out went through): nothing written on the host`)
})

t.test('cleanup', async () => {
  await env.ok(['rm', '-f', 'c1'])
})
