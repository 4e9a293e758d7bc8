// The helper's binary out of reach (the CVE-2019-5736 class): while `tocker exec` runs, the helper
// that enters the container is a process of the container's PID namespace until it becomes the
// program. A probe inside the container (test/integration/security/probe.c, in the hostile image of
// hostile.ts) keeps opening /proc/<pid>/exe of every other process for writing (overwrite the
// host's helper: the next `tocker exec` would run the attacker's code as root on the host) and for
// reading, and /proc/<pid>/root, /cwd and /fd/*; it must never succeed, never be told "busy"
// (ETXTBSY: only the fact that the binary was running stood in the way) and never find a directory
// outside the container's root. Bounded: the probe stops after 60 s or when told to.
// Runs in a private network namespace (containers on the default bridge get veths and rules).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { hostileEngine, pool } = await import('./hostile.js')

const h = await hostileEngine('escape-exe')
const { env } = h
t.teardown(h.cleanup)

/** The probe's last line: "probe rounds=.. helper=.. exe_write_ok=.. ..." as numbers. */
function counts(report: string): Record<string, number> {
  return Object.fromEntries([...report.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]))
}
const NOTHING = { exe_write_ok: 0, exe_write_etxtbsy: 0, exe_read_ok: 0, outside_root: 0, fd_open_ok: 0 }
const found = (c: Record<string, number>) => ({ exe_write_ok: c.exe_write_ok, exe_write_etxtbsy: c.exe_write_etxtbsy, exe_read_ok: c.exe_read_ok, outside_root: c.outside_root, fd_open_ok: c.fd_open_ok })

t.test("exec: the helper's binary, root, cwd and fds are out of reach from inside the container", async (t) => {
  t.equal((await env.tocker(['run', '-d', '--name', 'prober', 'hostile/wd:base', '/probe', '60000', '/tmp/stop'])).code, 0)
  // Each exec puts the helper into the container's PID namespace until it becomes `true`.
  const codes = await pool(Array.from({ length: 80 }, (_, i) => i), 2, async (i) => (await h.exec('prober', ['true'], i % 2 ? { user: '65534' } : {})).code)
  t.same([...new Set(codes)], [0], 'every exec ran')
  const explained = await env.tocker(['--explain=full', 'exec', 'prober', 'true'])
  t.equal(explained.code, 0, explained.stderr)
  t.match(explained.stderr, /\[engine\] \[exec\] spawn\(\S+native-shims\/out\/shim exec --mntns-fd 4 --pidns-fd 5 [^()]*\(from \/proc\/self\/fd\/\d+/, '--explain: the shim runs from the sealed copy')
  t.match(explained.stderr, /setns\(\/proc\/\d+\/ns\/pid, CLONE_NEWPID \(by the shim/, '--explain: the shim joins the PID namespace itself, then forks')
  // The probe exits as soon as it sees the file: the container (and this exec's record) may be
  // gone before the exec's exit code can be read.
  await h.exec('prober', ['touch', '/tmp/stop']).catch(() => undefined)
  t.equal((await env.tocker(['wait', 'prober'])).stdout, '0\n')
  const report = (await env.tocker(['logs', 'prober'])).stdout
  const c = counts(report)
  t.ok(c.rounds > 0 && c.helper > 0, `the probe ran and saw the helper: ${report.trim()}`)
  t.same(found(c), NOTHING, 'never opened, never "busy", never outside the root')
  t.equal((await env.tocker(['rm', '-f', 'prober'])).code, 0)
})

t.test("with CAP_SYS_PTRACE (tocker runtime bundle): the helper is a sealed copy, never the host's binary, root or cwd", async (t) => {
  // A container allowed to ptrace passes the kernel's ptrace checks on /proc/<pid>/exe, root, cwd
  // and fd of a non-dumpable process: what it finds there must still be harmless.
  const { copyFileSync, closeSync, openSync, readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { createContainer, deleteContainer } = await import('../../../src/runtime/container.js')
  const { execProcess } = await import('../../../src/runtime/exec.js')
  const { makeBundle } = await import('../../helpers/bundle.js')
  const stateRoot = join(h.work, 'runtime-state')
  const bundle = makeBundle(h.work, 'bundle-ptrace', ['/probe', '60000', '/tmp/stop'], (s) => {
    const caps = s.process!.capabilities!
    for (const set of [caps.bounding!, caps.effective!, caps.permitted!]) set.push('CAP_SYS_PTRACE')
  })
  copyFileSync(join(h.work, 'probe'), join(bundle, 'rootfs', 'probe'))
  const outFile = join(h.work, 'ptrace-probe.out')
  const out = openSync(outFile, 'w')
  const id = 'ptrace-probe'
  try {
    const c = await createContainer({ id, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: out, stderr: out } })
    await c.start()
    const codes = new Set<number>()
    for (let i = 0; i < 60; i++) codes.add(await (await execProcess(id, { stateRoot, args: ['true'], stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })).wait())
    t.same([...codes], [0], 'every exec ran')
    const stop = await execProcess(id, { stateRoot, args: ['touch', '/tmp/stop'], stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
    await stop.wait()
    t.equal(await c.wait(), 0, 'the probe ended')
  } finally {
    closeSync(out)
    await deleteContainer(id, { stateRoot, force: true }).catch(() => {})
  }
  const report = readFileSync(outFile, 'utf8')
  const c = counts(report)
  t.ok(c.rounds > 0, `the probe ran: ${report.trim()}`)
  t.same({ exe_write_ok: c.exe_write_ok, host_exe: c.host_exe, outside_root: c.outside_root }, { exe_write_ok: 0, host_exe: 0, outside_root: 0 }, "never writable, never the host's inode, never outside the root")
})

t.test("started by hand (not from the runtime's copy), the shim copies itself into a sealed memfd first", async (t) => {
  const { spawn } = await import('node:child_process')
  const { closeSync, openSync, readlinkSync, readSync } = await import('node:fs')
  const { locateShim } = await import('../../../src/runtime/shim.js')
  const { socketpair, SOCK_CLOEXEC, SOCK_SEQPACKET } = await import('../../../src/sys/proc.js')
  const [ours, theirs] = socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC)
  const bin = locateShim()
  // exec mode without namespaces to join: it forks its child, which waits for orders on fd 3.
  const shim = spawn(bin, ['exec'], { stdio: ['ignore', 'ignore', 'ignore', theirs] })
  closeSync(theirs)
  const exited = new Promise((r) => shim.once('exit', r))
  try {
    const buf = Buffer.alloc(256)
    const n = readSync(ours, buf, 0, buf.length, null)
    t.match(String.fromCharCode(buf[0]), /[PR]/, `the shim is up: ${buf.subarray(0, n)}`)
    t.equal(readlinkSync(`/proc/${shim.pid}/exe`), '/memfd:tocker-shim (deleted)', `it runs from a memfd, not from ${bin}`)
    const exe = openSync(`/proc/${shim.pid}/exe`, 'r')
    try {
      const { F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, getSeals } = await import('../../../native-shims/memfd.js')
      const all = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
      t.equal(getSeals(exe) & all, all, 'sealed: no write, no resize, no unsealing')
    } finally {
      closeSync(exe)
    }
  } finally {
    closeSync(ours) // end of file: the child gives up, the shim exits
    await exited
  }
})
