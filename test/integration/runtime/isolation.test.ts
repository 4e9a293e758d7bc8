// The runtime library through the real kernel: what a process inside a container sees (PID 1,
// its own hostname, its own mounts, Docker's capabilities and masked paths), the overlay root,
// bind mounts, users and exit codes. Each test runs busybox in a container and reads its output.
import t from 'tap'
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_CAPABILITIES, capabilityMask } from '../../../src/runtime/caps.js'
import { OVERLAY_ANNOTATION } from '../../../src/runtime/spec.js'
import { busyboxRootfs, hostMountsUnder, makeBundle, removeDir, runCaptured, shimsOf, stateDirs, tempDir } from '../../helpers/bundle.js'

if (process.getuid?.() !== 0) {
  t.skip('needs root', () => {})
  process.exit(0)
}

const work = tempDir('iso')
const stateRoot = join(work, 'state')
let n = 0
const id = (): string => `iso-${process.pid}-${++n}`
t.teardown(() => removeDir(work))

async function run(args: string[], edit?: Parameters<typeof makeBundle>[3]) {
  const bundle = makeBundle(work, `b${++n}`, args, edit)
  return runCaptured({ id: id(), bundle, stateRoot }, work)
}

t.test('the program is PID 1 and ps shows only the container', async (t) => {
  const r = await run(['sh', '-c', 'echo pid=$$; ps -o pid,comm; true'])
  t.equal(r.code, 0)
  t.match(r.out, /^pid=1$/m)
  const rows = r.out.split('\n').filter((l) => /^\s*\d+\s/.test(l))
  t.same(rows.map((l) => l.trim().split(/\s+/)[1]), ['sh', 'ps'], `ps lists only sh and ps:\n${r.out}`)
})

t.test("the hostname is the spec's, in its own UTS namespace", async (t) => {
  const r = await run(['hostname'], (s) => (s.hostname = 'box-42'))
  t.equal(r.out.trim(), 'box-42')
  t.not(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'box-42', 'the host keeps its name')
})

t.test("mountinfo shows the root and the container's own mounts only", async (t) => {
  const r = await run(['cat', '/proc/self/mountinfo'])
  const points = r.out
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[4])
  t.equal(points[0], '/', 'the first mount is the root')
  const allowed = /^\/$|^\/(proc|dev|sys)(\/|$)/
  t.same(
    points.filter((p) => !allowed.test(p)),
    [],
    'no host mounts (only /, /proc, /dev, /sys and what is under them)',
  )
  t.ok(points.includes('/dev/pts') && points.includes('/dev/shm') && points.includes('/dev/mqueue') && points.includes('/sys/fs/cgroup'))
  t.match(r.out, /\/ \/proc rw,nosuid,nodev,noexec,relatime - proc /)
  t.match(r.out, / \/sys ro,nosuid,nodev,noexec,relatime - sysfs /)
  t.match(r.out, / \/dev rw,nosuid,nodev - tmpfs tmpfs rw,size=65536k,mode=755/, '/dev is nodev: only the nodes bound onto themselves open (device-policy.ts)')
  t.match(r.out, /devpts .*gid=5,mode=620,ptmxmode=666/)
  t.match(r.out, / \/dev\/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k/)
  t.same(hostMountsUnder(work), [], 'nothing of the container is mounted on the host')
})

