// Detecting a usable cgroup v2 from a mount table: the three shapes hosts come in, plus the odd ones.
import t from 'tap'
import { detectCgroupSupport } from '../../../src/cgroups/index.js'
import { parseMountinfo } from '../../../src/cgroups/mountinfo.js'

const HYBRID = `23 1 254:0 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
const UNIFIED = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
27 22 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
const LEGACY = `22 1 8:1 / / rw - ext4 /dev/sda1 rw
31 22 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
`
const ALL = 'cpuset cpu io memory hugetlb pids rdma misc\n'

t.test('parseMountinfo reads fields around the " - " separator and unescapes octal', async (t) => {
  const [m] = parseMountinfo('36 25 0:31 /a\\040b /mnt/with\\040space rw,nosuid shared:7 master:1 - cgroup2 cg\\134x rw,nsdelegate\n')
  t.same(m, {
    mountId: 36,
    parentId: 25,
    root: '/a b',
    mountPoint: '/mnt/with space',
    options: ['rw', 'nosuid'],
    fsType: 'cgroup2',
    source: 'cg\\x',
    superOptions: ['rw', 'nsdelegate'],
  })
})

t.test('unified host: usable, with its controllers', async (t) => {
  const s = detectCgroupSupport(parseMountinfo(UNIFIED), () => ALL)
  t.equal(s.usable, true)
  t.equal(s.mountpoint, '/sys/fs/cgroup')
  t.same(s.controllers, ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'])
  t.equal(s.reason, undefined)
})

t.test('hybrid host (like the test machines): not usable, says why and how', async (t) => {
  const s = detectCgroupSupport(parseMountinfo(HYBRID), () => 'hugetlb\n')
  t.equal(s.usable, false)
  t.equal(s.mountpoint, '/sys/fs/cgroup/unified')
  t.same(s.controllers, ['hugetlb'])
  t.match(s.reason, /cgroup v2 is mounted at \/sys\/fs\/cgroup\/unified without the memory, cpu, pids controllers/)
  t.match(s.reason, /hybrid mode/)
  t.match(s.reason, /\/sys\/fs\/cgroup\/cpu, \/sys\/fs\/cgroup\/memory, \/sys\/fs\/cgroup\/pids/)
  t.match(s.reason, /systemd\.unified_cgroup_hierarchy=1/)
  t.match(s.reason, /cgroup_no_v1=all/)
  t.match(s.reason, /Vagrant/)
  t.same(s.v1Mounts, ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/systemd'])
})

t.test('v1-only host: not usable', async (t) => {
  const s = detectCgroupSupport(parseMountinfo(LEGACY), () => t.fail('no v2 to read') as never)
  t.equal(s.usable, false)
  t.match(s.why, 'this host uses cgroup v1 only')
  t.match(s.reason, /systemd\.unified_cgroup_hierarchy=1/)
})

t.test('v2 without some controllers and no v1 holding them (a container that was not delegated them)', async (t) => {
  const s = detectCgroupSupport(parseMountinfo(UNIFIED), () => 'cpu memory\n')
  t.equal(s.usable, false)
  t.equal(s.why, 'the cgroup v2 hierarchy at /sys/fs/cgroup does not offer the pids controller')
})

t.test('read-only cgroup2 (an unprivileged container): not usable', async (t) => {
  const s = detectCgroupSupport(parseMountinfo(UNIFIED.replace('rw,nosuid', 'ro,nosuid')), () => ALL)
  t.equal(s.usable, false)
  t.match(s.why, 'read-only')
})

t.test('no cgroup filesystem at all', async (t) => {
  const s = detectCgroupSupport(parseMountinfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n'), () => '')
  t.equal(s.usable, false)
  t.equal(s.why, 'no cgroup filesystem is mounted')
})
