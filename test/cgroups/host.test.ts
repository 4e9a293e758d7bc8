// The cgroup manager on the machine running the suite, through the real kernel. On the test machines
// (hybrid: an empty cgroup2 next to v1 hierarchies) a limit must fail with the why-and-how message and
// nothing may be written anywhere; on a cgroup v2 host (the Vagrant lab) the limits are real files.
// Either way the v1 guard is checked without ever giving it a chance to write.
import { existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import t from 'tap'
import { cgroupSupport, createCgroup, openCgroup } from '../../src/cgroups/index.js'
import { makeCgroupDir, removeCgroupDir, writeCgroupFile } from '../../src/cgroups/files.js'
import { assertOnCgroup2, CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC } from '../../src/cgroups/guard.js'
import { readMountinfo } from '../../src/cgroups/mountinfo.js'
import { TockerError } from '../../src/errors.js'
import { onTrace, type TraceEvent } from '../../src/trace/trace.js'

const support = cgroupSupport()
const id = `tocker-test-${process.pid}`

/** Every directory under /sys/fs/cgroup (3 levels) whose name mentions tocker. */
function tockerCgroupDirs(): string[] {
  const found: string[] = []
  const walk = (dir: string, depth: number) => {
    if (depth > 3) return
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      if (e.name.includes('tocker')) found.push(`${dir}/${e.name}`)
      walk(`${dir}/${e.name}`, depth + 1)
    }
  }
  walk('/sys/fs/cgroup', 0)
  return found.sort()
}

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
    t.equal(openCgroup(id), undefined)
    for (const [limits, flag] of [
      [{ memoryBytes: 64 * 1024 * 1024 }, '--memory'],
      [{ cpus: 0.5 }, '--cpus'],
      [{ pidsLimit: 10 }, '--pids-limit'],
      [{ cpuShares: 512 }, '--cpu-shares'],
    ] as const) {
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
