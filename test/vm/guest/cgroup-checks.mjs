// Runs INSIDE the cgroup v2 VM (started by test/vm/cgroups.test.ts through vm.mjs): every cgroup check
// in one boot, each printed as one line `CHECK {"name":…, "ms":…, …facts}`. It reports facts; the
// host-side test asserts them, so a wrong fact fails there with a readable diff.
//
// Processes are put into a cgroup the way the runtime must: before the program runs. A tiny shell
// wrapper writes its own PID to cgroup.procs, then execs the program (same PID, already limited).
import { spawn } from 'node:child_process'
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'

const dist = new URL('../../../dist/src/', import.meta.url)
const cgroups = await import(new URL('cgroups/index.js', dist).href)
const { onTrace } = await import(new URL('trace/trace.js', dist).href)

const MiB = 1024 * 1024
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const read = (path) => readFileSync(path, 'utf8').trim()
const SIGNALS = { SIGKILL: 9, SIGTERM: 15 }

/** Start `argv` inside cgroup `path`: the wrapper moves itself in, then execs. */
function spawnIn(path, argv, opts = {}) {
  const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', path, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output.length < 4000 ? (output += d) : undefined))
  const done = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, exitCode: code ?? 128 + (SIGNALS[signal] ?? 0), output: output.slice(0, 400) })))
  return { child, done }
}

function removeTimed(cg) {
  const t = performance.now()
  cg.remove()
  return { ms: Math.round(performance.now() - t), gone: !existsSync(cg.path) }
}

/** /proc/<pid>/cgroup's cgroup v2 line ("0::/tocker/<id>"), or the error reading it. */
function cgroupOf(pid) {
  try {
    return read(`/proc/${pid}/cgroup`)
  } catch (err) {
    return String(err?.code ?? err)
  }
}

async function check(name, fn) {
  const start = performance.now()
  const writes = []
  // How the runtime's PID 1 got into its cgroup: the shim's fork/clone3 report (with PID 1's cgroup
  // read the moment the runtime hears of it: before start, before any cgroup.procs write) and the
  // runtime's note saying which way it went.
  // The same for exec's process (the exec shim's fork/clone3), and where it joined its cgroup namespace.
  const pid1 = []
  const execd = []
  const placed = []
  const stop = onTrace((e) => {
    if (e.kind === 'cgroup') writes.push(`${e.op} ${e.detail}${e.failed ? ` (${e.result})` : ''}`)
    else if (e.kind === 'note' && e.op === 'cgroup') placed.push(e.msg?.key ?? e.detail)
    else if ((e.by === 'shim' || e.by === 'exec shim') && (e.op === 'fork' || e.op === 'clone3')) {
      const pid = /^pid (\d+) on the host$/.exec(e.result ?? '')?.[1]
      ;(e.by === 'shim' ? pid1 : execd).push({ op: e.op, failed: !!e.failed, result: e.result, cgroup: pid ? cgroupOf(pid) : undefined })
    } else if (e.op === 'setns' && /CLONE_NEWCGROUP/.test(e.detail)) execd.push({ op: 'setns', by: e.by ?? '', failed: !!e.failed })
  })
  let facts
  try {
    facts = await fn()
  } catch (err) {
    facts = { error: `${err?.constructor?.name}: ${err?.message}`, stack: String(err?.stack).split('\n').slice(0, 4).join(' | ') }
  } finally {
    stop()
  }
  console.log(`CHECK ${JSON.stringify({ name, ms: Math.round(performance.now() - start), ...facts, traced: writes, pid1, execd, placed })}`)
}

const only = process.argv[2] ? new Set(process.argv[2].split(',')) : undefined
const want = (name) => !only || only.has(name)

if (want('support')) {
  await check('support', async () => {
    const s = cgroups.cgroupSupport()
    return { usable: s.usable, mountpoint: s.mountpoint, controllers: s.controllers, reason: s.reason }
  })
}

