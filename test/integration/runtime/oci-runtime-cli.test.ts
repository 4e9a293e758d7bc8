// bin/tocker-runtime on its own (runc's command line, issue 13), through the real kernel: bad input
// answered as runc does (exit 1, the error in the log, nothing left behind), config.json checked
// against the OCI runtime spec's JSON Schema with the field named.
// Private network and mount namespaces, cgroup2 at /sys/fs/cgroup as the engine tests have it
// (test/helpers/oci-engines.ts): nothing reaches the host's network or its cgroup v1 hierarchies.
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
const { spawn, spawnSync } = await import('node:child_process')
const { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } = await import('node:fs')
const { setTimeout: sleep } = await import('node:timers/promises')
const { join } = await import('node:path')
const { prepareEngineSandbox, REPO, TOCKER_RUNTIME } = await import('../../helpers/oci-engines.js')
const { makeBundle, removeDir, tempDir } = await import('../../helpers/bundle.js')

prepareEngineSandbox()
const work = tempDir('ocicli')
const stateRoot = join(work, 'state')
const env = { ...process.env }
delete env.NODE_OPTIONS // tap's loaders are not for bin/tocker-runtime
t.teardown(async () => {
  for (const id of ['uns-run', 'uns-life', 'timens', 'timens-bad', 'hooks-post', 'seccomp-getcwd', 'no-ns', 'no-ns-created', 'no-ns-run', 'id-used']) await rt(['delete', '--force', id])
  removeDir(work)
})

/**
 * bin/tocker-runtime ARGS, bounded. Output to files, not pipes: a container made by `create`
 * inherits the runtime's stdio and would hold a pipe open for as long as it runs.
 */
function rt(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = join(work, `rt-${++calls}`)
  const outFd = openSync(`${out}.out`, 'w')
  const errFd = openSync(`${out}.err`, 'w')
  return new Promise((resolve, reject) => {
    const child = spawn(TOCKER_RUNTIME, ['--root', stateRoot, ...args], { env, stdio: ['ignore', outFd, errFd] })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      closeSync(outFd)
      closeSync(errFd)
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout: readFileSync(`${out}.out`, 'utf8'), stderr: readFileSync(`${out}.err`, 'utf8') })
    })
  })
}
let calls = 0

/** A bundle whose config.json is edited as raw JSON (so that it can be made invalid). */
function rawBundle(name: string, edit: (c: Record<string, any>) => void): string {
  const b = makeBundle(work, name, ['true'], undefined, name !== 'no-rootfs')
  const c = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'))
  edit(c)
  writeFileSync(join(b, 'config.json'), JSON.stringify(c))
  return b
}

t.test('config.json against the OCI schema: the first problem named by its field, exit 1, nothing made', async (t) => {
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['args-string', (c) => (c.process.args = 'sh'), /config\.json does not follow the OCI runtime spec: process\.args: must be array/],
    ['ns-type', (c) => c.linux.namespaces.push({ type: 'bogus' }), /linux\.namespaces\[\d+\]\.type: must be one of "mount", "pid", /],
    ['no-version', (c) => delete c.ociVersion, /ociVersion: is required/],
    ['mount-dest', (c) => c.mounts.push({ source: 'tmpfs', type: 'tmpfs' }), /mounts\[\d+\]\.destination: is required/],
    ['uid-neg', (c) => (c.process.user.uid = -1), /process\.user\.uid: must be >= 0/],
  ]
  for (const [name, edit, want] of cases) {
    const b = rawBundle(name, edit)
    const log = join(work, `${name}.log.json`)
    const r = await rt(['--log', log, '--log-format', 'json', 'create', '--bundle', b, name])
    t.equal(r.code, 1, `${name}: exit 1 as runc`)
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!)
    t.equal(line.level, 'error', `${name}: an error line in the JSON log`)
    t.match(line.msg, want, `${name}: ${line.msg}`)
    t.match(r.stderr, want, `${name}: and plainly on stderr (the log is a file)`)
    t.notOk(existsSync(join(stateRoot, name)), `${name}: no state left`)
    t.not((await rt(['state', name])).code, 0, `${name}: no such container`)
  }
})