t.test('an overlay root: writes land in the upper dir, the layers stay as they were', async (t) => {
  const lower1 = busyboxRootfs(join(work, 'ov-lower1'))
  writeFileSync(join(lower1, 'etc/shadowed'), 'bottom\n')
  writeFileSync(join(lower1, 'etc/doomed'), 'bye\n')
  const lower2 = join(work, 'ov-lower2')
  mkdirSync(join(lower2, 'etc'), { recursive: true })
  writeFileSync(join(lower2, 'etc/shadowed'), 'top\n')
  writeFileSync(join(lower2, 'etc/layer2'), 'from layer 2\n')
  const upper = join(work, 'ov-upper')
  const wd = join(work, 'ov-work')
  mkdirSync(upper)
  mkdirSync(wd)
  const r = await run(['sh', '-c', 'cat /etc/shadowed /etc/layer2; echo new > /newfile; echo changed > /etc/shadowed; rm /etc/doomed; ls /bin/busybox'], (s) => {
    s.root = { path: 'rootfs' }
    s.annotations = { [OVERLAY_ANNOTATION]: JSON.stringify({ lowerdir: [lower2, lower1], upperdir: upper, workdir: wd }) }
  })
  t.equal(r.code, 0, r.out)
  t.equal(r.out, 'top\nfrom layer 2\n/bin/busybox\n', 'the top layer wins, both layers are visible')
  t.equal(readFileSync(join(upper, 'newfile'), 'utf8'), 'new\n', 'a new file is in upperdir')
  t.equal(readFileSync(join(upper, 'etc/shadowed'), 'utf8'), 'changed\n', 'a changed file is copied up')
  t.ok(statSync(join(upper, 'etc/doomed')).isCharacterDevice(), 'a deleted file leaves a whiteout (0/0 char device)')
  t.equal(readFileSync(join(lower2, 'etc/shadowed'), 'utf8'), 'top\n', 'the layers are untouched')
  t.equal(readFileSync(join(lower1, 'etc/doomed'), 'utf8'), 'bye\n')
  t.notOk(existsSync(join(lower1, 'newfile')) || existsSync(join(lower2, 'newfile')))
  t.same(hostMountsUnder(work), [], "the overlay was mounted only in the container's namespace")
})

t.test('masked paths are empty, read-only paths cannot be written', async (t) => {
  const r = await run(['sh', '-c', 'wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /proc/acpi 2>/dev/null | wc -l; echo x > /proc/sys/kernel/hostname && echo WROTE; echo done'])
  t.equal(r.code, 0, r.out)
  const lines = r.out.trim().split('\n')
  t.same(lines.slice(0, 4).map((l) => l.trim()), ['0', '0', '0', '0'], 'masked: /proc/keys, /proc/timer_list empty; /sys/firmware, /proc/acpi empty dirs')
  t.notMatch(r.out, /WROTE/, '/proc/sys is read-only')
  t.match(r.out, /Read-only file system/)
})

t.test("capabilities are Docker's default set, bounding set included", async (t) => {
  const r = await run(['grep', 'Cap', '/proc/self/status'])
  const caps = Object.fromEntries(
    r.out
      .trim()
      .split('\n')
      .map((l) => l.split(/:\s+/))
      .map(([k, v]) => [k, BigInt('0x' + v)]),
  )
  const want = capabilityMask(DEFAULT_CAPABILITIES)
  t.equal(caps.CapEff, want, `CapEff ${caps.CapEff.toString(16)}`)
  t.equal(caps.CapBnd, want, `CapBnd ${caps.CapBnd.toString(16)}`)
  t.equal(caps.CapPrm, want)
  t.equal(caps.CapInh, 0n)
  t.equal(caps.CapAmb, 0n)
})

t.test('bind mounts: read-write shows on the host, ro is read-only; targets stay inside the rootfs', async (t) => {
  const rw = join(work, 'bind-rw')
  const ro = join(work, 'bind-ro')
  mkdirSync(rw)
  mkdirSync(ro)
  writeFileSync(join(ro, 'hello'), 'hi\n')
  const outside = join(work, 'outside')
  mkdirSync(outside)
  const hostname = join(work, 'hostname-file')
  writeFileSync(hostname, 'from-the-host\n')
  const r = await run(['sh', '-c', 'echo w > /rw/file; cat /ro/hello; touch /ro/nope || echo RO-DENIED; cat /etc/hostname /etc/new/hosts; ls /escape'], (s) => {
    // Files, as the engine binds /etc/hostname, /etc/hosts and /etc/resolv.conf: over an
    // existing file, and where the image has none (the file and its directory are made).
    s.mounts!.push({ destination: '/etc/hostname', type: 'bind', source: hostname, options: ['rbind', 'ro'] })
    s.mounts!.push({ destination: '/etc/new/hosts', type: 'bind', source: hostname, options: ['rbind', 'ro'] })
    s.mounts!.push({ destination: '/rw', type: 'bind', source: rw, options: ['rbind', 'rw'] })
    s.mounts!.push({ destination: '/ro', type: 'bind', source: ro, options: ['rbind', 'ro'] })
    // /escape is a symlink to the host's `outside` dir: the bind must land inside the rootfs.
    s.mounts!.push({ destination: '/escape/sub', type: 'bind', source: ro, options: ['rbind', 'ro'] })
  })
  t.equal(readFileSync(join(rw, 'file'), 'utf8'), 'w\n')
  t.match(r.out, /^hi$/m)
  t.match(r.out, /RO-DENIED/)
  t.match(r.out, /^from-the-host\nfrom-the-host$/m, 'file binds, onto an existing file and a new one')
  t.notOk(existsSync(join(ro, 'nope')))
  t.same(hostMountsUnder(work), [])
})

