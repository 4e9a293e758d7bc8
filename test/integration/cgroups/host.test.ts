// The cgroup manager on the machine running the suite, through the real kernel. On the test machines
// (hybrid: an empty cgroup2 next to v1 hierarchies) a limit must fail with the why-and-how message and
// nothing may be written anywhere; on a cgroup v2 host (the Vagrant lab) the limits are real files.
// Either way the v1 guard is checked without ever giving it a chance to write.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import t from 'tap'
import { assertLimitsSupported, cgroupSupport, createCgroup, openCgroup } from '../../../src/cgroups/index.js'
import { makeCgroupDir, removeCgroupDir, writeCgroupFile } from '../../../src/cgroups/files.js'
import { assertOnCgroup2, CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC } from '../../../src/cgroups/guard.js'
import { readMountinfo } from '../../../src/cgroups/mountinfo.js'
import { TockerError } from '../../../src/errors.js'
import { onTrace, type TraceEvent } from '../../../src/trace/trace.js'
// @ts-expect-error plain ESM helper without type declarations
import { ensureBuilt, REPO } from '../../vm/vm.mjs'
// @ts-expect-error plain ESM helper without type declarations
import { tockerCgroupDirs } from '../../leak-check.mjs'

const support = cgroupSupport()
const id = `tocker-test-${process.pid}`

function recordTrace(): { events: TraceEvent[]; stop: () => void } {
  const events: TraceEvent[] = []
  const stop = onTrace((e) => events.push(e))
  return { events, stop }
}

t.test('the guard refuses anything that is not cgroup2, before touching it', async (t) => {
  const v1 = readMountinfo().filter((m) => m.fsType === 'cgroup')
  t.throws(() => assertOnCgroup2('/tmp/tocker-guard', 'write'), /not a cgroup2 filesystem \(statfs magic 0xef53\)|not a cgroup2 filesystem/)
  t.throws(() => assertOnCgroup2('relative/path', 'write'), /must be absolute/)
  t.throws(() => assertOnCgroup2('/sys/fs/cgroup/../../tmp', 'write'), /without "\.\."/)
  if (support.mountpoint) {
    t.equal(Number(statfsSync(support.mountpoint).type), CGROUP2_SUPER_MAGIC)
    t.doesNotThrow(() => assertOnCgroup2(`${support.mountpoint}/tocker-not-created/cgroup.procs`, 'write'), 'a path on cgroup2 passes')
  }
  if (v1.length === 0) {
    t.comment('no v1 hierarchy on this host; the v1 half of the guard is covered by the magic numbers only')
    return
  }
  for (const m of v1) {
    t.equal(Number(statfsSync(m.mountPoint).type), CGROUP_SUPER_MAGIC, `${m.mountPoint} is v1`)
    // Targets whose parent directory does not exist: even a broken guard could not create anything.
    const missing = `${m.mountPoint}/tocker-guard-${process.pid}-absent`
    t.throws(() => writeCgroupFile(`${missing}/cgroup.procs`, String(process.pid)), /refusing to write .* cgroup v1 hierarchy/)
    t.throws(() => makeCgroupDir(`${missing}/child`), /refusing to mkdir .* cgroup v1 hierarchy/)
    t.throws(() => removeCgroupDir(`${missing}/child`), /refusing to rmdir .* cgroup v1 hierarchy/)
    t.throws(() => assertOnCgroup2(`${m.mountPoint}/cgroup.procs`, 'write'), /cgroup v1 hierarchy/)
    t.notOk(existsSync(missing))
  }
})

t.test('without a usable cgroup v2: no limits → no cgroup; a limit → why + how, nothing written', { skip: support.usable && 'this host has a usable cgroup v2' }, async (t) => {
  const before = tockerCgroupDirs()
  const { events, stop } = recordTrace()
  try {
    t.equal(createCgroup(id, {}), undefined, 'a run without limits gets no cgroup and still works')
    t.equal(assertLimitsSupported({}).usable, false, 'the create-time check passes without limits')
    t.throws(() => assertLimitsSupported({ memoryBytes: 64 * 1024 * 1024 }), /^cannot apply --memory: limits need cgroup v2/, 'and refuses a limit')
    t.equal(openCgroup(id), undefined)
    for (
      const [limits, flag] of [
        [{ memoryBytes: 64 * 1024 * 1024 }, '--memory'],
        [{ cpus: 0.5 }, '--cpus'],
        [{ pidsLimit: 10 }, '--pids-limit'],
        [{ cpuShares: 512 }, '--cpu-shares'],
      ] as const
    ) {
      try {
        createCgroup(id, limits)
        t.fail(`${flag} was accepted`)
      } catch (err) {
        t.type(err, TockerError)
        const e = err as TockerError
        t.match(e.message, new RegExp(`^cannot apply ${flag}: limits need cgroup v2, but `))
        t.match(e.message, /cgroup v1|without the memory, cpu, pids controllers|does not offer|read-only|no cgroup/)
        t.match(e.hint, /systemd\.unified_cgroup_hierarchy=1/)
        t.match(e.hint, /cgroup_no_v1=all/)
        t.notMatch(e.message, /\n/, 'one line')
      }
    }
  } finally {
    stop()
  }
  t.same(events.filter((e) => e.kind === 'cgroup'), [], 'no cgroup write, mkdir or rmdir was even attempted')
  t.same(tockerCgroupDirs(), before, 'nothing new under /sys/fs/cgroup (v1 or v2)')
  for (const m of support.v1Mounts) t.notOk(existsSync(`${m}/tocker/${id}`) || existsSync(`${m}/${id}`), `nothing in ${m}`)
})

