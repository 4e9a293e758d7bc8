// Issue 8 item 4 and 9 through the real engine, the real kernel and real clients: Docker's default
// seccomp profile on every container and every exec, --privileged and seccomp=unconfined without
// it, a profile of your own (and a malformed one refused), --security-opt no-new-privileges, the
// same through the docker CLI, and --explain showing the filter.
//
// The busybox images cannot make arbitrary system calls, so a small static C program
// (syscall-probe.c, compiled here with the system's cc) is bind-mounted into the containers. It
// calls each syscall with arguments the kernel itself would answer harmlessly (EFAULT, EINVAL, a
// keyring id) when no filter is in the way: an EPERM can only come from the filter.
// Runs in a private network namespace: containers on the default bridge get veths and rules there.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync, spawnSync } = await import('node:child_process')
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed } = await import('../engine/harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'], 'tocker-test-seccomp-')
const BUSYBOX = ref('busybox')
const work = mkdtempSync(join(tmpdir(), 'tocker-test-seccomp-work-'))
t.teardown(async () => {
  await cleanup()
  rmSync(work, { recursive: true, force: true })
})

const probe = join(work, 'syscall-probe')
execFileSync('cc', ['-O2', '-static', '-o', probe, new URL('./syscall-probe.c', import.meta.url).pathname])
const PROBE = ['-v', `${probe}:/probe:ro`]
await env.ok(['pull', BUSYBOX])

/** The probe's answers, as { keyctl: 'EPERM', getpid: 'OK', ... }. */
function answers(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^\w+ [A-Z-]+$/.test(l))
      .map((l) => l.split(' ')),
  )
}

/** /proc/self/status fields of the process: Seccomp, Seccomp_filters, NoNewPrivs, CapEff. */
function status(out: string): Record<string, string> {
  return Object.fromEntries([...out.matchAll(/^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff|CapBnd):\s+(\S+)$/gm)].map((m) => [m[1], m[2]]))
}

const STATUS = 'grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff|CapBnd):" /proc/self/status'
/** Refused by Docker's profile, and what the kernel answers them without a filter (see syscall-probe.c). */
const REFUSED = ['keyctl', 'add_key', 'request_key', 'unshare', 'clone_newuser', 'mount', 'umount2', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'setns', 'socket_vsock', 'personality_bsd']

t.test("a default container: Docker's profile refuses keyrings, namespaces, mount, perf, userfaultfd, io_uring (EPERM), clone3 (ENOSYS)", async (t) => {
  const r = await env.tocker(['run', '--rm', ...PROBE, BUSYBOX, 'sh', '-c', `/probe; ${STATUS}`])
  t.equal(r.code, 0, r.stderr)
  const a = answers(r.stdout)
  for (const name of REFUSED) t.equal(a[name], 'EPERM', `${name} is refused by the filter`)
  t.equal(a.clone3, 'ENOSYS', 'clone3 answers ENOSYS, so glibc falls back to clone (whose flags the filter sees)')
  t.equal(a.mseal, 'ENOSYS', 'a syscall newer than every name libseccomp knows answers ENOSYS (the stub), not EPERM')
  for (const name of ['getpid', 'socket_inet', 'personality_query']) t.equal(a[name], 'OK', `${name} is allowed`)
  const s = status(r.stdout)
  t.equal(s.Seccomp, '2', 'seccomp mode 2 (filter)')
  t.equal(s.Seccomp_filters, '1', 'exactly one filter')
  t.equal(s.NoNewPrivs, '0', 'no_new_privs stays off by default, as in Docker (libseccomp would have set it)')
})

t.test('ordinary programs still work under the filter: busybox applets and a shell pipeline', async (t) => {
  const script = [
    'echo hello world | tr a-z A-Z | sed s/WORLD/THERE/',
    'seq 1 100 | sort -rn | head -n 1',
    'ls / | grep -c bin',
    'mkdir -p /tmp/d && echo data > /tmp/d/f && cat /tmp/d/f && rm -r /tmp/d',
    'ps -o pid,comm | grep -c "^ *1 sh"',
    'id -u; hostname | wc -c; date +%Y | grep -c 20',
    'sleep 0.1 & wait',
    'echo done',
  ].join('; ')
  const r = await env.tocker(['run', '--rm', BUSYBOX, 'sh', '-c', script])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'HELLO THERE\n100\n2\ndata\n1\n0\n13\n1\ndone\n')
  t.equal(r.stderr, '')
})

