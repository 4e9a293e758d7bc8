// podman (Debian's 4.3, through conmon) runs containers with bin/tocker-runtime as its OCI runtime,
// and the same sequences with crun as the reference: exit codes passed through, run -d / ps / stop
// (137 as crun: busybox sleep as PID 1 ignores SIGTERM) / start / rm, exec, exec -it and run -it
// with a real pty from the container's devpts (console socket). Also without --cgroups=disabled:
// tocker-runtime then makes podman's cgroupsPath in the (controller-less) cgroup2 hierarchy.
// Private network and mount namespaces (see test/helpers/oci-engines.ts).
import type { Test } from 'tap'
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (process.getuid?.() !== 0) {
  const { default: t } = await import('tap')
  t.skip('needs root', () => {})
  process.exit(0)
}
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { readFileSync, rmSync } = await import('node:fs')
const { engineTempDir, have, prepareEngineSandbox, runInPty, setupPodman } = await import('../../helpers/oci-engines.js')

if (!have('podman') || !have('crun')) {
  t.skip('podman and crun are needed (bin/lab test installs them)', () => {})
  process.exit(0)
}
prepareEngineSandbox()
const work = engineTempDir('podman')
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const pm = await setupPodman(work)
const podman = pm.podman
t.teardown(async () => {
  await podman(['rm', '-a', '-f', '-t', '0'])
})

