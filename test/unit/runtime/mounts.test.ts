// The runtime's mount sequencing and device policy, through the recording fake of the kernel-call
// seam (test/unit/fakes/syscalls.ts): no root, no mount namespace. The rootfs is a real temp dir,
// resolved with the real openat2(RESOLVE_IN_ROOT) (unprivileged), so the targets recorded are the
// directories the kernel would mount on. What the kernel then does with these calls is tested in
// test/integration/runtime/ (root) and test/vm/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { defaultMounts, DEFAULT_MASKED_PATHS } from '../../../src/runtime/default-spec.js'
import { createDevices, DEFAULT_DEVICES } from '../../../src/runtime/devices.js'
import { maskPaths, readonlyPaths } from '../../../src/runtime/masks.js'
import { mountAll, type MountContext } from '../../../src/runtime/mounts.js'
import { RootDir } from '../../../src/runtime/root-dir.js'
import { MS_NOSUID, MS_NODEV, MS_NOEXEC } from '../../../src/sys/mount.js'
import { onTrace, type TraceEvent } from '../../../src/trace/trace.js'
import { FakeSyscalls, shown } from '../fakes/syscalls.js'

/** A rootfs in a temp dir, opened as the runtime opens it; lines() shows its path as <root>. */
function rootfs(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-rootfs-'))
  const root = RootDir.open(dir)
  t.teardown(() => {
    root.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const sys = new FakeSyscalls().install(t)
  const lines = (...ops: Parameters<FakeSyscalls['lines']>) => sys.lines(...ops).map((l) => l.split(dir).join('<root>'))
  return { dir, root, sys, lines }
}

/** The gate's side of the shim channel: it records the mounts it is asked for (proc, cgroup2). */
function fakeGate(sys: FakeSyscalls, dir: string) {
  const asked: string[] = []
  const gate: MountContext['gate'] = {
    mount(source, target, fstype, flags, data) {
      // The gate gets /proc/<engine pid>/fd/N: shown like our own fd targets.
      const m = /^\/proc\/\d+\/fd\/(\d+)$/.exec(target)!
      sys.calls.push({ op: 'mount', args: [source, target, fstype, flags, data], line: `gate:mount ${source} ${shown(`/proc/self/fd/${m[1]}`)} ${fstype}` })
      asked.push(`${source} ${fstype}`)
    },
    flush() {},
  }
  return { gate, asked, dir }
}

t.test("mounts[] are made strictly in the spec's order, each on its directory inside the rootfs", async (t) => {
  const { dir, root, sys, lines } = rootfs(t)
  const { gate, asked } = fakeGate(sys, dir)
  const summary = mountAll({ root, bundle: dir, gate }, defaultMounts())
  t.same(asked, ['proc proc', 'cgroup cgroup2'], 'proc and cgroup2 are asked of the gate (they show the namespaces of whoever mounts them)')
  const order = sys.calls.filter((c) => c.op === 'mount').map((c) => (c.line.startsWith('gate:') ? `gate ${c.args[2]}` : String(c.args[2])))
  t.same(order, ['gate proc', 'tmpfs', 'devpts', 'sysfs', 'gate cgroup2', 'mqueue', 'tmpfs'], 'one mount per entry, in mounts[] order')
  for (const d of ['proc', 'dev', 'dev/pts', 'sys', 'sys/fs/cgroup', 'dev/mqueue', 'dev/shm']) t.ok(statSync(join(dir, d)).isDirectory(), `${d} was made inside the rootfs`)
  const own = lines('mount')
  t.ok(own.includes('mount tmpfs <root>/dev tmpfs MS_NOSUID|MS_NODEV|MS_STRICTATIME mode=755,size=65536k'), '/dev: a tmpfs, nodev added by the device policy')
  t.ok(own.some((l) => l.startsWith('mount devpts <root>/dev/pts devpts MS_NOSUID|MS_NOEXEC ')), '/dev/pts: devpts keeps its devices (no MS_NODEV)')
  t.ok(own.includes('mount sysfs <root>/sys sysfs MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC'), '/sys read-only')
  t.same(summary, { devTmpfs: true, devPts: true }, 'a /dev of our own and its own devpts')
})

t.test('a bind mount: bound, then nodev for it and its submounts, then a remount for ro (a bind ignores flags on creation)', async (t) => {
  const { dir, root, sys, lines } = rootfs(t)
  const src = mkdtempSync(join(tmpdir(), 'tocker-unit-bindsrc-'))
  t.teardown(() => rmSync(src, { recursive: true, force: true }))
  mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: '/data', type: 'bind', source: src, options: ['rbind', 'ro'] }])
  t.same(lines(), [
    `mount ${src} <root>/data - MS_BIND|MS_REC`,
    'mountSetattr <root>/data AT_RECURSIVE set=MOUNT_ATTR_NODEV clr=0',
    'mount - <root>/data - MS_RDONLY|MS_NODEV|MS_REMOUNT|MS_BIND',
  ])
})

t.test("before Linux 5.12 (mount_setattr: ENOSYS) nodev is a remount that keeps the mount's other flags", async (t) => {
  const { dir, root, sys, lines } = rootfs(t)
  const src = mkdtempSync(join(tmpdir(), 'tocker-unit-bindsrc-'))
  t.teardown(() => rmSync(src, { recursive: true, force: true }))
  sys.fail('mountSetattr', () => true, 'ENOSYS')
  sys.mountFlags.set(join(dir, 'data'), MS_NOSUID | MS_NOEXEC)
  mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: '/data', type: 'bind', source: src, options: ['bind'] }])
  t.same(lines('mount'), [`mount ${src} <root>/data - MS_BIND`, 'mount - <root>/data - MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND'])
})

