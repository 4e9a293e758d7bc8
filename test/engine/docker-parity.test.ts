// Small things a learner following Docker's own docs sees, each compared with what Docker does:
// `run -w` into a directory the image does not have, the broadcast address of eth0 and of the
// bridge, and rmi's refusal naming the image as it was typed. Real engine, real kernel.
// Runs in a private network namespace: containers on the default bridge get veths and rules there.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { engineTestBed } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const BUSYBOX = ref('busybox')
t.teardown(cleanup)

t.test('run -w makes a missing working directory, owned by root as Docker makes it (also with -u)', async (t) => {
  await env.ok(['pull', '-q', BUSYBOX])
  const r = await env.tocker(['run', '--rm', '--network', 'none', '-w', '/newdir/sub', BUSYBOX, 'sh', '-c', 'pwd; stat -c "%U:%G %a" /newdir /newdir/sub; ls -A /newdir/sub'])
  t.same([r.code, r.stdout, r.stderr], [0, '/newdir/sub\nroot:root 755\nroot:root 755\n', ''])
  // Docker (SetupWorkingDirectory) makes it as root, whoever the process runs as.
  const u = await env.tocker(['run', '--rm', '--network', 'none', '-u', '1000', '-w', '/work', BUSYBOX, 'sh', '-c', 'pwd; stat -c "%U:%G %a" .'])
  t.same([u.code, u.stdout], [0, '/work\nroot:root 755\n'], u.stderr)
  // It is in the container's own layer, as any other change.
  await env.ok(['create', '--name', 'wd', '--network', 'none', '-w', '/made/here', BUSYBOX, 'true'])
  await env.ok(['start', '-a', 'wd'])
  t.match(await env.ok(['diff', 'wd']), /^A \/made$/m)
  await env.ok(['rm', 'wd'])
  // An existing directory stays as it is; a file is refused with Docker's words, nothing left.
  const tmp = await env.tocker(['run', '--rm', '--network', 'none', '-w', '/tmp', BUSYBOX, 'stat', '-c', '%a', '.'])
  t.same([tmp.code, tmp.stdout], [0, '1777\n'])
  const before = await env.ok(['ps', '-aq'])
  const file = await env.tocker(['run', '--rm', '--network', 'none', '-w', '/etc/passwd', BUSYBOX, 'pwd'])
  t.equal(file.code, 125)
  t.match(file.stderr, /^tocker: Error response from daemon: Cannot mkdir: \/etc\/passwd is not a directory\n/)
  t.equal(await env.ok(['ps', '-aq']), before, 'no container left')
})

t.test('eth0 and the bridge have the broadcast address Docker gives them', async (t) => {
  const r = await env.tocker(['run', '--rm', BUSYBOX, 'sh', '-c', 'ip -4 addr show eth0; ifconfig eth0'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /inet 172\.17\.0\.\d+\/16 brd 172\.17\.255\.255 scope global eth0/)
  t.match(r.stdout, /Bcast:172\.17\.255\.255/, "busybox ifconfig, the learner's view")
  t.match(execFileSync('ip', ['-4', 'addr', 'show', 'tocker0'], { encoding: 'utf8' }), /inet 172\.17\.0\.1\/16 brd 172\.17\.255\.255 /)
  await env.ok(['network', 'create', '--subnet', '10.77.0.0/24', 'parity'])
  t.teardown(() => env.tocker(['network', 'rm', 'parity']))
  const u = await env.tocker(['run', '--rm', '--network', 'parity', BUSYBOX, 'ip', '-4', 'addr', 'show', 'eth0'])
  t.match(u.stdout, /inet 10\.77\.0\.2\/24 brd 10\.77\.0\.255 /, u.stderr)
})

t.test('rmi of an image a container uses quotes the name as typed, as Docker does', async (t) => {
  await env.ok(['create', '--name', 'user', '--network', 'none', BUSYBOX, 'true'])
  for (const typed of [BUSYBOX, `${BUSYBOX}:latest`]) {
    const r = await env.tocker(['rmi', typed])
    t.equal(r.code, 1)
    t.match(r.stderr, `Error response from daemon: conflict: unable to remove repository reference "${typed}" (must force) - container `)
  }
  await env.ok(['rm', 'user'])
  await cleanup()
})
