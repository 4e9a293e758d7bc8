// containerd (Debian's 1.6, started here with a private root, state and socket) runs containers
// with bin/tocker-runtime as its runc binary (`ctr run --runc-binary`), and the same sequences
// with crun as the reference: run --rm (exit code, output), run -d + task ls + task exec + task
// kill + task delete, run -t (a pty from the container's devpts). containerd always asks for
// linux.resources (cpu.shares) and this host's cgroup2 offers no controller, so both runtimes run
// with cgroups disabled (crun's --cgroup-manager=disabled, through a two-line wrapper); without it
// tocker-runtime refuses with an error naming the field, which containerd shows.
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
const { chmodSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { setTimeout: sleep } = await import('node:timers/promises')
const { engineTempDir, have, noCgroupWrapper, prepareEngineSandbox, runInPty, startContainerd, TOCKER_RUNTIME } = await import('../../helpers/oci-engines.js')

if (!have('containerd') || !have('ctr') || !have('crun') || !have('containerd-shim-runc-v2')) {
  t.skip('containerd and crun are needed (bin/lab test installs them)', () => {})
  process.exit(0)
}
prepareEngineSandbox()
const work = engineTempDir('containerd')
t.teardown(() => rmSync(work, { recursive: true, force: true }))
// ctr 1.6 drops --runc-binary when --uidmap is given (the shim then runs "runc" from its PATH): a
// "runc" on containerd's PATH that runs whichever runtime the file runtime-choice names (runc itself
// when there is none), so the user-namespace case below can still compare crun and tocker-runtime.
const choice = join(work, 'runtime-choice')
mkdirSync(join(work, 'bin'))
writeFileSync(join(work, 'bin/runc'), `#!/bin/sh\nif [ -s ${choice} ]; then exec "$(cat ${choice})" "$@"; fi\nexec /usr/bin/runc "$@"\n`, { mode: 0o755 })
process.env.PATH = `${join(work, 'bin')}:${process.env.PATH}`
const ctd = await startContainerd(join(work, 'containerd'))
const { ctr } = ctd
const IMAGE = 'docker.io/library/busybox:latest'
t.teardown(async () => {
  // Anything a failed subtest left: tasks killed and deleted, containers removed, then containerd.
  for (const line of (await ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) {
    await ctr(['task', 'kill', '-s', 'SIGKILL', line])
    await sleep(200)
    await ctr(['task', 'delete', '-f', line])
  }
  for (const line of (await ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['container', 'rm', line])
  await ctd.stop()
})

const crun = noCgroupWrapper(work, 'crun-nocgroup', '/usr/bin/crun')
const tocker = noCgroupWrapper(work, 'tocker-runtime-nocgroup', TOCKER_RUNTIME)

async function taskStatus(id: string): Promise<string | undefined> {
  const ls = await ctr(['task', 'ls'])
  return new RegExp(`^${id}\\s+\\d+\\s+(\\w+)`, 'm').exec(ls.stdout)?.[1]
}

async function sequence(t: Test, label: string, runc: string): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {}
  const rb = ['--runc-binary', runc]
  const once = await ctr(['run', ...rb, '--rm', IMAGE, `${label}-once`, 'sh', '-c', 'echo hi; exit 3'])
  t.same([once.code, once.stdout], [3, 'hi\n'], `${label}: run --rm passes output and exit code 3 through (${once.stderr.trim()})`)
  seen.run = [once.code, once.stdout]

  const id = `${label}-d`
  const d = await ctr(['run', ...rb, '-d', IMAGE, id, 'sleep', '300'])
  t.equal(d.code, 0, `${label}: run -d (${d.stderr.trim()})`)
  t.equal(await taskStatus(id), 'RUNNING', `${label}: task ls says RUNNING`)
  const ex = await ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec-ok; exit 5'])
  t.same([ex.code, ex.stdout], [5, 'exec-ok\n'], `${label}: task exec's output and exit code`)
  seen.exec = [ex.code, ex.stdout]
  const ext = await runInPty(`ctr --address ${ctd.socket} task exec -t --exec-id e2 ${id} tty`)
  t.match(ext.stdout, /\/dev\/pts\/\d+/, `${label}: task exec -t gets a pty`)
  const kill = await ctr(['task', 'kill', '-s', 'SIGKILL', id])
  t.equal(kill.code, 0, `${label}: task kill`)
  let status: string | undefined
  for (let i = 0; i < 100 && (status = await taskStatus(id)) !== 'STOPPED'; i++) await sleep(100)
  t.equal(status, 'STOPPED', `${label}: the task is STOPPED (containerd-shim reaped PID 1)`)
  const del = await ctr(['task', 'delete', id])
  t.equal(del.code, 0, `${label}: task delete (${del.stderr.trim()})`)
  seen.deleted = del.stderr.includes('137') ? 137 : del.stderr.trim()
  t.equal((await ctr(['container', 'rm', id])).code, 0, `${label}: container rm`)

  const tty = await runInPty(`ctr --address ${ctd.socket} run ${rb.join(' ')} -t --rm ${IMAGE} ${label}-t sh -c 'tty; exit 6'`)
  t.match(tty.stdout, /\/dev\/pts\/0/, `${label}: run -t: tty prints /dev/pts/0`)
  t.equal(tty.code, 6, `${label}: run -t passes the exit code through`)
  seen.runTty = [/\/dev\/pts\/\d+/.exec(tty.stdout)?.[0], tty.code]
  return seen
}

t.test('ctr run --runc-binary: crun and tocker-runtime give the same results', async (t) => {
  const ref = await sequence(t, 'crun', crun)
  const ours = await sequence(t, 'tocker', tocker)
  t.same(ours, ref, 'tocker-runtime behaves as crun under containerd')
})

t.test('resources that cannot be applied: a clear error through containerd, nothing left', async (t) => {
  const r = await ctr(['run', '--runc-binary', TOCKER_RUNTIME, '--rm', IMAGE, 'nocg', 'true'])
  t.not(r.code, 0, 'refused')
  t.match(r.stderr, /tocker-runtime create failed: cannot apply linux\.resources\.cpu\.shares: .*--cgroup-manager=disabled/, `the error names the field and the way out (${r.stderr.trim()})`)
  t.equal(await taskStatus('nocg'), undefined, 'no task left')
  await ctr(['container', 'rm', 'nocg'])
})

t.test('ctr run --uidmap/--gidmap: a user namespace (containerd chowns a copy of the snapshot), crun and tocker-runtime alike', async (t) => {
  const seen: Record<string, unknown> = {}
  // The container's root (host uid 100000) must be able to walk down to its rootfs (runc checks).
  chmodSync(work, 0o755)
  for (
    const [label, runc] of [
      ['crun', crun],
      ['tocker', tocker],
    ]
  ) {
    const maps = ['--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536']
    writeFileSync(choice, runc)
    // (not /dev/null: crun bind-mounts the host's, root's, so nobody's inside, or makes its own: it varies)
    const r = await ctr(['run', ...maps, '--rm', IMAGE, `${label}-uns`, 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c %u:%g /bin/busybox; touch /etc/x && echo writable; exit 7'])
    t.equal(r.code, 7, `${label}: exit code passed through (${r.stderr.trim()})`)
    t.match(r.stdout, /^0\n\s*0\s+100000\s+65536\n0:0\nwritable\n$/, `${label}: root inside, host uid 100000 outside, the image's files root's inside`)
    seen[label] = [r.code, r.stdout]
  }
  writeFileSync(choice, '')
  t.same(seen.tocker, seen.crun, 'tocker-runtime as crun')
})
