// The floors under `tocker run --rm` (issue 14), measured in the run that measures tocker, so that a
// note can say "X ms of it is Node, Y ms is the kernel" on the same load. Imported by
// run-profile.mjs (root, inside its private network and mount namespaces, with an engine up);
// every row is a median over `runs`, the rows interleaved run by run, and CPU = user+sys.
//   node -e 0                          Node's own start and exit
//   node + CLI bundle, no command      bin/bundle-loader.cjs's work (read the bundle and its code cache,
//                                      compile, run the modules' top level), then exit: what every command pays
//   node + 1 API round trip            a bare client (node:net, no CLI): connect to the engine's socket,
//                                      GET /_ping, read the answer, exit
//   API round trip, in-process         the same request on a fresh connection inside one warm process
//                                      (the CLI opens one per request): the HTTP + unix socket floor
//   unshare … chroot ROOTFS /bin/true  the kernel's part of a container: new mount/uts/ipc/net/pid
//                                      namespaces, a fork, chroot, exec of a static binary
//   veth create / delete               the bridge's kernel part: a pair with its peer in another
//                                      namespace, enslaved to the bridge; by `ip` (a process each) and
//                                      by our rtnetlink (in-process); and how long the kernel takes to
//                                      delete the pair by itself once the peer's namespace dies
//   bridge attach, netlink alone        the network attach's kernel calls as the engine makes them
//                                      (network/veth.ts: the pair + hairpin, then in the peer's
//                                      namespace lo up, the address, eth0 up, the default route), by
//                                      our rtnetlink, timed alone: what `network attach` has under it
//   a DNAT rule, iptables-restore       a published port's rule added and deleted (a process each), as
//                                      the engine does; wall and the process's CPU (the difference is
//                                      the kernel's nf_tables commit waiting, not work)
import './node-env.mjs'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[s.length >> 1] : NaN
}
// CPU comes in clock ticks (10 ms here): a mean over the runs, not a median.
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100
/** CPU (user+sys, ms) of every child this process has waited for so far. */
function childCpu() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
  return ((Number(f[13]) + Number(f[14])) * 1000) / ticks
}

/** One process run: wall ms, and its CPU (from the waited-for children's total). */
function runOnce(file, args) {
  const c0 = childCpu()
  const t0 = performance.now()
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  const wall = performance.now() - t0
  if (r.status !== 0) throw new Error(`floor: ${file} ${args.join(' ')}: ${r.stderr}`)
  return { wall, cpu: childCpu() - c0 }
}

const PING_CLIENT = `const s = require('node:net').connect(process.argv[1]);
s.on('connect', () => s.write('GET /_ping HTTP/1.1\\r\\nHost: d\\r\\nConnection: close\\r\\n\\r\\n'));
let got = ''; s.on('data', (d) => { got += d }); s.on('end', () => { if (!got.startsWith('HTTP/1.1 200')) process.exit(1) })`

/** GET /_ping on a fresh connection; resolves with the ms from connect() to the answer's end. */
function pingOnce(sock) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const s = net.connect(sock)
    let got = ''
    s.on('connect', () => s.write('GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n'))
    s.on('data', (d) => (got += d))
    s.on('error', reject)
    s.on('end', () => (got.startsWith('HTTP/1.1 200') ? resolve(performance.now() - t0) : reject(new Error(`ping: ${got.slice(0, 80)}`))))
  })
}

/**
 * Measure and print the floors. `repo`: the checkout (its dist/ built); `sock`: the engine's
 * socket; `work`: a scratch dir (removed by the caller); `bridge`: a bridge that exists here.
 */
