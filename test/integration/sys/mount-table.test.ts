// watchMountTable on the real kernel: this test's main thread gets a mount namespace of its own
// (unshare(CLONE_NEWNS), made private: nothing reaches the host's; it goes with the process), and
// a tmpfs mount and unmount in it must each be seen as a change, a quiet table not.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { mount, MS_PRIVATE, MS_REC, umount2 } from '../../../src/sys/mount.js'
import { unshare } from '../../../src/sys/ns.js'
import { watchMountTable } from '../../../src/sys/mount-table.js'
import { cgroupSupport } from '../../../src/cgroups/support.js'

const CLONE_NEWNS = 0x20000

t.test('a mount, an unmount and a new namespace are changes; a quiet table is not', async (t) => {
  const watch = watchMountTable()
  t.ok(watch.changed(), 'the first look is a change (nothing known yet)')
  t.notOk(watch.changed(), 'nothing happened since')
  unshare(CLONE_NEWNS)
  t.ok(watch.changed(), 'the main thread is in another mount namespace now')
  mount(null, '/', null, MS_REC | MS_PRIVATE, null)
  watch.changed() // the propagation change itself
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-mounttable-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.notOk(watch.changed(), 'quiet again')
  mount('tmpfs', dir, 'tmpfs', 0, null)
  t.ok(watch.changed(), 'a mount is a change')
  t.notOk(watch.changed(), 'seen once')
  umount2(dir, 0)
  t.ok(watch.changed(), 'an unmount is a change')
  // cgroupSupport reads the table again after a change: cgroup2 mounted on /sys/fs/cgroup (here,
  // in this private namespace: what test/bench/start.mjs does on a hybrid host) is seen.
  const before = cgroupSupport()
  t.equal(cgroupSupport().mountpoint, before.mountpoint, 'asked again, unchanged')
  mount('cgroup2', '/sys/fs/cgroup', 'cgroup2', 0, null)
  const after = cgroupSupport()
  umount2('/sys/fs/cgroup', 0)
  t.equal(after.mountpoint, '/sys/fs/cgroup', 'cgroupSupport sees the new cgroup2 mount')
  t.equal(cgroupSupport().mountpoint, before.mountpoint, 'and its unmount')
})