if (want('memory')) {
  await check('memory', async () => {
    const cg = cgroups.createCgroup('vm-memory', { memoryBytes: 32 * MiB })
    try {
      const files = { max: read(`${cg.path}/memory.max`), swapMax: read(`${cg.path}/memory.swap.max`) }
      // dd's 64 MiB buffer is filled from /dev/zero: twice the limit, no swap → the OOM killer.
      const { done } = spawnIn(cg.path, ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'])
      const result = await done
      return { files, ...result, stats: cg.stats(), path: cg.path, remove: removeTimed(cg) }
    } finally {
      cg.remove()
    }
  })
}

if (want('pids')) {
  await check('pids', async () => {
    const limit = 16
    const cg = cgroups.createCgroup('vm-pids', { pidsLimit: limit })
    let peak = 0
    try {
      const files = { max: read(`${cg.path}/pids.max`) }
      // The classic fork bomb: every copy starts two more, forever. pids.max makes fork() fail with
      // EAGAIN once the cgroup holds `limit` tasks. The first shell then waits in `sleep`, so
      // something is still alive when remove() has to kill it.
      const { done } = spawnIn(cg.path, ['sh', '-c', 'bomb() { bomb | bomb & }; bomb; exec sleep 600'])
      const t0 = Date.now()
      while (Date.now() - t0 < 3000) {
        peak = Math.max(peak, Number(read(`${cg.path}/pids.current`)))
        await sleep(50)
      }
      const stats = cg.stats()
      const beforeRemove = cg.pids().length
      const remove = removeTimed(cg)
      return { files, limit, peak, stats, beforeRemove, path: cg.path, remove, bombSignal: (await done).signal }
    } finally {
      cg.remove()
    }
  })
}

if (want('cpu')) {
  await check('cpu', async () => {
    const cg = cgroups.createCgroup('vm-cpu', { cpus: 0.5 })
    try {
      const files = { max: read(`${cg.path}/cpu.max`) }
      const { child, done } = spawnIn(cg.path, ['sh', '-c', 'while :; do :; done'])
      const wallStart = performance.now()
      await sleep(2000)
      const stats = cg.stats()
      const wallUs = (performance.now() - wallStart) * 1000
      child.kill('SIGKILL')
      await done
      return { files, stats, share: stats.cpuUsageUsec / wallUs, path: cg.path, remove: removeTimed(cg) }
    } finally {
      cg.remove()
    }
  })
}

if (want('weight')) {
  await check('weight', async () => {
    const out = {}
    for (const shares of [512, 1024, 2048]) {
      const cg = cgroups.createCgroup(`vm-weight-${shares}`, { cpuShares: shares })
      try {
        out[shares] = Number(read(`${cg.path}/cpu.weight`))
      } finally {
        cg.remove()
      }
    }
    return { weights: out }
  })
}

if (want('hierarchy')) {
  await check('hierarchy', async () => {
    const cg = cgroups.createCgroup('vm-hierarchy', {})
    try {
      return {
        path: cg?.path,
        rootSubtree: read('/sys/fs/cgroup/cgroup.subtree_control').split(' '),
        parentSubtree: read('/sys/fs/cgroup/tocker/cgroup.subtree_control').split(' '),
        parentProcs: read('/sys/fs/cgroup/tocker/cgroup.procs'),
        childControllers: read(`${cg.path}/cgroup.controllers`).split(' '),
        remove: removeTimed(cg),
      }
    } finally {
      cg?.remove()
    }
  })
}

if (want('join')) {
  await check('join', async () => {
    // exec joins a running container: find its cgroup again (by id, and from its first process) and add a process.
    const cg = cgroups.createCgroup('vm-join', { pidsLimit: 50 })
    try {
      const first = spawnIn(cg.path, ['sleep', '60'])
      await sleep(300)
      const byId = cgroups.openCgroup('vm-join')
      const byPid = cgroups.cgroupOfProcess(first.child.pid)
      const second = spawn('sleep', ['60'], { stdio: 'ignore' })
      await new Promise((r) => second.once('spawn', r))
      byId.addProcess(second.pid)
      const pids = byPid.pids().sort()
      const expected = [first.child.pid, second.pid].sort()
      const secondExit = new Promise((r) => second.once('exit', (_c, s) => r(s)))
      const remove = removeTimed(byPid)
      return { byIdPath: byId?.path, byPidPath: byPid?.path, path: cg.path, pids, expected, remove, firstSignal: (await first.done).signal, secondSignal: await secondExit }
    } finally {
      cg.remove()
    }
  })
}

if (want('conflict')) {
  await check('conflict', async () => {
    // A second create for the same id must refuse and leave the first one alone.
    const cg = cgroups.createCgroup('vm-conflict', { memoryBytes: 64 * MiB })
    try {
      let refusal
      try {
        cgroups.createCgroup('vm-conflict', { memoryBytes: 128 * MiB })
      } catch (err) {
        refusal = { name: err.constructor.name, message: err.message, status: err.status }
      }
      return { refusal, stillThere: existsSync(cg.path), memoryMax: read(`${cg.path}/memory.max`) }
    } finally {
      cg.remove()
    }
  })
}

// ---- Through tocker's runtime: `tocker runtime run` on an OCI bundle whose config.json carries
// linux.resources, exactly as runc would get it. The process reads its own cgroup files from inside
// (cgroup namespace: its cgroup is "/" there, mounted read-only at /sys/fs/cgroup).
const REPO = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '')
const runtimeAvailable = existsSync(new URL('runtime/index.js', dist)) && existsSync(`${REPO}/native-shims/out/shim`)
const STATE_ROOT = '/run/tocker-vm-checks'