t.test('a destination that is a symlink out of the rootfs is resolved inside it', async (t) => {
  const { dir, root, sys, lines } = rootfs(t)
  const outside = mkdtempSync(join(tmpdir(), 'tocker-unit-outside-'))
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  symlinkSync(`../../../../../../..${outside}`, join(dir, 'escape'))
  mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: '/escape/x', type: 'tmpfs', source: 'tmpfs', options: [] }])
  const [line] = lines('mount')
  t.equal(line, `mount tmpfs <root>${outside}/x tmpfs MS_NODEV`, 'the link is followed as if the rootfs were /')
  t.notOk(existsSync(join(outside, 'x')), 'nothing made in the directory the symlink names on the host')
})

t.test("a failed mount is reported with Docker's wording and its errno as the cause; nothing after it is mounted", async (t) => {
  const { dir, root, sys, lines } = rootfs(t)
  sys.fail('mount', (c) => c.args[2] === 'mqueue', 'EPERM')
  const err = (() => {
    try {
      mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, defaultMounts())
    } catch (e) {
      return e as Error & { cause?: { code?: string } }
    }
  })()
  t.match(err?.message, /^error mounting "mqueue" to rootfs at "\/dev\/mqueue": mount .*: EPERM/)
  t.equal(err?.cause?.code, 'EPERM')
  t.notOk(lines('mount').some((l) => l.includes('/dev/shm')), '/dev/shm (after /dev/mqueue) was not attempted')
})

t.test('a relative destination and a bind without a source are refused before any mount', async (t) => {
  const { dir, root, sys } = rootfs(t)
  t.throws(() => mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: 'data', type: 'tmpfs' }]), /mount destination data is not absolute/)
  t.throws(() => mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: '/data', type: 'bind' }]), /bind mount without a source/)
  t.throws(() => mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: '/data', type: 'bind', source: join(dir, 'nope') }]), /bind source path does not exist/)
  t.same(sys.lines('mount'), [])
})

t.test('devices: each node made, then bound on itself nosuid,noexec (so it opens under a nodev /dev); /dev/null returned', async (t) => {
  const { dir, root, lines } = rootfs(t)
  mkdirSync(join(dir, 'dev'))
  writeFileSync(join(dir, 'dev', 'zero'), 'not a device') // a file the image shipped: left alone, never bound
  const devNull = createDevices(root, DEFAULT_DEVICES)
  const l = lines()
  t.same(l.filter((x) => x.startsWith('mknod')).map((x) => x.split(' ').slice(1).join(' ')), [
    '<root>/dev/null 020666 1:3',
    '<root>/dev/zero 020666 1:5',
    '<root>/dev/full 020666 1:7',
    '<root>/dev/random 020666 1:8',
    '<root>/dev/urandom 020666 1:9',
    '<root>/dev/tty 020666 5:0',
  ])
  t.notOk(l.some((x) => x.startsWith('mount') && x.includes('/dev/zero')), 'an existing non-device file is not bound (it stays dead under nodev)')
  t.equal(readFileSync(join(dir, 'dev', 'zero'), 'utf8'), 'not a device', "the image's file is untouched")
  const nullMounts = l.filter((x) => x.startsWith('mount') && x.includes('<root>/dev/null'))
  t.same(nullMounts, ['mount <root>/dev/null <root>/dev/null - MS_BIND', 'mount - <root>/dev/null - MS_NOSUID|MS_NOEXEC|MS_REMOUNT|MS_BIND'], 'no MS_NODEV on the device bind')
  t.match(devNull, /^\/proc\/self\/fd\/\d+\/null$/)
  t.equal((statSync(join(dir, 'dev', 'null')).mode & 0o777).toString(8), '666', 'the mode asked, not what the umask left')
})

t.test("masked paths: a directory gets an empty read-only tmpfs, a file the container's /dev/null; missing ones are skipped", async (t) => {
  const { dir, root, lines } = rootfs(t)
  mkdirSync(join(dir, 'proc', 'scsi'), { recursive: true })
  writeFileSync(join(dir, 'proc', 'kcore'), '')
  mkdirSync(join(dir, 'dev'))
  writeFileSync(join(dir, 'dev', 'null'), '')
  maskPaths(root, DEFAULT_MASKED_PATHS, join(dir, 'dev', 'null'))
  t.same(lines('mount'), ['mount <root>/dev/null <root>/proc/kcore - MS_BIND', 'mount tmpfs <root>/proc/scsi tmpfs MS_RDONLY|MS_NODEV'], "in the list's order")
})

t.test('read-only paths: bound on themselves, then remounted read-only keeping nosuid/nodev/noexec', async (t) => {
  const { dir, root, sys, lines } = rootfs(t)
  mkdirSync(join(dir, 'proc', 'sys'), { recursive: true })
  sys.mountFlags.set(join(dir, 'proc', 'sys'), MS_NOSUID | MS_NODEV | MS_NOEXEC)
  readonlyPaths(root, ['/proc/sys', '/proc/absent'])
  t.same(lines('mount'), ['mount <root>/proc/sys <root>/proc/sys - MS_BIND|MS_REC', 'mount - <root>/proc/sys - MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND'])
})

t.test('--explain sees the same calls the fake records: the trace sits above the seam', async (t) => {
  const { dir, root, sys } = rootfs(t)
  const events: TraceEvent[] = []
  t.teardown(onTrace((e) => events.push(e)))
  mountAll({ root, bundle: dir, gate: fakeGate(sys, dir).gate }, [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }])
  const mounts = events.filter((e) => e.op === 'mount')
  t.equal(mounts.length, sys.lines('mount').length)
  t.match(mounts[0]?.detail, /"tmpfs", .*\/tmp, "tmpfs", MS_NOSUID\|MS_NODEV/)
})