t.test("a missing bundle, a missing config.json: runc's words", async (t) => {
  const none = await rt(['create', '--bundle', join(work, 'nowhere'), 'nb'])
  t.equal(none.code, 1)
  t.match(none.stderr, /JSON specification file config\.json not found/)
  t.notOk(existsSync(join(stateRoot, 'nb')), 'no state left')
})

// User namespaces: container uid 0 is host uid 100000 (the holder in the C shim makes the namespace,
// the runtime writes the maps: src/runtime/userns.ts).
const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }]
function userns(c: Record<string, any>): void {
  c.linux.namespaces.push({ type: 'user' })
  c.linux.uidMappings = MAP
  c.linux.gidMappings = MAP
}

t.test("user namespace: root inside is uid 100000 outside; the rootfs (host root's) is seen as root's through an id-mapped mount", async (t) => {
  const canary = join(work, 'canary')
  writeFileSync(canary, 'host root owns me\n', { mode: 0o644 })
  const shared = join(work, 'shared')
  mkdirSync(shared, { mode: 0o777 })
  chmodSync(shared, 0o777)
  const idmapped = join(work, 'idmapped')
  mkdirSync(idmapped, { mode: 0o755 })
  const b = rawBundle('uns-run', (c) => {
    userns(c)
    c.mounts.push({ destination: '/canary', type: 'bind', source: canary, options: ['rbind', 'rw'] })
    c.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] })
    // crun's "idmap" option: the host dir (host root's, 0755) as the container's mapping sees it.
    c.mounts.push({ destination: '/idmapped', type: 'bind', source: idmapped, options: ['bind', 'rw', 'idmap'] })
    // CAP_SYS_ADMIN: in the container's user namespace only, so good for its own UTS namespace.
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN')
    c.process.args = [
      'sh',
      '-c',
      [
        'id -u; id -g',
        'cat /proc/self/uid_map /proc/self/gid_map',
        'stat -c "%u:%g %n" /bin/busybox /etc /dev/null /dev/pts/ptmx /dev/shm /tmp',
        'touch /etc/made-inside && echo rootfs-writable',
        'echo pwned > /canary 2>/dev/null || echo canary-refused',
        'touch /shared/from-inside && stat -c "%u:%g shared-file" /shared/from-inside',
        'stat -c "%u:%g idmapped-dir" /idmapped; touch /idmapped/by-root && echo idmapped-writable',
        'hostname uns-host && hostname',
        'mknod /tmp/mem c 1 1 2>/dev/null && echo mknod-done || echo mknod-refused',
        // The PID namespace belongs to the user namespace: its root may mount a /proc of its own.
        'mkdir -p /tmp/p && mount -t proc proc /tmp/p && echo inner-proc-$(ls /tmp/p | grep -c "^[0-9]")',
        'echo nofile-$(ulimit -n) oom-$(cat /proc/self/oom_score_adj)',
      ].join('; '),
    ]
    // Set on PID 1 from outside the user namespace (the shim's set_gate_limits).
    c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 500, hard: 600 }]
    c.process.oomScoreAdj = 123
  })
  const r = await rt(['run', '--bundle', b, 'uns-run'])
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  t.same(lines.slice(0, 2), ['0', '0'], 'uid 0, gid 0 inside')
  t.match(lines[2], /^\s*0\s+100000\s+65536$/, 'uid_map as asked')
  t.match(lines[3], /^\s*0\s+100000\s+65536$/, 'gid_map as asked')
  for (const f of ['/bin/busybox', '/etc', '/dev/null', '/dev/shm', '/tmp']) t.match(r.stdout, new RegExp(`^0:0 ${f}$`, 'm'), `${f} is root's inside`)
  t.match(r.stdout, /^rootfs-writable$/m, 'root inside may write the rootfs (id-mapped)')
  t.equal(statSync(join(b, 'rootfs/etc/made-inside')).uid, 0, "on disk the new file is host root's (an id-mapped mount writes back through the mapping)")
  t.match(r.stdout, /^canary-refused$/m, "a host root file bind-mounted in is not writable by the container's root")
  t.equal(readFileSync(canary, 'utf8'), 'host root owns me\n', 'the canary is intact')
  t.match(r.stdout, /^0:0 shared-file$/m, "a file made in a plain bind mount is root's inside")
  t.equal(statSync(join(shared, 'from-inside')).uid, 100000, "… and host uid 100000's on the host")
  t.match(r.stdout, /^0:0 idmapped-dir$/m, 'an "idmap" bind mount: the host root\'s dir is root\'s inside')
  t.match(r.stdout, /^idmapped-writable$/m, "… and writable by the container's root")
  t.equal(statSync(join(idmapped, 'by-root')).uid, 0, "… a file made there is host root's on disk")
  t.match(r.stdout, /^uns-host$/m, 'the UTS namespace belongs to the user namespace: its root (with CAP_SYS_ADMIN there) may set the hostname')
  t.match(r.stdout, /^mknod-refused$/m, "CAP_MKNOD in a user namespace makes no device node (the host's /dev/mem stays out of reach)")
  t.match(r.stdout, /^inner-proc-[1-9]$/m, "the container's root mounts a /proc of its own PID namespace (which its user namespace owns): a handful of processes, not the host's")
  t.match(r.stdout, /^nofile-500 oom-123$/m, 'rlimits and oom_score_adj land on PID 1 born in the user namespace')
  t.notOk(existsSync(join(stateRoot, 'uns-run')), 'run deleted it')
})