t.test('a symlink in the image cannot send a mount target out of the rootfs', async (t) => {
  const outside = join(work, 'target-outside')
  mkdirSync(outside)
  const bundle = makeBundle(work, `b${++n}`, ['ls', '/evil/sub'], (s) => {
    s.mounts!.push({ destination: '/evil/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] })
  })
  const { symlinkSync } = await import('node:fs')
  symlinkSync(outside, join(bundle, 'rootfs/evil')) // absolute: means <rootfs><outside> inside
  const r = await runCaptured({ id: id(), bundle, stateRoot }, work)
  t.equal(r.code, 0, r.out)
  t.notOk(existsSync(join(outside, 'sub')), 'nothing was created in the host directory the link names')
  t.ok(existsSync(join(bundle, 'rootfs', outside, 'sub')), 'the link was resolved inside the rootfs')
})

t.test("users: uid:gid from the spec, and a name looked up in the container's /etc/passwd", async (t) => {
  const numeric = await run(['sh', '-c', 'id -u; id -g; grep CapEff /proc/self/status'], (s) => (s.process!.user = { uid: 1000, gid: 1001, additionalGids: [1002] }))
  t.match(numeric.out, /^1000\n1001\nCapEff:\s+0000000000000000$/m, 'a non-root user has no effective capabilities, as with Docker')

  const bundle = makeBundle(work, `b${++n}`, ['sh', '-c', 'id -u; id -g; id -G; echo $HOME'], (s) => (s.process!.user = { uid: 0, gid: 0, username: 'app' }))
  writeFileSync(join(bundle, 'rootfs/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/home/app:/bin/sh\n')
  writeFileSync(join(bundle, 'rootfs/etc/group'), 'root:x:0:\napp:x:2345:\nextra:x:3000:app,other\n')
  const named = await runCaptured({ id: id(), bundle, stateRoot }, work)
  t.equal(named.out, '1234\n2345\n2345 3000\n/home/app\n')

  const bad = makeBundle(work, `b${++n}`, ['true'], (s) => (s.process!.user = { uid: 0, gid: 0, username: 'ghost' }))
  await t.rejects(runCaptured({ id: id(), bundle: bad, stateRoot }, work), /unable to find user ghost: no matching entries in passwd file/)
})

t.test("exit codes: 0, 1; 127 not found and 126 not executable (Docker's)", async (t) => {
  t.equal((await run(['true'])).code, 0)
  t.equal((await run(['sh', '-c', 'exit 1'])).code, 1)
  // PID 1 of a PID namespace ignores signals it has no handler for, even SIGKILL, when they come
  // from inside its namespace: a killed child is the way to see 128+n here.
  t.match((await run(['sh', '-c', 'sh -c "kill -9 \\$\\$"; echo $?'])).out, /^137$/m)
  const notFound = run(['nonexistent-program'])
  await t.rejects(notFound, { name: 'TockerError', exitCode: 127, message: 'exec: "nonexistent-program": executable file not found in $PATH' })
  await t.rejects(run(['/bin/nope']), { exitCode: 127, message: 'exec: "/bin/nope": stat /bin/nope: no such file or directory' })
  await t.rejects(run(['/etc/passwd']), { exitCode: 126, message: 'exec: "/etc/passwd": permission denied' })
  await t.rejects(run(['/etc/passwd']), { code: 'EGATE', errno: 13 })
  t.same(stateDirs(stateRoot), [], 'no state left behind')
  t.same(shimsOf(stateRoot), [], 'no shim left behind')
})

t.test('environment, cwd and rlimits reach the process', async (t) => {
  const r = await run(['sh', '-c', 'echo $FOO; pwd; ulimit -n'], (s) => {
    s.process!.env!.push('FOO=bar baz')
    s.process!.cwd = '/tmp'
    s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }]
  })
  t.equal(r.out, 'bar baz\n/tmp\n321\n')
})

t.test('every fd but stdio is closed in the container', async (t) => {
  const r = await run(['ls', '/proc/self/fd'])
  t.same(r.out.trim().split('\n').sort(), ['0', '1', '2', '3'], 'stdio, plus the fd ls itself opened')
})
