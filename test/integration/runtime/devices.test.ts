// The device policy (src/runtime/device-policy.ts): root in a container keeps CAP_MKNOD, as with
// Docker, yet no device node it makes or an image brings can be opened, on any of its mounts;
// only the devices tocker gives it work. Each check opens nodes that the host itself can open,
// so that the same container without the policy would succeed (read-only, a few bytes).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { capabilityMask, DEFAULT_CAPABILITIES } from '../../../src/runtime/caps.js'
import { runContainer } from '../../../src/runtime/container.js'
import { OVERLAY_ANNOTATION } from '../../../src/runtime/spec.js'
import { mknod, S_IFBLK, S_IFCHR } from '../../../src/sys/fs.js'
import { busyboxRootfs, hostMountsUnder, makeBundle, removeDir, runCaptured, tempDir } from '../../helpers/bundle.js'

if (process.getuid?.() !== 0) {
  t.skip('needs root', () => {})
  process.exit(0)
}

const work = tempDir('dev')
const stateRoot = join(work, 'state')
let n = 0
const id = (): string => `dev-${process.pid}-${++n}`
const hostMounts: string[] = []
t.teardown(() => {
  for (const m of hostMounts.reverse()) spawnSync('umount', [m])
  removeDir(work)
})

async function run(args: string[], edit?: Parameters<typeof makeBundle>[3]) {
  const bundle = makeBundle(work, `b${++n}`, args, edit)
  return runCaptured({ id: id(), bundle, stateRoot }, work)
}

/** `probe PATH...`: one line per node, "PATH OPENED <bytes read>" or "PATH DENIED <error>". */
const PROBE = 'probe() { for p; do if head -c 4 "$p" >/dev/shm/.out 2>/dev/shm/.err; then echo "$p OPENED $(wc -c </dev/shm/.out)"; else echo "$p DENIED $(cat /dev/shm/.err)"; fi; done; }; '

function probed(out: string): Map<string, string> {
  return new Map(
    out
      .split('\n')
      .map((l) => /^(\S+) (OPENED|DENIED)( .*)?$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1], m[2] + (m[3] ?? '')]),
  )
}

/** A block device of this host that the host can open (some sandboxes refuse even root its disk). */
function openableBlockDevice(): { major: number; minor: number } | undefined {
  const dir = join(work, 'blk-probe')
  mkdirSync(dir)
  for (const e of readdirSync('/sys/dev/block')) {
    const [major, minor] = e.split(':').map(Number)
    const node = join(dir, e.replace(':', '-'))
    mknod(node, S_IFBLK | 0o600, major, minor)
    try {
      closeSync(openSync(node, 'r'))
      return { major, minor }
    } catch {
      // this host's own device policy refuses it: try the next
    }
  }
  return undefined
}

t.test('a node made with mknod opens nowhere: rootfs, /tmp, /dev, /dev/shm, a bind and its submount', async (t) => {
  const blk = openableBlockDevice()
  if (!blk) t.comment('no block device this host can open: char devices only')
  // A -v bind whose source carries a mount of its own (a tmpfs, where devices would work).
  const src = join(work, 'bind-src')
  mkdirSync(join(src, 'sub'), { recursive: true })
  t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tocker-test', join(src, 'sub')]).status, 0, 'host tmpfs under the bind source')
  hostMounts.push(join(src, 'sub'))
  mknod(join(src, 'sub/host-zero'), S_IFCHR | 0o666, 1, 5)
  closeSync(openSync(join(src, 'sub/host-zero'), 'r')) // the host can open it: the container must not

  const dirs = ['/', '/tmp', '/dev', '/dev/shm', '/v', '/v/sub']
  const make = dirs.map((d) => `mknod ${d}/made-zero c 1 5; ${blk ? `mknod ${d}/made-disk b ${blk.major} ${blk.minor}; ` : ''}`).join('')
  const nodes = dirs.flatMap((d) => [`${d}/made-zero`.replace('//', '/'), ...(blk ? [`${d}/made-disk`.replace('//', '/')] : [])])
  const r = await run(['sh', '-c', `${PROBE}${make}probe ${nodes.join(' ')} /v/sub/host-zero; ls -l /tmp/made-zero`], (s) => {
    s.mounts!.push({ destination: '/v', type: 'bind', source: src, options: ['rbind', 'rw'] })
  })
  t.equal(r.code, 0, r.out)
  const res = probed(r.out)
  for (const node of [...nodes, '/v/sub/host-zero']) t.match(res.get(node), /^DENIED .*Permission denied/, `${node} cannot be opened`)
  t.match(r.out, /^c[rw-]{9}\s+1 root\s+root\s+1,\s+5 .* \/tmp\/made-zero$/m, 'mknod itself works (CAP_MKNOD), as with Docker')
  t.same(hostMountsUnder(work).filter((l) => !l.includes(join(src, 'sub'))), [], 'nothing of the container on the host')
})