async function makeBundle(name, args, resources) {
  const { defaultSpec } = await import(new URL('runtime/default-spec.js', dist).href)
  const bundle = `/tmp/bundles/${name}`
  const bin = `${bundle}/rootfs/bin`
  mkdirSync(bin, { recursive: true })
  copyFileSync('/bin/busybox', `${bin}/busybox`)
  chmodSync(`${bin}/busybox`, 0o755)
  for (const applet of ['sh', 'dd', 'cat', 'grep', 'sleep', 'timeout']) symlinkSync('busybox', `${bin}/${applet}`)
  const spec = defaultSpec(args)
  spec.process.terminal = false
  spec.linux.resources = resources
  writeFileSync(`${bundle}/config.json`, JSON.stringify(spec, null, 2))
  return bundle
}

/**
 * Run a container to its end; `during(path, done)` runs meanwhile (the container's cgroup, seen from
 * outside). `via: 'cli'` spawns `tocker runtime run` (a Node start-up, ~5 s under emulation);
 * `via: 'library'` calls the same runtime in this process, as the engine does.
 */
async function runtimeRun(id, bundle, { via = 'library', during } = {}) {
  let output = ''
  let done
  if (via === 'cli') {
    const child = spawn(process.execPath, [`${REPO}/bin/tocker`, 'runtime', '--state-root', STATE_ROOT, 'run', '-b', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    done = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  } else {
    const { runContainer } = await import(new URL('runtime/index.js', dist).href)
    const file = `/tmp/bundles/${id}.out`
    const fd = openSync(file, 'w')
    done = runContainer({ id, bundle, stateRoot: STATE_ROOT, stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
      .then((code) => ({ code, signal: null }), (err) => ({ error: `${err.constructor.name}: ${err.message}` }))
      .finally(() => {
        closeSync(fd)
        output = readFileSync(file, 'utf8')
      })
  }
  const seen = during ? await during(`/sys/fs/cgroup/tocker/${id}`, done) : undefined
  const result = await done
  return { via, ...result, output: output.slice(0, 3000), seen, cgroupLeft: existsSync(`/sys/fs/cgroup/tocker/${id}`), stateLeft: readdirSync(STATE_ROOT).filter((f) => f === id) }
}

/** Sample pids.current until the run ends (largest value seen), and the last pids.events "max". */
async function samplePids(path, done) {
  let peak = 0
  let refusedForks = 0
  let ended = false
  done.then(() => (ended = true))
  while (!ended) {
    try {
      peak = Math.max(peak, Number(read(`${path}/pids.current`)))
      refusedForks = cgroups.openCgroupPath(path)?.stats().pidsMaxEvents ?? refusedForks
    } catch {
      // not made yet, or gone already
    }
    await sleep(50)
  }
  return { peak, refusedForks }
}

if (runtimeAvailable) {
  mkdirSync(STATE_ROOT, { recursive: true })
  const MEM = String(32 * MiB)

  if (want('rt-memory')) {
    await check('rt-memory', async () => {
      const bundle = await makeBundle('rt-memory', ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=64M count=1; rc=$?; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.events /proc/self/cgroup; exit $rc'], { memory: { limit: 32 * MiB } })
      return { limit: MEM, ...(await runtimeRun('rt-memory', bundle)) }
    })
  }

  if (want('rt-oom-pid1')) {
    await check('rt-oom-pid1', async () => {
      // The container's PID 1 itself over the limit: what `docker run -m` users see as exit 137.
      const bundle = await makeBundle('rt-oom-pid1', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { memory: { limit: 32 * MiB } })
      return await runtimeRun('rt-oom-pid1', bundle, { via: 'cli' })
    })
  }

  if (want('rt-pids')) {
    await check('rt-pids', async () => {
      const bundle = await makeBundle('rt-pids', ['sh', '-c', 'cat /sys/fs/cgroup/pids.max; bomb() { bomb | bomb & }; bomb 2>/dev/null; exec sleep 3'], { pids: { limit: 16 } })
      return { limit: 16, ...(await runtimeRun('rt-pids', bundle, { during: samplePids })) }
    })
  }

  if (want('rt-cpu')) {
    await check('rt-cpu', async () => {
      const bundle = await makeBundle('rt-cpu', ['sh', '-c', 'timeout 2 sh -c "while :; do :; done"; cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight /sys/fs/cgroup/cpu.stat'], {
        cpu: { quota: 50000, period: 100000, shares: 512 },
      })
      return await runtimeRun('rt-cpu', bundle)
    })
  }

  if (want('rt-exec')) {
    await check('rt-exec', async () => {
      // An exec into a running container with a cgroup (the engine's `tocker exec` path): the
      // process is born in the container's cgroup, then joins its cgroup namespace ("0::/" inside).
      const { containerState, execProcess, killContainer } = await import(new URL('runtime/index.js', dist).href)
      const id = 'rt-exec'
      const bundle = await makeBundle(id, ['sleep', '60'], { pids: { limit: 50 } })
      return await runtimeRun(id, bundle, {
        during: async (_path, done) => {
          let ended = false
          done.then(() => (ended = true))
          /** Its status; undefined until runContainer has written its state. */
          const status = () => {
            try {
              return containerState(id, { stateRoot: STATE_ROOT }).status
            } catch (err) {
              if (err.code === 'ENOENT') return undefined
              throw err
            }
          }
          while (!ended && status() !== 'running') await sleep(50)
          const file = `/tmp/bundles/${id}.exec.out`
          const fd = openSync(file, 'w')
          const exec = {}
          try {
            const p = await execProcess(id, { stateRoot: STATE_ROOT, args: ['cat', '/proc/self/cgroup'], stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
            Object.assign(exec, { pid: p.pid, code: await p.wait() })
            // What an exec takes until its process runs (execProcess answers once it has exec'd): cat /dev/null, 5 times.
            const ms = []
            for (let i = 0; i < 5; i++) {
              const t = performance.now()
              const q = await execProcess(id, { stateRoot: STATE_ROOT, args: ['cat', '/dev/null'], stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
              ms.push(performance.now() - t)
              await q.wait()
            }
            exec.execMs = ms.sort((a, b) => a - b).map((x) => Math.round(x * 10) / 10)
          } catch (err) {
            exec.error = `${err?.constructor?.name}: ${err?.message}`
          } finally {
            closeSync(fd)
            killContainer(id, 9, { stateRoot: STATE_ROOT })
          }
          return { ...exec, output: readFileSync(file, 'utf8') }
        },
      })
    })
  }

  if (want('seccomp')) {
    await check('seccomp', async () => {
      // Docker's default seccomp profile on Debian's stock kernel, with Debian's own programs (the
      // host's /usr, bound read-only into a busybox bundle): apt, dpkg, bash, python threads
      // (glibc's pthread_create tries clone3 first: the filter answers ENOSYS, glibc falls back to
      // clone). The probe (test/integration/security/syscall-probe.c, compiled on the host by cgroups.test.ts)
      // shows the refusals.
      const { DEFAULT_SECCOMP_PROFILE } = await import(new URL('runtime/seccomp/default-profile.js', dist).href)
      const { toLinuxSeccomp } = await import(new URL('runtime/seccomp/docker-profile.js', dist).href)
      const { DEFAULT_CAPABILITIES } = await import(new URL('runtime/caps.js', dist).href)
      const bundle = await makeBundle('seccomp', [
        'sh',
        '-c',
        [
          'apt --version',
          'dpkg --version | head -n 1',
          "bash -c 'echo bash ${BASH_VERSINFO[0]}'",
          'python3 -c "import threading; t = threading.Thread(target=print, args=(\'thread ok\',)); t.start(); t.join()"',
          'grep Seccomp: /proc/self/status',
          '/probe keyctl unshare mount io_uring_setup clone3 getpid',
        ].join('; '),
      ], undefined)
      const spec = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8'))
      const ro = (source, destination) => ({ destination, type: 'bind', source, options: ['rbind', 'ro'] })
      spec.mounts.push(ro('/usr', '/usr'), ro('/usr/lib', '/lib'), ro('/usr/lib64', '/lib64'), ro('/etc/apt', '/etc/apt'))
      spec.linux.seccomp = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES })
      writeFileSync(`${bundle}/config.json`, JSON.stringify(spec, null, 2))
      const probe = `${REPO}/test/.tmp/syscall-probe`
      if (existsSync(probe)) {
        copyFileSync(probe, `${bundle}/rootfs/probe`)
        chmodSync(`${bundle}/rootfs/probe`, 0o755)
      }
      return { kernel: read('/proc/sys/kernel/osrelease'), ...(await runtimeRun('seccomp', bundle)) }
    })
  }

  /** GET on the engine's API over its unix socket; the body as text. */
  const apiGet = async (socketPath, path) => {
    const { request } = await import('node:http')
    return new Promise((resolve, reject) => {
      const req = request({ socketPath, path, method: 'GET' }, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve(body))
      })
      req.on('error', reject)
      req.end()
    })
  }

  if (want('cli-run')) {
    await check('cli-run', async () => {
      // The learner's command: `tocker run --memory … --pids-limit … --cpus … --cpu-shares …` through
      // the engine, with the store on the guest's tmpfs /var/lib/tocker. The engine is started here
      // (auto-start may time out under emulation) and stopped by PID at the end.
      const root = '/var/lib/tocker'
      const env = { ...process.env, TOCKER_NO_AUTOSTART: '1' }
      const tocker = (args) =>
        new Promise((resolve) => {
          const t0 = performance.now()
          const child = spawn(process.execPath, [`${REPO}/bin/tocker`, '--root', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
          let out = ''
          child.stdout.on('data', (d) => (out += d))
          child.stderr.on('data', (d) => (out += d))
          child.once('exit', (code) => resolve({ code, out: out.slice(0, 2000), ms: Math.round(performance.now() - t0) }))
        })
      const engine = spawn(process.execPath, [`${REPO}/bin/tocker`, '--root', root, 'daemon'], { stdio: 'ignore', env })
      try {
        let ping
        for (let i = 0; i < 120; i++) {
          ping = await tocker(['ps', '-q'])
          if (ping.code === 0) break
          await sleep(500)
        }
        // The engine loads the image (the CLI streams the archive to it).
        const load = await tocker(['load', '-i', `${REPO}/rootfs-cache/out/busybox.tar`])
        const run = await tocker([
          'run',
          '--rm',
          '--memory',
          '32m',
          '--pids-limit',
          '20',
          '--cpus',
          '0.5',
          '--cpu-shares',
          '512',
          'busybox',
          'sh',
          '-c',
          'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight; dd if=/dev/zero of=/dev/null bs=64M count=1',
        ])
        // Issue 10: an OOM kill shows in inspect's State.OOMKilled and as an "oom" event.
        const oomRun = await tocker(['run', '--name', 'oom', '--memory', '32m', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/dev/null bs=64M count=1'])
        const oomInspect = await tocker(['inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}', 'oom'])
        // The default store's engine listens on /run/tocker/tocker.sock.
        const oomEvents = await apiGet('/run/tocker/tocker.sock', `/events?since=0&until=${Math.ceil(Date.now() / 1000)}&filters=${encodeURIComponent(JSON.stringify({ container: ['oom'] }))}`)
        const calm = await tocker(['run', '--name', 'calm', '--memory', '32m', 'busybox', 'true'])
        const calmInspect = await tocker(['inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'calm'])
        await tocker(['rm', 'oom', 'calm'])
        const left = existsSync('/sys/fs/cgroup/tocker') ? readdirSync('/sys/fs/cgroup/tocker', { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []
        return {
          load,
          ping,
          run,
          oomRun,
          oomInspect: oomInspect.out.trim(),
          oomActions: oomEvents.split('\n').filter(Boolean).map((l) => JSON.parse(l).Action),
          calm: calm.code,
          calmInspect: calmInspect.out.trim(),
          cgroupsLeft: left,
        }
      } finally {
        engine.kill('SIGTERM')
      }
    })
  }
} else {
  console.log(`CHECK ${JSON.stringify({ name: 'runtime', skipped: 'dist/src/runtime or native-shims/out/shim is missing (npm run build)', traced: [] })}`)
}

console.log('CHECKS-DONE')
