// src/sys/netlink.ts against the real kernel, inside a network namespace this test makes (it
// re-executes itself under `unshare --net --mount`): the rtnetlink requests that replace
// `ip link add … type veth`, `ip addr add`, `ip route add` leave exactly what those commands
// would (read back with `ip -j`), and a refusal comes back with the errno and `ip`'s words.
// @ts-ignore: plain JS shared with the benchmarks
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox, runInNetns, startInNewNetns } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { applyLinkOps, NetlinkError } = await import('../../../src/sys/netlink.js')

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' })
const stops: (() => Promise<void>)[] = []
ip('link', 'add', 'nltest0', 'type', 'bridge')
ip('link', 'set', 'nltest0', 'up')
t.teardown(async () => {
  for (const s of stops) await s().catch(() => {})
  try {
    ip('link', 'del', 'nltest0')
  } catch {
    // already gone
  }
})

t.test('a veth pair onto the bridge with its peer made inside the namespace, addressed and routed', async (t) => {
  const c = await startInNewNetns()
  stops.push(c.stop)
  applyLinkOps(undefined, [
    { op: 'veth', name: 'vnl0', master: 'nltest0', peer: 'eth0', peerMac: '02:42:0a:63:00:02', peerNetns: c.netns },
    { op: 'hairpin', name: 'vnl0' },
  ])
  applyLinkOps(c.netns, [
    { op: 'up', name: 'lo' },
    { op: 'addr', dev: 'eth0', ip: '10.99.0.2', prefixLen: 16 },
    { op: 'up', name: 'eth0' },
    { op: 'defaultRoute', via: '10.99.0.1' },
  ])
  const host = JSON.parse(ip('-j', '-d', 'link', 'show', 'dev', 'vnl0'))[0]
  t.equal(host.master, 'nltest0', 'the host end is on the bridge')
  t.ok(host.flags.includes('UP'), 'and up')
  t.equal(host.linkinfo.info_kind, 'veth')
  t.equal(host.linkinfo.info_slave_data.hairpin, true, 'hairpin on')
  const links = JSON.parse((await runInNetns(c.netns, ['ip', '-j', 'addr', 'show'])).stdout) as { ifname: string; flags: string[]; address: string; addr_info: { family: string; local: string; prefixlen: number; broadcast?: string }[] }[]
  const eth0 = links.find((l) => l.ifname === 'eth0')!
  t.equal(eth0.address, '02:42:0a:63:00:02', 'the peer is eth0 inside, with its MAC')
  t.ok(eth0.flags.includes('UP'))
  t.same(eth0.addr_info.filter((a) => a.family === 'inet').map((a) => [a.local, a.prefixlen, a.broadcast]), [['10.99.0.2', 16, '10.99.255.255']], 'the address, broadcast + as ip computes it')
  t.ok(links.find((l) => l.ifname === 'lo')!.flags.includes('UP'), 'lo up')
  const routes = JSON.parse((await runInNetns(c.netns, ['ip', '-j', 'route', 'show', 'default'])).stdout) as { dst: string; gateway: string; dev: string }[]
  t.same(routes.map((r) => [r.dst, r.gateway, r.dev]), [['default', '10.99.0.1', 'eth0']], 'the default route via the gateway')
  t.notOk(JSON.parse(ip('-j', 'link', 'show')).some((l: { ifname: string }) => l.ifname === 'eth0'), "the name eth0 never appears in the host's namespace")

  applyLinkOps(undefined, [{ op: 'del', name: 'vnl0' }])
  t.equal(JSON.parse(ip('-j', 'link', 'show', 'master', 'nltest0') || '[]').length, 0, 'deleted, both ends')
})

t.test("a refusal: the errno and ip's words, and the ops after it are not applied", async (t) => {
  const c = await startInNewNetns()
  stops.push(c.stop)
  applyLinkOps(undefined, [{ op: 'veth', name: 'vnl1', master: 'nltest0', peer: 'eth0', peerMac: '02:42:0a:63:00:03', peerNetns: c.netns }])
  const err = (fn: () => void) => {
    try {
      fn()
    } catch (e) {
      return e as InstanceType<typeof NetlinkError>
    }
    return undefined
  }
  const exists = err(() => applyLinkOps(undefined, [{ op: 'veth', name: 'vnl1', master: 'nltest0', peer: 'eth0', peerMac: '02:42:0a:63:00:04', peerNetns: c.netns }]))
  t.ok(exists instanceof NetlinkError)
  t.equal(exists?.code, 'EEXIST')
  t.match(exists?.message, /^link add vnl1 master nltest0 .*: RTNETLINK answers: File exists/)
  const gone = err(() => applyLinkOps(undefined, [{ op: 'del', name: 'vnl9' }, { op: 'del', name: 'vnl1' }]))
  t.equal(gone?.code, 'ENODEV', 'a missing link: ENODEV')
  t.match(gone?.message, /^link del vnl9: RTNETLINK answers: No such device/)
  t.equal(JSON.parse(ip('-j', 'link', 'show', 'master', 'nltest0')).length, 1, 'the op after the refusal was not applied: vnl1 is still there')
  const noBridge = err(() => applyLinkOps(undefined, [{ op: 'veth', name: 'vnl2', master: 'nosuchbr', peer: 'eth1', peerMac: '02:42:0a:63:00:05', peerNetns: c.netns }]))
  t.equal(noBridge?.code, 'ENODEV', 'a master that does not exist')
  applyLinkOps(undefined, [{ op: 'del', name: 'vnl1' }])
})
