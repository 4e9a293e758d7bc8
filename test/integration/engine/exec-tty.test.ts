// `exec -t` gets its pseudo-terminal from the container's own devpts, as runc does (the exec'd
// process opens the container's /dev/ptmx after joining its mount namespace and hands the master
// back over a socket): `tty` names a /dev/pts/N that `ls /dev/pts` shows inside the container, and
// the terminal is not one of the host's ptys (a host pty inside the container is a host device its
// processes hold, and its number tells them how many terminals the host has open).
// Runs in a private network namespace: the container gets a veth and rules there.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { readdirSync, readlinkSync, statSync } = await import('node:fs')
const { engineTestBed } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'], 'tocker-engine-exectty-')
t.teardown(cleanup)

/** The host's ptys: /dev/pts/N of the host's devpts. */
const hostPtys = () => new Set(readdirSync('/dev/pts').filter((n) => /^\d+$/.test(n)))

/** The devices of the terminals (fds 0-2) that processes of the PID namespace of `pid` hold, seen from the host. */
function terminalDevicesIn(pid: number): number[] {
  const ns = readlinkSync(`/proc/${pid}/ns/pid`)
  const devs: number[] = []
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${p}/ns/pid`) !== ns) continue
      for (const fd of [0, 1, 2]) {
        const st = statSync(`/proc/${p}/fd/${fd}`)
        if (st.isCharacterDevice()) devs.push(st.dev)
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return devs
}

t.test("exec -t: the terminal is one of the container's own /dev/pts, not a host pty", async (t) => {
  t.equal((await env.tocker(['run', '-d', '--name', 'term', ref('busybox'), 'sleep', '1000'])).code, 0)
  const hostDev = statSync('/dev/pts').dev
  const pid = Number(await env.ok(['inspect', '--format', '{{.State.Pid}}', 'term']))
  const before = hostPtys()
  // While the exec runs (the sleep), from the host: the host's devpts, and the terminals the
  // container's processes hold.
  // Looked at as soon as a new terminal shows among them (polled, bounded), not after a fixed 2 s: at
  // load 20 the exec had not started 2 s after the CLI did (CI).
  const baseline = new Set(terminalDevicesIn(pid))
  const during = (async () => {
    let devs: number[] = []
    for (let i = 0; i < 300; i++) {
      devs = terminalDevicesIn(pid)
      if (devs.some((d) => !baseline.has(d))) break
      await new Promise((r) => setTimeout(r, 100))
    }
    return { ptys: hostPtys(), devs }
  })()
  // stat -L on fd 0: the device of the devpts instance the terminal belongs to.
  const r = await env.tocker(['exec', '-t', 'term', 'sh', '-c', 'tty; echo pts=$(ls /dev/pts | tr "\\n" " "); echo dev=$(stat -L -c %d /proc/self/fd/0); sleep 3'])
  const seen = await during
  t.equal(r.code, 0, r.stderr)
  const out = r.stdout.replace(/\r/g, '')
  const tty = /^\/dev\/pts\/(\d+)$/m.exec(out)
  t.ok(tty, `tty names a /dev/pts/N: ${JSON.stringify(out)}`)
  const listed = /^pts=(.*)$/m.exec(out)?.[1].trim().split(/\s+/) ?? []
  t.ok(tty && listed.includes(tty[1]), `ls /dev/pts inside shows ${tty?.[1]}: ${listed.join(' ')}`)
  const dev = Number(/^dev=(\d+)$/m.exec(out)?.[1])
  t.ok(Number.isInteger(dev), 'stat printed a device')
  t.not(dev, hostDev, "the terminal is not on the host's devpts")
  t.ok(seen.devs.includes(dev), `the exec's terminal seen from the host among the container's (${seen.devs.join(' ')})`)
  // Other processes on the machine may open host ptys meanwhile; none of them may be the container's.
  const gained = [...seen.ptys].filter((n) => !before.has(n))
  t.notOk(seen.devs.includes(hostDev), `no process of the container holds a host pty (host devpts gained: ${gained.join(' ') || 'none'})`)
  await env.ok(['rm', '-f', 'term'])
})

t.test("exec -t in a container without a devpts of its own: an error, never one of the host's ptys", async (t) => {
  // A tmpfs over /dev/pts (so /dev/ptmx leads nowhere), and a volume there in which the
  // container's root made a ptmx node (c 5 2) of its own: neither may yield a host pty.
  for (
    const [name, opts] of [
      ['notmpfs', ['--tmpfs', '/dev/pts']],
      ['nodevpts', ['-v', 'exectty-pts:/dev/pts']],
    ] as const
  ) {
    t.equal((await env.tocker(['run', '-d', '--name', name, ...opts, ref('busybox'), 'sh', '-c', 'mknod /dev/pts/ptmx c 5 2 2>/dev/null; sleep 1000'])).code, 0)
    const pid = Number(await env.ok(['inspect', '--format', '{{.State.Pid}}', name]))
    const r = await env.tocker(['exec', '-t', name, 'sh', '-c', 'tty; stat -L -c dev=%d /proc/self/fd/0; sleep 2'])
    const out = r.stdout.replace(/\r/g, '')
    const dev = Number(/^dev=(\d+)$/m.exec(out)?.[1])
    t.not(dev, statSync('/dev/pts').dev, `${name}: the exec's terminal is not on the host's devpts (${JSON.stringify(out)}, ${JSON.stringify(r.stderr)})`)
    t.notOk(terminalDevicesIn(pid).includes(statSync('/dev/pts').dev), `${name}: no process of the container holds a host pty`)
    // Docker writes an exec's start error into its stream (stdout), as tocker does.
    if (r.code !== 0) t.match(r.stdout + r.stderr, /open \/dev\/ptmx: /, `${name}: the error names what failed`)
    else t.fail(`${name}: exec -t without a devpts of the container's should fail, it printed ${JSON.stringify(out)}`)
    await env.ok(['rm', '-f', name])
  }
  await env.ok(['volume', 'rm', 'exectty-pts'])
})

t.test('cleanup', async () => {
  await cleanup()
})