t.test("an image layer's device nodes cannot be opened; its whiteouts still shape the tree", async (t) => {
  const base = busyboxRootfs(join(work, 'layer-base'))
  writeFileSync(join(base, 'etc/kept'), 'kept\n')
  writeFileSync(join(base, 'etc/removed'), 'removed\n')
  const top = join(work, 'layer-top')
  mkdirSync(join(top, 'etc'), { recursive: true })
  mknod(join(top, 'devnull'), S_IFCHR | 0o666, 1, 3) // a copy of /dev/null shipped in a layer
  mknod(join(top, 'devzero'), S_IFCHR | 0o666, 1, 5)
  mknod(join(top, 'etc/removed'), S_IFCHR, 0, 0) // whiteout: etc/removed is deleted by this layer
  const upper = join(work, 'layer-upper')
  const wd = join(work, 'layer-work')
  mkdirSync(upper)
  mkdirSync(wd)
  const r = await run(['sh', '-c', `${PROBE}mknod /made c 1 5; probe /devnull /devzero /made; ls /etc; cat /etc/kept`], (s) => {
    s.annotations = { [OVERLAY_ANNOTATION]: JSON.stringify({ lowerdir: [top, base], upperdir: upper, workdir: wd }) }
  })
  t.equal(r.code, 0, r.out)
  const res = probed(r.out)
  t.match(res.get('/devnull'), /^DENIED .*Permission denied/, 'a 1:3 node from a layer')
  t.match(res.get('/devzero'), /^DENIED .*Permission denied/, 'a 1:5 node from a layer')
  t.match(res.get('/made'), /^DENIED .*Permission denied/, 'a node made on the overlay root')
  t.match(r.out, /^kept$/m, "the lower layer's files are there")
  t.notMatch(r.out, /^removed$/m, 'the whiteout hides etc/removed')
  t.ok(statSync(join(upper, 'made')).isCharacterDevice(), 'the node landed in the upper dir, dead')
})

t.test("the devices tocker gives work; chmod on them leaves the host's alone; caps are Docker's", async (t) => {
  const nullBefore = statSync('/dev/null').ctimeMs
  const zeroBefore = statSync('/dev/zero').ctimeMs
  const r = await run(
    [
      'sh',
      '-c',
      `${PROBE}probe /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/extra; echo x > /dev/null && echo null-writable; ` +
      '(exec 3<>/dev/ptmx && echo ptmx-opens); ' +
      'echo x > /dev/full || echo full-is-full; wc -c < /proc/keys; ls -l /dev/extra; ' +
      // Harmless even if it reached the host's nodes (their modes and owner already), but
      // chmod and chown change the ctime of the inode they reach: that is what is checked.
      'chmod 666 /dev/null /dev/zero /proc/keys; chown 0:0 /dev/zero; grep CapEff /proc/self/status',
    ],
    (s) => {
      s.linux!.devices = [{ path: '/dev/extra', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 0, gid: 0 }]
    },
  )
  t.equal(r.code, 0, r.out)
  const res = probed(r.out)
  t.equal(res.get('/dev/null'), 'OPENED 0')
  for (const d of ['/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/extra']) t.equal(res.get(d), 'OPENED 4', `${d} reads`)
  t.match(r.out, /^null-writable$/m)
  t.match(r.out, /^ptmx-opens$/m, "/dev/ptmx (into the container's own devpts) gives a pty")
  t.match(r.out, /No space left on device\nfull-is-full/, '/dev/full is full')
  t.match(r.out, /^0$/m, 'a masked file reads empty')
  t.match(r.out, /^crw-r-----\s+1 root\s+root\s+1,\s+5 .* \/dev\/extra$/m, 'a spec device has its mode')
  t.equal(statSync('/dev/null').ctimeMs, nullBefore, "chmod of /dev/null and /proc/keys inside did not touch the host's /dev/null")
  t.equal(statSync('/dev/zero').ctimeMs, zeroBefore, "chmod/chown of /dev/zero inside did not touch the host's")
  const capEff = BigInt('0x' + /^CapEff:\s+(\S+)$/m.exec(r.out)![1])
  t.equal(capEff, capabilityMask(DEFAULT_CAPABILITIES), "CapEff is Docker's default set")
  t.ok(capEff & (1n << 27n), 'CAP_MKNOD included')
})

t.test('devices are opted back in: a bind marked "dev", a bound device node, a read-only root', async (t) => {
  const src = join(work, 'dev-src')
  mkdirSync(src)
  mknod(join(src, 'zero'), S_IFCHR | 0o666, 1, 5)
  const r = await run(['sh', '-c', `${PROBE}probe /withdev/zero /nodev/zero /hostzero /dev/zero; cat /proc/self/mountinfo`], (s) => {
    s.root!.readonly = true
    s.mounts!.push({ destination: '/withdev', type: 'bind', source: src, options: ['rbind', 'ro', 'dev'] })
    s.mounts!.push({ destination: '/nodev', type: 'bind', source: src, options: ['rbind', 'ro'] })
    s.mounts!.push({ destination: '/hostzero', type: 'bind', source: '/dev/zero', options: ['rbind'] })
  })
  t.equal(r.code, 0, r.out)
  const res = probed(r.out)
  t.equal(res.get('/withdev/zero'), 'OPENED 4', '"dev" keeps devices usable')
  t.match(res.get('/nodev/zero'), /^DENIED .*Permission denied/, 'the same dir without it does not')
  t.equal(res.get('/hostzero'), 'OPENED 4', 'a device node bound on purpose works')
  t.equal(res.get('/dev/zero'), 'OPENED 4', '/dev/zero on a read-only root')
  t.match(r.out, /^\d+ \d+ \S+ \S+ \/ ro,nodev[, ]/m, 'the read-only root is still nodev')
})

t.test('/dev/tty is the pty of a -t container', async (t) => {
  const bundle = makeBundle(work, `b${++n}`, ['sh', '-c', 'echo via-dev-tty > /dev/tty && [ -t 0 ] && echo stdin-is-a-terminal'])
  const logDir = join(work, 'tty-log')
  mkdirSync(logDir)
  const code = await runContainer({ id: id(), bundle, stateRoot, log: { dir: logDir, name: 'c.log', tty: true } })
  t.equal(code, 0)
  const log = existsSync(join(logDir, 'c.log')) ? readFileSync(join(logDir, 'c.log'), 'utf8') : ''
  const text = log
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { log: string }).log)
    .join('')
  t.match(text, /via-dev-tty\r?\n/, 'written through /dev/tty')
  t.match(text, /stdin-is-a-terminal/)
})
