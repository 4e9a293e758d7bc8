// The floor of the runtime's create (issue 14), measured beside tocker in the same run: a container
// the engine created (`tocker create --rm --network none busybox true`, not started) gives its own
// config.json; test/bench/create-floor.c makes exactly that container's kernel calls (namespaces,
// overlay, the spec's mounts, /dev, masks, pivot_root, setns home, then PID 1's execve and the
// cgroup's removal) with nothing around them, and the runtime library (dist/src/runtime, what the
// engine calls) creates, starts, waits for and deletes the same bundle in this process. Interleaved
// run by run; the rows are medians, phase by phase, and the ratio of tocker to the floor.
// Imported by run-profile.mjs (part 3, also --floors-only), which runs it in its private network and
// mount namespaces, with the engine up and busybox loaded.
//
// What it printed on the 2-CPU VM (`run-profile.mjs 0 12 --floors-only`, main a632bf9, load 2.3-2.7,
// medians of 16): floor create 1.83 ms whole (unshare 0.38, shim fork 0.10, / private + hostname +
// overlay 0.60, the spec's mounts 0.33, /dev 0.07, masks 0.09, pivot_root 0.09, waiting for PID 1
// 0.14), start to exit noticed 2.50, the mount namespace's teardown 0.16; with a cgroup joined by a
// write to cgroup.procs 10.40 (+8.58: an RCU grace period), forked into it with CLONE_INTO_CGROUP
// 1.83 (+0.01); the runtime library's create of the same bundle 6.12 ms = 3.35x the floor (+4.29),
// start+wait 1.46, delete 0.55. With run-profile's part 2 the engine's own runtime create prints
// beside it (6.6 ms = 3.4x at load ~3).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const CGROUP2_MAGIC = 0x63677270
const here = dirname(fileURLToPath(import.meta.url))
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[s.length >> 1] : NaN
}

/** The C program, built like native-shims (static, -Werror) into `work`. */
function buildFloor(work) {
  const bin = join(work, 'create-floor')
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-static', '-o', bin, join(here, 'create-floor.c')], { stdio: 'inherit' })
  return bin
}

/** The plan create-floor.c follows, from the spec, with the runtime's own flag arithmetic. */
async function planOf(repo, spec, cgroup, program, atFork = false) {
  const load = (p) => import(pathToFileURL(join(repo, 'dist', 'src', p)).href)
  const [{ parseMountOptions, allowsDevices }, { forcesNodev }, { DEFAULT_DEVICES }, { planOverlayMount }, { compileSeccomp }, { capabilityMask }, mnt] = await Promise.all([
    load('runtime/mount-options.js'),
    load('runtime/device-policy.js'),
    load('runtime/devices.js'),
    load('runtime/overlay.js'),
    load('runtime/seccomp/compile.js'),
    load('runtime/caps.js'),
    load('sys/mount.js'),
  ])
  const lines = []
  const line = (...f) => lines.push(f.map((x) => (x === undefined || x === null || x === '' ? '-' : String(x))).join('\t'))
  if (cgroup) line('cgroup', cgroup)
  if (cgroup && atFork) line('cgroup-at-fork')
  if (spec.hostname) line('hostname', spec.hostname)
  const overlay = JSON.parse(spec.annotations['dev.tocker.rootfs.overlay'])
  // (--rm: volatile. The mark a volatile mount leaves must go before the next mount: overlay.ts.)
  if (overlay.volatile) line('unmark', join(overlay.workdir, 'work', 'incompat', 'volatile'))
  const plan = planOverlayMount(overlay)
  if (plan.cwd) throw new Error('create-floor: an overlay whose options need a cwd (too many layers) is not replayed')
  line('overlay', spec.root.path, plan.data)
  let devPts = false
  for (const m of spec.mounts ?? []) {
    const o = parseMountOptions(m.options)
    if (m.type === 'bind' || (o.flags & mnt.MS_BIND) !== 0) {
      const st = lstatSync(m.source)
      const nodev = !allowsDevices(m.options) && !st.isCharacterDevice() && !st.isBlockDevice()
      const extra = o.flags & ~(mnt.MS_BIND | mnt.MS_REC | mnt.MS_REMOUNT)
      line('bind', m.source, m.destination, o.flags & mnt.MS_REC ? 1 : 0, nodev ? 1 : 0, extra, o.propagation || '')
    } else {
      const type = m.type === 'cgroup' ? 'cgroup2' : m.type
      const flags = o.flags | (forcesNodev(m.type, allowsDevices(m.options)) ? mnt.MS_NODEV : 0)
      line('mount', type, m.source ?? type, m.destination, flags, o.data, o.propagation || '')
      if (m.destination === '/dev/pts' && m.type === 'devpts') devPts = true
    }
  }
  for (const d of [...DEFAULT_DEVICES, ...(spec.linux?.devices ?? [])]) line('device', d.path, (d.fileMode ?? 0o666).toString(8), d.major, d.minor)
  for (const [target, name] of [['/proc/self/fd', 'fd'], ['/proc/self/fd/0', 'stdin'], ['/proc/self/fd/1', 'stdout'], ['/proc/self/fd/2', 'stderr']]) line('symlink', target, name)
  if (existsSync('/proc/kcore')) line('symlink', '/proc/kcore', 'core')
  if (devPts) line('ptmx')
  line('passwd')
  for (const p of spec.linux?.maskedPaths ?? []) line('mask', p)
  for (const p of spec.linux?.readonlyPaths ?? []) line('readonly', p)
  if (spec.linux?.seccomp) {
    const c = await compileSeccomp(spec.linux.seccomp)
    line('seccomp', c.program, c.flags)
  }
  line('capbset', capabilityMask(spec.process?.capabilities?.bounding ?? []).toString(16))
  line('exec', program)
  return lines.join('\n') + '\n'
}