t.test('user namespace: create / exec / kill / delete; exec joins the user namespace', async (t) => {
  const b = rawBundle('uns-life', (c) => {
    userns(c)
    c.process.args = ['sleep', '300']
  })
  t.equal((await rt(['create', '--bundle', b, 'uns-life'])).code, 0)
  const st = JSON.parse((await rt(['state', 'uns-life'])).stdout)
  t.equal(st.status, 'created')
  // Every namespace the container made belongs to its user namespace (as with runc and crun):
  // lsns's ONS column is the owner's inode (ioctl NS_GET_USERNS).
  const userIno = /\[(\d+)\]/.exec(readlinkSync(`/proc/${st.pid}/ns/user`))![1]
  const owners = new Map(
    spawnSync('lsns', ['-p', String(st.pid), '-o', 'TYPE,ONS', '-n'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  )
  for (const type of ['pid', 'cgroup', 'mnt', 'net', 'ipc', 'uts']) t.equal(owners.get(type), userIno, `the ${type} namespace is owned by the container's user namespace`)
  t.equal((await rt(['start', 'uns-life'])).code, 0)
  t.match(readFileSync(`/proc/${st.pid}/status`, 'utf8'), /^Uid:\s+100000\s+100000\s+100000\s+100000$/m, 'PID 1 is host uid 100000')
  t.equal(readlinkSync(`/proc/${st.pid}/ns/user`) === readlinkSync('/proc/self/ns/user'), false, 'in a user namespace of its own')
  const ex = await rt(['exec', 'uns-life', 'sh', '-c', 'id -u; cat /proc/self/uid_map; touch /etc/by-exec && echo ok'])
  t.equal(ex.code, 0, ex.stderr)
  t.match(ex.stdout, /^0\n\s*0\s+100000\s+65536\nok\n$/, 'exec: root of the same user namespace')
  const ex2 = await rt(['exec', '-u', '1000', 'uns-life', 'sh', '-c', 'id -u; sleep 0.2 & cat /proc/$!/status | grep ^Uid'])
  t.match(ex2.stdout, /^1000\n/, 'exec -u 1000: uid 1000 inside')
  t.equal((await rt(['kill', 'uns-life', 'KILL'])).code, 0)
  for (let i = 0; i < 200 && JSON.parse((await rt(['state', 'uns-life'])).stdout).status !== 'stopped'; i++) await sleep(50)
  t.equal((await rt(['delete', 'uns-life'])).code, 0)
  t.notOk(existsSync(join(stateRoot, 'uns-life')))
  t.notOk(processesNamed('tocker-userns').length, 'no holder left')
})

t.test("user namespace: bad mappings in runc's words", async (t) => {
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['uns-nons', (c) => (c.linux.uidMappings = c.linux.gidMappings = MAP), /user namespace mappings specified, but USER namespace isn't enabled in the config/],
    ['uns-nomap', (c) => c.linux.namespaces.push({ type: 'user' }), /user namespaces enabled, but no uid mappings found/],
    ['uns-nogid', (c) => (c.linux.namespaces.push({ type: 'user' }), (c.linux.uidMappings = MAP)), /user namespaces enabled, but no gid mappings found/],
  ]
  for (const [name, edit, want] of cases) {
    const r = await rt(['create', '--bundle', rawBundle(name, edit), name])
    t.equal(r.code, 1, `${name}: exit 1`)
    t.match(r.stderr, want, name)
    t.notOk(existsSync(join(stateRoot, name)), `${name}: nothing left`)
  }
  // A mapping the kernel refuses (overlapping ranges): its error, and no holder, state or mount left.
  const bad = rawBundle('uns-overlap', (c) => {
    userns(c)
    c.linux.uidMappings = [...MAP, { containerID: 10, hostID: 300000, size: 10 }]
  })
  const r = await rt(['create', '--bundle', bad, 'uns-overlap'])
  t.equal(r.code, 1, 'overlapping uid ranges: exit 1')
  t.match(r.stderr, /failed to write uid_map \(0 100000 65536, 10 300000 10\) of the container's user namespace: .*EINVAL/, r.stderr.trim())
  t.notOk(existsSync(join(stateRoot, 'uns-overlap')), 'nothing left')
  t.same(processesNamed('tocker-userns'), [], 'no holder left')
})

t.test('a time namespace with linux.timeOffsets (runtime-spec 1.1): accepted by the schema, the clocks moved', async (t) => {
  const b = rawBundle('timens', (c) => {
    c.linux.namespaces.push({ type: 'time' })
    c.linux.timeOffsets = { monotonic: { secs: 864000, nanosecs: 0 }, boottime: { secs: 864000 } }
    c.process.args = ['cat', '/proc/uptime']
  })
  const r = await rt(['run', '--bundle', b, 'timens'])
  t.equal(r.code, 0, r.stderr)
  const inside = Number(r.stdout.split(' ')[0])
  const outside = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  t.ok(inside - outside > 863000 && inside - outside < 865000, `uptime inside ${inside} = outside ${outside} + 10 days (boottime offset)`)
  const bad = rawBundle('timens-bad', (c) => {
    c.linux.timeOffsets = { monotonic: { secs: 1 } }
  })
  const e = await rt(['create', '--bundle', bad, 'timens-bad'])
  t.equal(e.code, 1, 'offsets without a time namespace: exit 1')
  t.match(e.stderr, /time namespace offsets specified, but time namespace isn't enabled in the config/)
  t.notOk(existsSync(join(stateRoot, 'timens-bad')), 'nothing left')
})

t.test('a failing poststop hook: a warning, the remaining hooks still run, delete succeeds (runtime-spec lifecycle step 13)', async (t) => {
  const mark = join(work, 'poststop-ran')
  const b = rawBundle('hooks-post', (c) => {
    c.hooks = { poststop: [{ path: '/bin/false', args: ['false'] }, { path: '/bin/sh', args: ['sh', '-c', `echo ran > ${mark}`] }] }
  })
  t.equal((await rt(['run', '--bundle', b, 'hooks-post'])).code, 0)
  t.equal(readFileSync(mark, 'utf8'), 'ran\n', 'the hook after the failed one ran')
  t.notOk(existsSync(join(stateRoot, 'hooks-post')), 'deleted')
})

t.test('a seccomp profile that refuses getcwd: the container still starts (the working-directory check climbs ".." instead)', async (t) => {
  const b = rawBundle('seccomp-getcwd', (c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] }
    c.process.args = ['echo', 'started']
  })
  const r = await rt(['run', '--bundle', b, 'seccomp-getcwd'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'started\n')
})

t.test("failing hooks and an id in use, in runc's words: exit 1, nothing left", async (t) => {
  // A prestart hook that exits 3 without reading the state on its stdin (it closes it; the state is
  // made larger than a pipe's buffer by an annotation): writing the state then fails with EPIPE,
  // in about half the runs (measured: when the write is tried decides it), so five of them. The
  // hook's own failure must be reported, as runc does, never the EPIPE.
  const b = rawBundle('hook-fail', (c) => {
    c.annotations = { 'test.big': 'x'.repeat(200_000) }
    c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'exec 0<&-; sleep 0.1; echo out; echo err >&2; exit 3'] }] }
  })
  for (let i = 0; i < 5; i++) {
    const r = await rt(['create', '--bundle', b, `hook-fail-${i}`])
    t.equal(r.code, 1, 'prestart fails: exit 1')
    t.match(r.stderr, /create failed: error running prestart hook #0: exit status 3, stdout: out\\n, stderr: err\\n"/, r.stderr.trim())
    t.notOk(existsSync(join(stateRoot, `hook-fail-${i}`)), 'nothing left')
  }
  const missing = rawBundle('hook-missing', (c) => {
    c.hooks = { createRuntime: [{ path: '/no-such-hook', args: ['x'] }] }
  })
  const m = await rt(['create', '--bundle', missing, 'hook-missing'])
  t.equal(m.code, 1)
  t.match(m.stderr, /error running createRuntime hook #0: fork\/exec \/no-such-hook: no such file or directory/)
  t.notOk(existsSync(join(stateRoot, 'hook-missing')), 'nothing left')

  const used = rawBundle('id-used', (c) => (c.process.args = ['sleep', '300']))
  t.equal((await rt(['create', '--bundle', used, 'id-used'])).code, 0)
  const again = await rt(['create', '--bundle', used, 'id-used'])
  t.equal(again.code, 1, 'the same id again: exit 1')
  t.match(again.stderr, /create failed: container with given ID already exists/, "runc 1.1's words")
  t.equal(JSON.parse((await rt(['state', 'id-used'])).stdout).status, 'created', 'the first one is untouched')
  t.equal((await rt(['delete', '--force', 'id-used'])).code, 0)
})

/** Until `state` says stopped, 15 s at most. */
async function waitStopped(id: string): Promise<void> {
  for (const end = Date.now() + 15_000; Date.now() < end && JSON.parse((await rt(['state', id])).stdout).status !== 'stopped';) await sleep(50)
}

/** Mounts in this (the test's private) mount namespace at or under `dir`. */
function mountsUnder(dir: string): string[] {
  const real = realpathSync(dir)
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m !== undefined && (m === real || m.startsWith(`${real}/`)))
}

