// Namespace entry, the rootfs mount and pivot_root as sequences of kernel calls, through the
// recording fake of the seam (test/unit/fakes/syscalls.ts): no root. The real kernel's side is in
// test/integration/runtime/ (root).
import { closeSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { enterNamespaces, joinNamespace, restoreNamespaces, saveNamespaces } from '../../../src/runtime/namespaces.js'
import { pivotRoot } from '../../../src/runtime/pivot.js'
import { makeRootPrivate, mountRootfs, remountRootReadonly } from '../../../src/runtime/rootfs.js'
import { FakeSyscalls } from '../fakes/syscalls.js'

t.test('new namespaces are made with one unshare; pid, cgroup, time and user are left to the shim, the gate and userns.ts', async (t) => {
  const sys = new FakeSyscalls().install(t)
  const made = enterNamespaces([{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'time' }, { type: 'user' }])
  t.same(sys.lines(), ['unshare CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET'])
  t.equal(made, 0x00020000 | 0x04000000 | 0x08000000 | 0x40000000)
})

t.test('a namespace given by path is joined with setns (and unshared from the rest); a mount namespace needs CLONE_FS first', async (t) => {
  const sys = new FakeSyscalls().install(t)
  enterNamespaces([{ type: 'network', path: '/proc/self/ns/net' }, { type: 'mount', path: '/proc/self/ns/mnt' }, { type: 'uts' }])
  t.match(sys.lines(), [/^setns \d+ CLONE_NEWNET$/, 'unshare CLONE_FS', /^setns \d+ CLONE_NEWNS$/, 'unshare CLONE_NEWUTS'])
})

t.test("a namespace path that cannot be opened is the user's error (400), before any setns", async (t) => {
  const sys = new FakeSyscalls().install(t)
  t.throws(() => joinNamespace('network', '/nonexistent/ns/net'), { message: /^cannot open network namespace \/nonexistent\/ns\/net: /, status: 400 })
  t.same(sys.lines(), [])
})

t.test('going home: every saved namespace, the mount namespace last, then the saved cwd', async (t) => {
  const sys = new FakeSyscalls().install(t)
  const saved = saveNamespaces(['mount', 'network', 'uts'])
  restoreNamespaces(saved)
  t.match(sys.lines(), [/^setns \d+ CLONE_NEWNET$/, /^setns \d+ CLONE_NEWUTS$/, /^setns \d+ CLONE_NEWNS$/, /^fchdir /])
})

t.test('a failed setns on the way home still closes what was saved, and says so', async (t) => {
  const sys = new FakeSyscalls().install(t)
  sys.fail('setns', () => true, 'EPERM')
  const saved = saveNamespaces(['network'])
  t.throws(() => restoreNamespaces(saved), { code: 'EPERM' })
  t.throws(() => closeSync(saved.cwd), { code: 'EBADF' }, 'the saved fds were closed')
})

t.test('the rootfs: / made private, the root bound on itself, nodev for all of it; root.readonly a remount that keeps nodev', async (t) => {
  const sys = new FakeSyscalls().install(t)
  makeRootPrivate()
  mountRootfs('/bundle/rootfs')
  remountRootReadonly('/bundle/rootfs')
  t.same(sys.lines(), [
    'mount - / - MS_REC|MS_PRIVATE',
    'mount /bundle/rootfs /bundle/rootfs - MS_BIND|MS_REC',
    'mountSetattr /bundle/rootfs AT_RECURSIVE set=MOUNT_ATTR_NODEV clr=0',
    'mount - /bundle/rootfs - MS_RDONLY|MS_NODEV|MS_REMOUNT|MS_BIND',
  ])
})

t.test('pivot_root(".", "."): cwd into the new root, pivot, the old root made slave and detached, cwd "/"', async (t) => {
  const sys = new FakeSyscalls().install(t)
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tocker-unit-pivot-')))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  pivotRoot(dir)
  t.same(sys.lines(), [`fchdir ${dir}`, 'pivotRoot . .', 'mount - . - MS_REC|MS_SLAVE', 'umount2 . MNT_DETACH', 'chdir /'])
})

t.test('pivot_root refused: nothing is unmounted', async (t) => {
  const sys = new FakeSyscalls().install(t)
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-pivot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  sys.fail('pivotRoot', () => true, 'EINVAL')
  t.throws(() => pivotRoot(dir), { code: 'EINVAL', syscall: 'pivotRoot' })
  t.same(sys.lines('umount2'), [])
})