t.test("exec gets the container's filter too (as root and as another user)", async (t) => {
  const id = (await env.ok(['run', '-d', '--name', 'sc-exec', ...PROBE, BUSYBOX, 'sleep', '300'])).trim()
  t.match(id, /^[0-9a-f]{64}$/)
  const r = await env.tocker(['exec', 'sc-exec', 'sh', '-c', `/probe keyctl unshare mount io_uring_setup clone3 getpid; ${STATUS}`])
  t.equal(r.code, 0, r.stderr)
  t.same(answers(r.stdout), { keyctl: 'EPERM', unshare: 'EPERM', mount: 'EPERM', io_uring_setup: 'EPERM', clone3: 'ENOSYS', getpid: 'OK' })
  t.equal(status(r.stdout).Seccomp, '2')
  t.equal(status(r.stdout).Seccomp_filters, '1', "one filter: exec does not stack a second one on PID 1's")
  const u = await env.tocker(['exec', '-u', '1000:1000', 'sc-exec', 'sh', '-c', `id -u; /probe keyctl; ${STATUS}`])
  t.equal(u.code, 0, u.stderr)
  t.match(u.stdout, /^1000\nkeyctl EPERM\n/)
  t.equal(status(u.stdout).Seccomp, '2', 'a non-root exec gets the filter too (loaded before the user switch)')
  await env.ok(['rm', '-f', 'sc-exec'])
})

t.test('--privileged: every capability, no filter, writable /sys, no masked paths, host devices', async (t) => {
  const r = await env.tocker([
    'run',
    '--rm',
    '--privileged',
    ...PROBE,
    BUSYBOX,
    'sh',
    '-c',
    `/probe keyctl unshare mount io_uring_setup clone3; ${STATUS}; grep " /sys " /proc/self/mountinfo; grep -c " /proc/kcore " /proc/self/mountinfo; ls /dev`,
  ])
  t.equal(r.code, 0, r.stderr)
  const a = answers(r.stdout)
  t.equal(a.keyctl, 'OK', 'keyctl reaches the kernel')
  t.equal(a.unshare, 'OK', 'unshare(CLONE_NEWUSER) is allowed')
  t.equal(a.mount, 'EFAULT', 'mount reaches the kernel (which finds the bad pointer)')
  t.equal(a.io_uring_setup, 'EFAULT')
  t.equal(a.clone3, 'EFAULT')
  const s = status(r.stdout)
  t.equal(s.Seccomp, '0', 'no seccomp filter')
  const own = /^CapBnd:\s+(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]
  t.equal(s.CapEff, own, 'every capability the host can give')
  t.match(r.stdout, / \/sys rw,/, '/sys is writable')
  t.match(r.stdout, /^0$/m, '/proc/kcore is not masked')
  const hostDev = ['fuse', 'loop-control', 'net'].filter((d) => existsSync(`/dev/${d}`))
  for (const d of hostDev) t.match(r.stdout, new RegExp(`^${d}$`, 'm'), `the host's /dev/${d} is there`)
  const inspect = JSON.parse(await env.ok(['create', '--privileged', BUSYBOX, 'true']).then((id) => env.ok(['inspect', id.trim()])))
  t.equal(inspect[0].HostConfig.Privileged, true, 'inspect shows Privileged')
  await env.ok(['rm', inspect[0].Id])
})

t.test('--security-opt seccomp=unconfined: no filter; the calls reach the kernel', async (t) => {
  const r = await env.tocker(['run', '--rm', '--security-opt', 'seccomp=unconfined', ...PROBE, BUSYBOX, 'sh', '-c', `/probe keyctl unshare io_uring_setup perf_event_open; ${STATUS}`])
  t.equal(r.code, 0, r.stderr)
  t.same(answers(r.stdout), { keyctl: 'OK', unshare: 'OK', io_uring_setup: 'EFAULT', perf_event_open: 'EFAULT' })
  t.equal(status(r.stdout).Seccomp, '0')
  t.equal(status(r.stdout).CapEff, '00000000a80425fb', "still only Docker's default capabilities")
})