export async function printFloors({ repo, sock, work, bridge, runs = 15 }) {
  const rootfs = join(work, 'floor-rootfs')
  mkdirSync(join(rootfs, 'bin'), { recursive: true })
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'))
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755)
  symlinkSync('busybox', join(rootfs, 'bin', 'true'))
  // bin/bundle-loader.cjs without the command: the bundle's entry and the chunks it requires,
  // compiled from their code caches (read only), their top level run; main() is not called.
  const loadOnly = join(work, 'load-only.cjs')
  writeFileSync(
    loadOnly,
    `const cli = require(${JSON.stringify(join(repo, 'bin', 'bundle-loader.cjs'))}).loadBundle('tocker')
if (typeof cli?.main !== 'function') process.exit(1)\n`,
  )
  const procs = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['node + CLI bundle loaded, no command', process.execPath, [loadOnly]],
    ['node + 1 API round trip (bare net client)', process.execPath, ['-e', PING_CLIENT, sock]],
    ['unshare -muinpf chroot ROOTFS /bin/true', 'unshare', ['-m', '-u', '-i', '-n', '-p', '-f', 'chroot', rootfs, '/bin/true']],
  ]
  const got = Object.fromEntries(procs.map(([l]) => [l, { wall: [], cpu: [] }]))
  for (const [, f, a] of procs) runOnce(f, a) // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const [l, f, a] of procs) {
      const r = runOnce(f, a)
      got[l].wall.push(r.wall)
      got[l].cpu.push(r.cpu)
    }
  }
  const rtt = []
  for (let i = 0; i < 5; i++) await pingOnce(sock)
  for (let i = 0; i < runs * 3; i++) rtt.push(await pingOnce(sock))

  // veth: the real case's shape (peer in another namespace, host end on the bridge).
  const netlink = await import(pathToFileURL(join(repo, 'dist', 'src', 'sys', 'netlink.js')).href)
  const { linkExists } = await import(pathToFileURL(join(repo, 'dist', 'src', 'sys', 'net.js')).href)
  const veth = { ipAdd: [], ipDel: [], nlAdd: [], nlDel: [], nsDeath: [], attach: [] }
  const holder = () => spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' })
  const nsOf = async (p) => {
    // unshare execs sleep once the namespace is made: wait for that.
    const own = readlinkSync('/proc/self/ns/net')
    for (let i = 0; i < 200; i++) {
      let r
      try {
        r = readlinkSync(`/proc/${p.pid}/ns/net`)
      } catch {} // not there yet
      if (r && r !== own) return `/proc/${p.pid}/ns/net`
      await new Promise((res) => setTimeout(res, 5))
    }
    throw new Error('floor: the namespace holder did not start')
  }
  const ended = (p) => new Promise((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.once('exit', res)))
  for (let i = 0; i < Math.min(runs, 10); i++) {
    const p = holder()
    try {
      const ns = await nsOf(p)
      const mac = '02:42:ac:11:00:fe'
      let t0 = performance.now()
      runOnceOrThrow('ip', ['link', 'add', 'vfloor0', 'master', bridge, 'up', 'type', 'veth', 'peer', 'name', 'eth9', 'address', mac, 'netns', ns])
      veth.ipAdd.push(performance.now() - t0)
      t0 = performance.now()
      runOnceOrThrow('ip', ['link', 'del', 'vfloor0'])
      veth.ipDel.push(performance.now() - t0)
      t0 = performance.now()
      netlink.applyLinkOps(undefined, [{ op: 'veth', name: 'vfloor1', master: bridge, peer: 'eth9', peerMac: mac, peerNetns: ns }])
      veth.nlAdd.push(performance.now() - t0)
      t0 = performance.now()
      netlink.applyLinkOps(undefined, [{ op: 'del', name: 'vfloor1' }])
      veth.nlDel.push(performance.now() - t0)
      // The whole attach's netlink (network/veth.ts createVeth + configureContainerSide).
      t0 = performance.now()
      netlink.applyLinkOps(undefined, [{ op: 'veth', name: 'vfloor3', master: bridge, peer: 'eth9', peerMac: mac, peerNetns: ns }, { op: 'hairpin', name: 'vfloor3' }])
      netlink.applyLinkOps(ns, [{ op: 'up', name: 'lo' }, { op: 'addr', dev: 'eth9', ip: '172.17.255.250', prefixLen: 16 }, { op: 'up', name: 'eth9' }, { op: 'defaultRoute', via: '172.17.0.1' }])
      veth.attach.push(performance.now() - t0)
      netlink.applyLinkOps(undefined, [{ op: 'del', name: 'vfloor3' }])
      // The pair again, then the namespace's death (its only process killed): the kernel deletes
      // the pair by itself. From the holder's reaping to the host end's disappearance.
      netlink.applyLinkOps(undefined, [{ op: 'veth', name: 'vfloor2', master: bridge, peer: 'eth9', peerMac: mac, peerNetns: ns }])
      p.kill('SIGKILL')
      await ended(p)
      t0 = performance.now()
      let n = 0
      while (linkExists('vfloor2') && n++ < 5000) await new Promise((res) => setTimeout(res, 0.2))
      if (linkExists('vfloor2')) throw new Error('floor: the kernel did not delete vfloor2')
      veth.nsDeath.push(performance.now() - t0)
    } finally {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL')
        await ended(p)
      }
      for (const l of ['vfloor0', 'vfloor1', 'vfloor2', 'vfloor3']) if (linkExists(l)) spawnSync('ip', ['link', 'del', l])
    }
  }

  // A published port's DNAT rule, added and deleted by iptables-restore as the engine does it, in
  // a chain of our own in this (private) namespace's nat table.
  const rule = (op) => `*nat\n${op} TOCKER-FLOOR -p tcp -m tcp --dport 32999 -m comment --comment "tocker floor" -j DNAT --to-destination 172.17.255.250:80\nCOMMIT\n`
  const nft = { add: [], del: [], addCpu: [], delCpu: [] }
  runOnceOrThrow('iptables', ['-t', 'nat', '-N', 'TOCKER-FLOOR'])
  try {
    for (let i = 0; i < runs; i++) {
      for (const [op, wall, cpu] of [['-A', nft.add, nft.addCpu], ['-D', nft.del, nft.delCpu]]) {
        const c0 = childCpu()
        const t0 = performance.now()
        const r = spawnSync('iptables-restore', ['--noflush'], { input: rule(op), encoding: 'utf8' })
        wall.push(performance.now() - t0)
        cpu.push(childCpu() - c0)
        if (r.status !== 0) throw new Error(`floor: iptables-restore ${op}: ${r.stderr}`)
      }
    }
  } finally {
    spawnSync('iptables', ['-t', 'nat', '-F', 'TOCKER-FLOOR'])
    spawnSync('iptables', ['-t', 'nat', '-X', 'TOCKER-FLOOR'])
  }

  console.log(`\n3. floors, in this run (wall: median of ${runs}, interleaved; cpu: mean user+sys of the process)`)
  console.log(`${'floor'.padEnd(50)} ${'wall'.padStart(8)} ${'cpu'.padStart(8)}`)
  for (const [l] of procs) console.log(`${l.padEnd(50)} ${median(got[l].wall).toFixed(1).padStart(6)}ms ${mean(got[l].cpu).toFixed(1).padStart(6)}ms`)
  const node = median(got['node -e 0'].wall)
  console.log(`${'  of which: bundle loading (over node -e 0)'.padEnd(50)} ${(median(got['node + CLI bundle loaded, no command'].wall) - node).toFixed(1).padStart(6)}ms`)
  console.log(`${'  of which: node:net + 1 round trip (over node)'.padEnd(50)} ${(median(got['node + 1 API round trip (bare net client)'].wall) - node).toFixed(1).padStart(6)}ms`)
  console.log(`${'API round trip, in-process (fresh connection)'.padEnd(50)} ${median(rtt).toFixed(2).padStart(6)}ms   (median of ${rtt.length})`)
  const v = (l, xs) => console.log(`${l.padEnd(50)} ${median(xs).toFixed(1).padStart(6)}ms   (min ${Math.min(...xs).toFixed(1)}, ${xs.length} runs)`)
  v('veth pair create: ip link add (a process)', veth.ipAdd)
  v('veth pair delete: ip link del (a process)', veth.ipDel)
  v('veth pair create: rtnetlink, in-process', veth.nlAdd)
  v('veth pair delete: rtnetlink, in-process (blocks)', veth.nlDel)
  v("veth pair deleted by the kernel after its netns's death", veth.nsDeath)
  v('bridge attach, netlink alone (veth+hairpin, lo/addr/eth0 up, route)', veth.attach)
  console.log(`${'DNAT rule added: iptables-restore (a process)'.padEnd(50)} ${median(nft.add).toFixed(1).padStart(6)}ms   (cpu ${mean(nft.addCpu).toFixed(1)} ms, ${runs} runs)`)
  console.log(`${'DNAT rule deleted: iptables-restore (a process)'.padEnd(50)} ${median(nft.del).toFixed(1).padStart(6)}ms   (cpu ${mean(nft.delCpu).toFixed(1)} ms, ${runs} runs)`)
}

function runOnceOrThrow(file, args) {
  const r = spawnSync(file, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`floor: ${file} ${args.join(' ')}: ${r.stderr}`)
}