t.test('with a usable cgroup v2: limits are files, the process is inside, remove() cleans up', { skip: !support.usable && 'no usable cgroup v2 here (the VM tier covers it)' }, async (t) => {
  const { events, stop } = recordTrace()
  const cg = createCgroup(id, { memoryBytes: 64 * 1024 * 1024, cpus: 0.5, cpuShares: 512, pidsLimit: 20 })!
  t.teardown(() => cg.remove())
  stop()
  t.equal(cg.path, `${support.mountpoint}/tocker/${id}`)
  const read = (f: string) => readFileSync(`${cg.path}/${f}`, 'utf8').trim()
  t.equal(read('memory.max'), String(64 * 1024 * 1024))
  t.equal(read('cpu.max'), '50000 100000')
  t.equal(read('cpu.weight'), '59')
  t.equal(read('pids.max'), '20')
  t.ok(events.some((e) => e.kind === 'cgroup' && e.op === 'write' && e.detail === `${cg.path}/pids.max ← 20`), 'writes are traced')
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  await new Promise((r) => child.once('spawn', r))
  cg.addProcess(child.pid!)
  t.same(cg.pids(), [child.pid])
  const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)))
  cg.remove()
  t.equal(await exited, 'SIGKILL', 'remove() killed what was left')
  t.notOk(existsSync(cg.path))
})

t.test('`tocker runtime run` without a usable cgroup v2: resources → exit 125 with why + how; none → it runs', { skip: support.usable && 'this host has a usable cgroup v2' }, async (t) => {
  ensureBuilt()
  const dir = mkdtempSync('/tmp/tocker-test-cgroups-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bundle = `${dir}/bundle`
  mkdirSync(`${bundle}/rootfs/bin`, { recursive: true })
  copyFileSync('/bin/busybox', `${bundle}/rootfs/bin/busybox`)
  chmodSync(`${bundle}/rootfs/bin/busybox`, 0o755)
  symlinkSync('busybox', `${bundle}/rootfs/bin/sh`)
  const tocker = (...args: string[]) => spawnSync(process.execPath, [`${REPO}/bin/tocker`, 'runtime', '--state-root', `${dir}/state`, ...args], { encoding: 'utf8', timeout: 60_000 })
  t.equal(tocker('spec', '-b', bundle).status, 0, 'tocker runtime spec')
  const spec = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8'))
  spec.process.args = ['sh', '-c', 'echo hello from a container without a cgroup']
  spec.process.terminal = false
  const before = tockerCgroupDirs()

  spec.linux.resources = { memory: { limit: 32 * 1024 * 1024 }, pids: { limit: 10 } }
  writeFileSync(`${bundle}/config.json`, JSON.stringify(spec))
  const refused = tocker('run', '-b', bundle, id)
  t.equal(refused.status, 125, 'exit code 125: the runtime itself failed')
  // the low-level runtime names the OCI fields of config.json (the engine's `run` names --memory, --pids-limit)
  t.match(refused.stderr, /cannot apply linux\.resources\.memory\.limit, linux\.resources\.pids\.limit: limits need cgroup v2, but /)
  t.match(refused.stderr, /systemd\.unified_cgroup_hierarchy=1/)
  t.equal(refused.stdout, '')
  t.same(existsSync(`${dir}/state`) ? readdirSync(`${dir}/state`) : [], [], 'no container state left')
  t.same(tockerCgroupDirs(), before, 'no cgroup made, v1 or v2')

  delete spec.linux.resources
  writeFileSync(`${bundle}/config.json`, JSON.stringify(spec))
  const ran = tocker('run', '-b', bundle, id)
  t.equal(ran.status, 0, `runs without limits (stderr: ${ran.stderr})`)
  t.equal(ran.stdout, 'hello from a container without a cgroup\n')
  t.same(tockerCgroupDirs(), before, 'and no cgroup was made for it')
})