t.test('--security-opt no-new-privileges sets no_new_privs (and the filter is still loaded, last)', async (t) => {
  for (const [opt, want] of [['no-new-privileges', '1'], ['no-new-privileges=true', '1'], ['no-new-privileges=false', '0']] as const) {
    const r = await env.tocker(['run', '--rm', '--security-opt', opt, '-u', '1000', ...PROBE, BUSYBOX, 'sh', '-c', `/probe keyctl; ${STATUS}`])
    t.equal(r.code, 0, r.stderr)
    t.equal(status(r.stdout).NoNewPrivs, want, `${opt} → NoNewPrivs ${want}`)
    t.equal(status(r.stdout).Seccomp, '2', `${opt}: filter loaded`)
    t.equal(answers(r.stdout).keyctl, 'EPERM')
  }
})

t.test('a profile of your own: ERRNO with its errno, KILL_PROCESS; inspect shows it as the CLI sent it', async (t) => {
  const profile = join(work, 'custom.json')
  writeFileSync(
    profile,
    JSON.stringify(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
          { names: ['getpid'], action: 'SCMP_ACT_ERRNO' },
          { names: ['symlink', 'symlinkat'], action: 'SCMP_ACT_KILL_PROCESS' },
          { names: ['not_a_syscall_anywhere'], action: 'SCMP_ACT_ERRNO' },
        ],
      },
      null,
      2,
    ),
  )
  const r = await env.tocker(['run', '--rm', '--security-opt', `seccomp=${profile}`, ...PROBE, BUSYBOX, 'sh', '-c', `/probe getpid keyctl; mkdir /x; echo mkdir=$?; ${STATUS}; ln -s a /b; echo ln=$?; ls /b`])
  t.equal(r.code, 1, 'ls /b fails: the link was never made')
  t.match(r.stdout, /^getpid EPERM\nkeyctl OK\nmkdir=1\n/, 'getpid: EPERM (no errnoRet); keyctl allowed by this profile')
  t.match(r.stderr, /mkdir: can't create directory '\/x': Permission denied/, 'errnoRet 13 → EACCES')
  t.match(r.stdout, /^ln=159$/m, 'ln was killed by SIGSYS (128+31)')
  t.match(r.stderr, /Bad system call/)
  t.equal(status(r.stdout).Seccomp, '2')
  const id = (await env.ok(['create', '--security-opt', `seccomp=${profile}`, '--security-opt', 'no-new-privileges', BUSYBOX, 'true'])).trim()
  const hc = JSON.parse(await env.ok(['inspect', id]))[0].HostConfig
  t.same(hc.SecurityOpt, ['seccomp=' + JSON.stringify(JSON.parse(readFileSync(profile, 'utf8'))), 'no-new-privileges'], "the profile's content, compacted, as Docker's CLI sends it")
  t.equal(hc.Privileged, false)
  const config = JSON.parse(readFileSync(join(env.root, 'containers', id, 'config.json'), 'utf8'))
  t.equal(config.linux.seccomp.defaultAction, 'SCMP_ACT_ALLOW', 'the bundle carries the filter as OCI linux.seccomp')
  t.equal(config.process.noNewPrivileges, true)
  await env.ok(['rm', id])
})

t.test("bad security options are refused with Docker's messages, exit 125, and nothing is created", async (t) => {
  const before = (await env.ok(['ps', '-aq'])).trim()
  const bad = join(work, 'bad.json')
  writeFileSync(bad, '{"defaultAction": ')
  const wrongAction = join(work, 'wrong-action.json')
  writeFileSync(wrongAction, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_MAYBE' }] }))
  const wrongShape = join(work, 'wrong-shape.json')
  writeFileSync(wrongShape, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: { names: ['read'] } }))
  const wrongArch = join(work, 'wrong-arch.json')
  writeFileSync(wrongArch, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_Z80'], syscalls: [] }))
  const cases: [string[], RegExp][] = [
    // Docker's CLI prints run's errors as "docker: <error>", then "Run 'docker run --help' …".
    [['--security-opt', 'foo'], /^tocker: Invalid --security-opt: "foo"$/m],
    [['--security-opt', 'foo=bar'], /^tocker: Error response from daemon: invalid --security-opt 2: "foo=bar"$/m],
    [['--security-opt', 'no-new-privileges=maybe'], /^tocker: Error response from daemon: invalid --security-opt 2: "no-new-privileges=maybe"$/m],
    [['--security-opt', `seccomp=${join(work, 'missing.json')}`], new RegExp(`^tocker: opening seccomp profile \\(${join(work, 'missing.json')}\\) failed: open ${join(work, 'missing.json')}: no such file or directory$`, 'm')],
    [['--security-opt', `seccomp=${bad}`], new RegExp(`^tocker: compacting json for seccomp profile \\(${bad}\\) failed: `, 'm')],
    [['--security-opt', `seccomp=${wrongAction}`], /^tocker: Error response from daemon: Decoding seccomp profile failed: string SCMP_ACT_MAYBE is not a valid action for seccomp/m],
    [['--security-opt', `seccomp=${wrongShape}`], /^tocker: Error response from daemon: Decoding seccomp profile failed: "syscalls" must be an array$/m],
    [['--security-opt', `seccomp=${wrongArch}`], /^tocker: Error response from daemon: Decoding seccomp profile failed: string SCMP_ARCH_Z80 is not a valid arch for seccomp$/m],
  ]
  for (const [opts, message] of cases) {
    const r = await env.tocker(['run', '--rm', ...opts, BUSYBOX, 'true'])
    t.equal(r.code, 125, `${opts.join(' ')}: exit 125`)
    t.match(r.stderr, message, opts.join(' '))
    t.match(r.stderr, /^Hint: (--security-opt takes|a seccomp profile is a JSON file)/m, 'with a hint saying what is accepted')
    t.match(r.stderr, /Run 'tocker run --help' for more information/)
    t.equal(r.stdout, '')
  }
  t.equal((await env.ok(['ps', '-aq'])).trim(), before, 'no container was made')
})