/** Everything the issue asks of one runtime; returns what it saw, to compare with crun's. */
async function sequence(t: Test, runtime: string): Promise<Record<string, unknown>> {
  const base = ['--runtime', runtime, '--cgroups', 'disabled', '--network', 'none']
  const seen: Record<string, unknown> = {}

  const once = await podman(['run', '--rm', ...base, 'busybox', 'sh', '-c', 'echo hi; exit 3'])
  t.equal(once.code, 3, `${runtime}: run --rm … exit 3 → 3 (${once.stderr.trim()})`)
  t.equal(once.stdout, 'hi\n', `${runtime}: the container's output`)
  seen.run = [once.code, once.stdout]

  const name = `seq-${runtime.replace(/\W/g, '')}`
  const d = await podman(['run', '-d', '--name', name, ...base, 'busybox', 'sleep', '300'])
  t.equal(d.code, 0, `${runtime}: run -d (${d.stderr.trim()})`)
  const ps = await podman(['ps', '--format', '{{.Names}} {{.Status}}'])
  t.match(ps.stdout, new RegExp(`^${name} Up `, 'm'), `${runtime}: ps shows it up`)

  const ex = await podman(['exec', name, 'sh', '-c', 'echo in-$(hostname) >/dev/null; echo exec-ok; exit 4'])
  t.same([ex.code, ex.stdout], [4, 'exec-ok\n'], `${runtime}: exec's output and exit code`)
  seen.exec = [ex.code, ex.stdout]
  const pid1 = await podman(['exec', name, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'])
  t.equal(pid1.stdout.trim(), 'sleep 300', `${runtime}: PID 1 is the container's program`)

  const exit = await runInPty(`podman ${pm.args.join(' ')} exec -it ${name} tty`, { env: pm.env })
  t.match(exit.stdout, /\/dev\/pts\/0/, `${runtime}: exec -it gets /dev/pts/0 from the container's devpts`)
  seen.execTty = /\/dev\/pts\/\d+/.exec(exit.stdout)?.[0]

  const stop = await podman(['stop', '-t', '2', name])
  t.equal(stop.code, 0, `${runtime}: stop`)
  const inspect = await podman(['inspect', '--format', '{{.State.ExitCode}}', name])
  t.ok(['137', '143'].includes(inspect.stdout.trim()), `${runtime}: stopped with 137 or 143 (${inspect.stdout.trim()})`)
  seen.stop = inspect.stdout.trim()
  const status = await podman(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])
  t.match(status.stdout, new RegExp(`^${name} Exited \\(${inspect.stdout.trim()}\\)`, 'm'), `${runtime}: ps -a says Exited (${inspect.stdout.trim()})`)

  const start = await podman(['start', name])
  t.equal(start.code, 0, `${runtime}: start again (${start.stderr.trim()})`)
  const up = await podman(['ps', '--format', '{{.Names}} {{.Status}}'])
  t.match(up.stdout, new RegExp(`^${name} Up `, 'm'), `${runtime}: up again`)
  const rm = await podman(['rm', '-f', '-t', '0', name])
  t.equal(rm.code, 0, `${runtime}: rm -f`)
  const gone = await podman(['ps', '-a', '--format', '{{.Names}}'])
  t.notMatch(gone.stdout, name, `${runtime}: gone`)

  // The short sleep: conmon can lose the last output of a -t container that exits at once (seen once
  // in CI with crun: exit code 5 came through, "/dev/pts/0" did not).
  const it = await runInPty(`podman ${pm.args.join(' ')} run --rm -it ${base.join(' ')} busybox sh -c 'tty; sleep 0.3; exit 5'`, { env: pm.env })
  t.match(it.stdout, /\/dev\/pts\/0/, `${runtime}: run -it: tty prints /dev/pts/0`)
  t.equal(it.code, 5, `${runtime}: run -it passes the exit code through`)
  seen.runTty = [/\/dev\/pts\/\d+/.exec(it.stdout)?.[0], it.code]
  return seen
}

t.test('podman with crun and with tocker-runtime: the same results', async (t) => {
  const crun = await sequence(t, 'crun')
  const tocker = await sequence(t, 'tocker-runtime')
  t.same(tocker, crun, 'tocker-runtime behaves as crun under podman')
})

t.test('podman with cgroups: tocker-runtime makes the cgroupsPath podman asks for', async (t) => {
  const d = await podman(['run', '-d', '--name', 'cg', '--runtime', 'tocker-runtime', '--network', 'none', 'busybox', 'sleep', '300'])
  t.equal(d.code, 0, `run -d with cgroups (${d.stderr.trim()})`)
  const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', 'cg'])).stdout.trim()
  const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
  t.match(cgroup, /^0::\/libpod_parent\/libpod-[0-9a-f]{64}$/m, "PID 1 is in podman's cgroupsPath")
  const top = await podman(['exec', 'cg', 'cat', '/proc/self/cgroup'])
  t.match(top.stdout, /^0::\/$/m, 'an exec sees it as the root of its cgroup namespace (v2 line; this host lists its v1 ones too)')
  const pause = await podman(['pause', 'cg'])
  t.equal(pause.code, 0, `pause (cgroup v2 freezer) (${pause.stderr.trim()})`)
  t.match((await podman(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).stdout, /^cg Paused/m, 'podman sees it paused')
  t.equal((await podman(['unpause', 'cg'])).code, 0, 'unpause')
  const ex = await podman(['exec', 'cg', 'true'])
  t.equal(ex.code, 0, 'runs again after unpause')
  t.equal((await podman(['rm', '-f', '-t', '0', 'cg'])).code, 0, 'rm -f')
})

t.test('podman --uidmap: a user namespace, with crun and with tocker-runtime, the same results', async (t) => {
  const seen: Record<string, unknown> = {}
  for (const runtime of ['crun', 'tocker-runtime']) {
    const base = ['--runtime', runtime, '--cgroups', 'disabled', '--network', 'none', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536']
    const r = await podman(['run', '--rm', ...base, 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c %u:%g /bin/busybox /etc/passwd /dev/null; touch /etc/x && echo writable; exit 7'])
    t.equal(r.code, 7, `${runtime}: exit code passed through (${r.stderr.trim()})`)
    t.match(r.stdout, /^0\n\s*0\s+100000\s+65536\n0:0\n0:0\n0:0\nwritable\n$/, `${runtime}: root inside, mapped to 100000; the image's files are root's inside`)
    const name = `uns-${runtime.replace(/\W/g, '')}`
    t.equal((await podman(['run', '-d', '--name', name, ...base, 'busybox', 'sleep', '300'])).code, 0, `${runtime}: run -d`)
    const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim()
    t.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+100000\s/m, `${runtime}: PID 1 is host uid 100000`)
    const ex = await podman(['exec', name, 'sh', '-c', 'id -u; cat /proc/self/uid_map'])
    t.same([ex.code, ex.stdout.replace(/\s+/g, ' ')], [0, '0 0 100000 65536 '], `${runtime}: exec in the same user namespace (${ex.stderr.trim()})`)
    let rm = await podman(['rm', '-f', '-t', '0', name])
    // podman 4.3 sometimes answers 125 when the container's exit races its rm (seen with crun): once more.
    if (rm.code !== 0) rm = await podman(['rm', '-f', '-t', '0', name])
    t.equal(rm.code, 0, `${runtime}: rm -f (${rm.stderr.trim()})`)
    seen[runtime] = [r.code, r.stdout, ex.stdout]
  }
  t.same(seen['tocker-runtime'], seen.crun, 'tocker-runtime as crun')
})