t.test("no namespaces at all in the config: the container shares the caller's (runc's linux_ns_itype); chroot, and every mount it made in the caller's mount namespace is undone", async (t) => {
  const noNs = (name: string, args: string[], edit?: (c: Record<string, any>) => void): string =>
    rawBundle(name, (c) => {
      c.linux.namespaces = []
      delete c.hostname
      c.process.args = args
      edit?.(c)
    })
  const b = noNs('no-ns', ['sleep', '300'])
  const rootfs = join(b, 'rootfs')
  writeFileSync(join(rootfs, 'marker-no-ns'), 'inside the rootfs\n')
  const c = await rt(['create', '--bundle', b, 'no-ns'])
  t.equal(c.code, 0, c.stderr)
  const st = JSON.parse((await rt(['state', 'no-ns'])).stdout)
  for (const ns of ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup', 'user']) t.equal(readlinkSync(`/proc/${st.pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `${ns}: the caller's`)
  t.equal(readlinkSync(`/proc/${st.pid}/root`), realpathSync(rootfs), "PID 1's root is the rootfs (chroot)")
  t.equal(readlinkSync('/proc/self/root'), '/', "the caller's root is untouched (no pivot_root in its namespace)")
  const made = mountsUnder(rootfs)
  t.ok(made.includes(`${realpathSync(rootfs)}/proc`) && made.includes(`${realpathSync(rootfs)}/dev`), `its mounts are in the caller's namespace, under the rootfs: ${made.length}`)
  t.equal((await rt(['start', 'no-ns'])).code, 0)
  const ex = await rt(['exec', 'no-ns', 'cat', '/marker-no-ns'])
  t.equal(ex.code, 0, ex.stderr)
  t.equal(ex.stdout, 'inside the rootfs\n', "exec runs in the container's root (chroot'ed as PID 1 is), not the caller's")
  t.equal((await rt(['kill', 'no-ns', 'KILL'])).code, 0)
  await waitStopped('no-ns')
  const d = await rt(['delete', 'no-ns'])
  t.equal(d.code, 0, d.stderr)
  t.same(mountsUnder(rootfs), [], 'delete: nothing left mounted')
  t.notOk(existsSync(join(stateRoot, 'no-ns')), 'delete: no state left')

  // Without a cgroup (nor a PID namespace), `kill --all` is PID 1 alone, never the caller's whole
  // PID namespace; then a created (never started) one deleted by force: the validation's cleanup.
  const b2 = noNs('no-ns-created', ['true'])
  t.equal((await rt(['--cgroup-manager=disabled', 'create', '--bundle', b2, 'no-ns-created'])).code, 0)
  t.ok(mountsUnder(join(b2, 'rootfs')).length > 1, 'mounted')
  t.equal((await rt(['kill', '--all', 'no-ns-created', 'KILL'])).code, 0)
  await waitStopped('no-ns-created')
  t.equal(JSON.parse((await rt(['state', 'no-ns-created'])).stdout).status, 'stopped', 'kill --all reached PID 1')
  t.equal((await rt(['delete', '--force', 'no-ns-created'])).code, 0)
  t.same(mountsUnder(join(b2, 'rootfs')), [], 'delete --force of a created one: nothing left mounted')

  // run in the foreground: the exit code, and the mounts gone with the --rm-like delete.
  const b3 = noNs('no-ns-run', ['sh', '-c', 'cat /marker-no-ns; exit 3'])
  writeFileSync(join(b3, 'rootfs', 'marker-no-ns'), 'run\n')
  const r = await rt(['run', '--bundle', b3, 'no-ns-run'])
  t.equal(r.code, 3, 'run: the exit code')
  t.equal(r.stdout, 'run\n')
  t.same(mountsUnder(join(b3, 'rootfs')), [], 'run: nothing left mounted')

  // A create that fails after mounting (a bind from nowhere), and one that fails in PID 1 after the
  // chroot (no such program): an error, and nothing left mounted nor in the state dir.
  const cases: [string, string[], ((c: Record<string, any>) => void) | undefined, RegExp][] = [
    ['no-ns-badmount', ['true'], (c) => c.mounts.push({ destination: '/x', type: 'bind', source: join(work, 'no-such-dir'), options: ['bind'] }), /no-such-dir/],
    ['no-ns-noprog', ['/no-such-program'], undefined, /no-such-program/],
  ]
  for (const [name, args, edit, want] of cases) {
    const bad = noNs(name, args, edit)
    const e = await rt(['create', '--bundle', bad, name])
    t.equal(e.code, 1, `${name}: exit 1`)
    t.match(e.stderr, want, `${name}: ${e.stderr.trim()}`)
    t.same(mountsUnder(join(bad, 'rootfs')), [], `${name}: nothing left mounted`)
    t.notOk(existsSync(join(stateRoot, name)), `${name}: no state left`)
  }
})

function processesNamed(comm: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(REPO)) found.push(pid)
    } catch {
      // gone meanwhile
    }
  }
  return found
}