t.test('the real docker CLI: --security-opt and --privileged go through HostConfig', { skip: !hasDocker() && 'no docker CLI' }, async (t) => {
  const docker = (args: string[]) => spawnSync('docker', ['-H', `unix://${env.socket}`, ...args], { encoding: 'utf8', timeout: 60_000 })
  const profile = join(work, 'docker.json')
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }))
  const cases: [string[], Record<string, string>, string][] = [
    [[], { keyctl: 'EPERM', getpid: 'OK' }, '2'],
    [['--security-opt', 'seccomp=unconfined'], { keyctl: 'OK', getpid: 'OK' }, '0'],
    [['--security-opt', `seccomp=${profile}`], { keyctl: 'OK', getpid: 'EPERM' }, '2'],
    [['--privileged'], { keyctl: 'OK', getpid: 'OK' }, '0'],
  ]
  for (const [opts, want, mode] of cases) {
    const r = docker(['run', '--rm', ...opts, ...PROBE, BUSYBOX, 'sh', '-c', `/probe keyctl getpid; ${STATUS}`])
    t.equal(r.status, 0, `docker run ${opts.join(' ')}: ${r.stderr}`)
    t.same(answers(r.stdout), want, `docker run ${opts.join(' ')}`)
    t.equal(status(r.stdout).Seccomp, mode)
  }
  const nnp = docker(['run', '--rm', '--security-opt', 'no-new-privileges', BUSYBOX, 'grep', 'NoNewPrivs', '/proc/self/status'])
  t.match(nnp.stdout, /NoNewPrivs:\s+1/)
  const wrong = docker(['run', '--rm', '--security-opt', 'foo=bar', BUSYBOX, 'true'])
  t.equal(wrong.status, 125)
  t.match(wrong.stderr, /invalid --security-opt 2: "foo=bar"/)
})

t.test('--explain shows the filter being compiled and loaded, with its rules and instructions', async (t) => {
  const r = await env.tocker(['--explain=full', 'run', '--rm', BUSYBOX, 'true'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /\[engine\] \[syscall\] seccomp\(SECCOMP_SET_MODE_FILTER, \d+ BPF instructions \(\d+ rules, default ERRNO\(EPERM\), x86_64\+x86\+x32\), by the gate before it drops its capabilities/)
  const nnp = await env.tocker(['--explain=full', 'run', '--rm', '--security-opt', 'no-new-privileges', BUSYBOX, 'true'])
  t.match(nnp.stderr, /seccomp\(SECCOMP_SET_MODE_FILTER, .* after no_new_privs, just before execve\)/)
  const none = await env.tocker(['--explain=full', 'run', '--rm', '--security-opt', 'seccomp=unconfined', BUSYBOX, 'true'])
  t.notMatch(none.stderr, /SECCOMP_SET_MODE_FILTER/, 'no filter, nothing loaded')
})

t.test('cleanup: nothing of this store is left', async (t) => {
  await cleanup()
  t.notOk(existsSync(env.root), 'store removed')
})

function hasDocker(): boolean {
  return spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0
}