/**
 * Measure and print. `tocker(...args)`: the CLI against the running engine (spawnSync result);
 * `root`: its store; `work`: scratch (removed by the caller); `engineCreate`: the engine's own
 * "runtime create" median from the profile of this run, if there was one.
 */
export async function printCreateFloor({ repo, tocker, root, work, runs = 15, engineCreate }) {
  // --rm, as the run measured: its writable layer is mounted volatile (no sync at the unmount).
  const made = tocker('create', '--rm', '--network', 'none', 'busybox', 'true')
  if (made.status !== 0) throw new Error(`create-floor: tocker create: ${made.stderr}`)
  const id = made.stdout.trim()
  const cgroupDir = join('/sys/fs/cgroup', `tocker-create-floor-${process.pid}`)
  try {
    const dir = join(root, 'containers', id)
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    // tocker gives a container a cgroup only where cgroup v2 is usable (src/cgroups/support.ts); on
    // a hybrid host (this VM) it makes none, and neither does the floor. A second floor joins one
    // (a controller-less cgroup2 still moves the process), to show what a cgroup v2 host pays.
    const { cgroupSupport } = await import(pathToFileURL(join(repo, 'dist', 'src', 'cgroups', 'index.js')).href)
    const usable = cgroupSupport().usable
    const probeRoot = statfsSync('/sys/fs/cgroup').type === CGROUP2_MAGIC ? '/sys/fs/cgroup' : undefined
    const floorBin = buildFloor(work)
    const planFile = join(work, 'create-floor.plan')
    writeFileSync(planFile, await planOf(repo, spec, usable ? cgroupDir : undefined, '/bin/true'))
    const cgPlanFile = !usable && probeRoot ? join(work, 'create-floor-cgroup.plan') : undefined
    if (cgPlanFile) writeFileSync(cgPlanFile, await planOf(repo, spec, cgroupDir, '/bin/true'))
    // The same cgroup, PID 1 forked straight into it (clone3 CLONE_INTO_CGROUP): no move afterwards.
    const forkPlanFile = cgPlanFile && join(work, 'create-floor-cgroup-at-fork.plan')
    if (forkPlanFile) writeFileSync(forkPlanFile, await planOf(repo, spec, cgroupDir, '/bin/true', true))

    const runtime = await import(pathToFileURL(join(repo, 'dist', 'src', 'runtime', 'container.js')).href)
    const stateRoot = join(work, 'create-floor-state')
    mkdirSync(stateRoot, { recursive: true })
    const quiet = { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' }
    const floorOnce = (plan = planFile) => {
      const r = spawnSync(floorBin, [plan], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`create-floor: ${r.stderr}`)
      return JSON.parse(r.stdout)
    }
    let n = 0
    const libraryOnce = async () => {
      const cid = `floor-${process.pid}-${n++}`
      const t0 = performance.now()
      const c = await runtime.createContainer({ id: cid, bundle: dir, stateRoot, stdio: quiet })
      const t1 = performance.now()
      await c.start()
      const code = await c.wait()
      const t2 = performance.now()
      await runtime.deleteContainer(cid, { stateRoot, force: true })
      const t3 = performance.now()
      if (code !== 0) throw new Error(`create-floor: the library's container exited with ${code}`)
      return { create: t1 - t0, run: t2 - t1, delete: t3 - t2 }
    }
    for (let i = 0; i < 3; i++) {
      floorOnce()
      await libraryOnce()
    }
    const floor = []
    const lib = []
    const withCgroup = []
    const atFork = []
    for (let i = 0; i < runs; i++) {
      floor.push(floorOnce())
      lib.push(await libraryOnce())
      if (cgPlanFile) withCgroup.push(floorOnce(cgPlanFile))
      if (forkPlanFile) atFork.push(floorOnce(forkPlanFile))
    }
    const f = (k) => median(floor.map((x) => x[k]))
    const l = (k) => median(lib.map((x) => x[k]))
    const row = (label, ms, note = '') => console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(7)}ms${note}`)
    console.log(`\n3b. runtime create's floor: this container's kernel calls from C (test/bench/create-floor.c), median of ${runs}, interleaved with the runtime library`)
    row('floor: namespace fds saved (and the cgroup mkdir, if any)', f('pre'))
    row('floor: unshare(NEWNS|NEWUTS|NEWIPC|NEWNET)', f('unshare'))
    row('floor: socketpair + fork of the "shim"', f('spawn'))
    row('floor: / private, hostname, overlay mount', f('rootfs'))
    row("floor: the spec's mounts (proc, cgroup2 by PID 1)", f('mounts'))
    row('floor: /dev nodes (mknod, bind, remount), symlinks', f('dev'))
    row('floor: /etc/passwd + group read, PID 1 ready', f('user'))
    row('floor: masked and read-only paths', f('masks'))
    row('floor: pivot_root, old root detached', f('pivot'))
    row('floor: setns home (4), cwd', f('home'))
    row('floor:   of which waiting for the shim/PID 1', f('gateWait'))
    row('floor: create, whole', f('create'))
    row('floor: start → /bin/true exits, noticed', f('run'))
    row("floor: the shim's exit after its report (mount ns teardown)", f('teardown'))
    row('floor: delete (cgroup rmdir)', f('delete'))
    if (withCgroup.length) {
      const g = (k) => median(withCgroup.map((x) => x[k]))
      row('floor with a cgroup (cgroup v2 hosts): create, whole', g('create'), `  (+${(g('create') - f('create')).toFixed(2)} ms: the move into it; tocker makes none here)`)
      const k = (x) => median(atFork.map((r) => r[x]))
      row('  the same, PID 1 forked into it (clone3 CLONE_INTO_CGROUP)', k('create'), `  (+${(k('create') - f('create')).toFixed(2)} ms)`)
    }
    row('runtime library: create (in-process, same bundle)', l('create'), `  = ${(l('create') / f('create')).toFixed(2)}x the floor, +${(l('create') - f('create')).toFixed(2)} ms`)
    row('runtime library: start + wait', l('run'), `  = ${(l('run') / f('run')).toFixed(2)}x the floor`)
    row('runtime library: delete (state dir; its cgroup where it has one)', l('delete'))
    if (engineCreate !== undefined) row("engine's runtime create (part 2's median)", engineCreate, `  = ${(engineCreate / f('create')).toFixed(2)}x the floor, +${(engineCreate - f('create')).toFixed(2)} ms`)
  } finally {
    tocker('rm', '-f', id)
    // A floor that failed half-way leaves its cgroup (its PID 1 is gone with it: EOF on the socket).
    if (existsSync(cgroupDir)) rmdirSync(cgroupDir)
  }
}
