// `tocker --explain` and `tocker kernel`, through a real engine, a real registry and the real
// kernel: the phases a learner sees for the tutorial commands (pull, run, run -p, exec, stop, rm)
// and their order, the shim's own steps among them, ≤ 40 lines for `run --rm busybox true`,
// --explain=full still complete, Korean titles, the flag after the command's name; the kernel view
// of a running container; Korean notes for stop and rm; restart in order; rmi's shared layers.
// (--step: step.test.ts.)
// Runs in a private network namespace (containers on the default bridge get veths there).
import type { Test } from 'tap'
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { readdirSync, readFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { engineTestBed, tockerShell } = await import('../engine/harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'])
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
t.teardown(cleanup)

const C = { LANG: 'C', LC_ALL: '', LC_MESSAGES: '' }
const KO = { LANG: 'ko_KR.UTF-8', LC_ALL: '', LC_MESSAGES: '' }
/** Lines of default --explain output, per command (the note reports them). */
const counted: Record<string, number> = {}

async function explain(args: string[], o: { env?: Record<string, string>; name?: string } = {}) {
  const r = await env.tocker(args, { env: o.env ?? C })
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  const headers = lines.filter((l) => l.startsWith('▸ ')).map((l) => l.slice(2).split(' — ')[0])
  if (o.name) counted[o.name] = lines.length
  return { ...r, lines, headers }
}

/** `before` comes before `after` in `list` (both present). */
function inOrder(t: Test, list: string[], expected: string[], what: string) {
  const at = expected.map((h) => list.indexOf(h))
  t.notOk(at.includes(-1), `${what}: every phase is there (${expected.filter((_, i) => at[i] < 0).join(', ') || 'all'} missing / got ${list.join(' | ')})`)
  t.same([...at].sort((a, b) => a - b), at, `${what}: in order`)
}

const RUN_PHASES = ['The container', 'Namespaces', 'Root filesystem', 'PID 1 and /proc', '/dev, /sys and masked paths', 'pivot_root', 'Capabilities, seccomp', 'Network', 'The program starts', 'After the exit', 'Removal']

t.test('pull: the registry round trips, then each layer downloaded, checked and unpacked', async (t) => {
  const r = await explain(['--explain', 'pull', BUSYBOX], { name: 'pull' })
  t.equal(r.code, 0, r.stderr)
  t.same(r.headers, ['Registry', 'Layers'])
  t.match(r.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/v2\/library\/busybox\/manifests\/latest = 200/)
  t.match(r.stderr, /manifest [0-9a-f]{12}: config [0-9a-f]{12} \(sha256 checked\) \+ 1 layer/)
  t.match(r.stderr, /layer [0-9a-f]{12}: \d+ bytes downloaded, sha256 checked, unpacked into layers\/[0-9a-f]{12}\//)
  const httpd = await explain(['pull', '--explain', HTTPD])
  t.match(httpd.stderr, /already in the store \(another image has it: layers are shared/, "httpd's busybox layer is not downloaded again")
})

t.test('run --rm busybox true: every phase, in order, on one screen', async (t) => {
  const r = await explain(['--explain', 'run', '--rm', BUSYBOX, 'true'], { name: 'run' })
  t.equal(r.code, 0, r.stderr)
  t.same(r.headers, RUN_PHASES, 'the phases, in the order of the tutorials')
  t.ok(r.lines.length <= 40, `${r.lines.length} lines (at most 40)`)
  t.match(
    r.stderr,
    /mount overlay on <root>\/containers\/[0-9a-f]{12}\/rootfs: 1 image layer \(read-only\) \+ init\/ \(its mount points\) \+ upper\/ \(writable, volatile: no sync to disk at unmount\)/,
    "busybox's one layer; --rm: volatile",
  )
  t.match(r.stderr, /shim: unshare\(CLONE_NEWPID\)  → pid/, "the PID namespace, from the shim's own report")
  t.match(r.stderr, /shim: fork\(\) = pid \d+ on the host/, 'the fork of PID 1')
  t.match(r.stderr, /PID 1: mount\("proc", \/proc, "proc"\)/, "PID 1's /proc")
  t.match(r.stderr, /PID 1: bounding set: 14 capabilities kept/)
  t.match(r.stderr, /PID 1: [^\n]*execve\("\/bin\/true", \["true"\]\)/, 'execve')
  t.match(r.stderr, /rm -rf <root>\/containers\/[0-9a-f]{12}: upper\//)
  t.notMatch(r.stderr, /[0-9a-f]{64}/, 'ids shortened')
  t.notMatch(r.stderr, new RegExp(env.root), 'the store shown as <root>')
  t.match(r.lines.at(-1)!, /\(\d+ kernel-level actions in all: --explain=full shows each one\)/)
})

t.test("run: the program's output comes after the phases that made its container, every time", async (t) => {
  // The phases come from the engine's trace connection, the output from the attach connection: the
  // CLI holds the output until the start's phases are printed (a learner reads top to bottom).
  // 2>&1 into one pipe, as a terminal shows them; several runs, since it was a race.
  for (let i = 0; i < 6; i++) {
    const r = await tockerShell(env, `LANG=C LC_ALL= $TOCKER --explain run --rm --network none ${BUSYBOX} sh -c 'echo output-line-1; echo output-line-2' 2>&1`)
    t.equal(r.code, 0, r.stdout)
    const lines = r.stdout.split('\n')
    const starts = lines.findIndex((l) => l.startsWith('▸ The program starts'))
    const out = lines.indexOf('output-line-1')
    t.ok(starts >= 0 && out > starts, `run ${i + 1}: the output (line ${out}) after "The program starts" (line ${starts})`, { output: r.stdout })
    t.equal(lines[out + 1], 'output-line-2', `run ${i + 1}: the output whole and in order`)
  }
})

t.test('run --rm -p: the DNAT rule is shown going, though the engine deletes it after answering untraced runs', async (t) => {
  // The veths and rules of a removed container go after the answer (off the critical path), but
  // the explaining client stops listening at its answer: a traced run waits for them.
  for (let i = 0; i < 4; i++) {
    const r = await explain(['--explain', 'run', '--rm', '-p', '18088:80', BUSYBOX, 'true'], { env: i % 2 ? KO : C })
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, /iptables -t nat -A TOCKER -p tcp --dport 18088 -j DNAT/, `run ${i + 1}: the rule is made`)
    t.match(r.stderr, /iptables -t nat -D TOCKER -p tcp --dport 18088 -j DNAT/, `run ${i + 1}: the rule goes`)
  }
})

t.test('--explain=full still prints the complete trace, the shim and PID 1 in it', async (t) => {
  const r = await env.tocker(['--explain=full', 'run', '--rm', BUSYBOX, 'true'], { env: C })
  t.equal(r.code, 0, r.stderr)
  const events = r.stderr.split('\n').filter((l) => l.startsWith('[engine] ['))
  t.ok(events.length >= 100, `${events.length} events`)
  t.ok(events.filter((l) => l.includes('] openat2(')).length >= 20, 'the path checks are all there')
  t.match(r.stderr, /\[engine\] \[syscall\] unshare\(CLONE_NEWPID[^\n]* = ok \([\d.]+ ms\) \[shim\]/)
  t.match(r.stderr, /\[engine\] \[mount\] mount\("proc", [^\n]*\/rootfs\/proc, "proc"[^\n]* = ok [^\n]*\[PID 1\]/)
  t.match(r.stderr, /\[engine\] \[syscall\] capset\(effective 0xa80425fb \(14: CHOWN [^\n]*\[PID 1\]/)
  t.match(r.stderr, /\[engine\] \[exec\] execve\("\/bin\/true", \["true"\]\) = ok/)
  t.match(r.stderr, /\[engine\] \[api\] POST \/containers\/create → 201/)
  // The exited container's veth: asked for with one ioctl; gone with its namespace (the usual case)
  // means no `ip link del` process; still there, the process deletes it.
  const asked = /\[engine\] \[net\] link\((veth\w+) still there\? [^\n]*\) = (gone|yes)/.exec(r.stderr)
  t.ok(asked, 'the host end of the veth is looked for before any `ip link del`')
  if (asked?.[2] === 'gone') t.notMatch(r.stderr, /\[net\] ip\(link del /, 'gone with its namespace: no process started for it')
  else t.match(r.stderr, new RegExp(`\\[net\\] ip\\(link del ${asked?.[1]}\\)`), 'still there: ip link del')
  const order = ['unshare(CLONE_NEWNS', 'unshare(CLONE_NEWPID', 'fork(', 'mount("overlay"', 'mount("proc"', 'pivot_root(', 'seccomp(', 'capset(', 'execve(']
  const at = order.map((s) => events.findIndex((l) => l.includes(s)))
  t.same([...at].sort((a, b) => a - b), at, `in the order they happened: ${order.join(' < ')}`)
  t.notOk(at.includes(-1))
})

t.test('LANG=ko_KR.UTF-8: Korean phase titles', async (t) => {
  const r = await explain(['--explain', 'run', '--rm', BUSYBOX, 'true'], { env: KO })
  t.equal(r.code, 0, r.stderr)
  inOrder(t, r.headers, ['컨테이너', '네임스페이스', '루트 파일시스템', 'PID 1과 /proc', '네트워크', '프로그램 시작', '삭제'], 'Korean')
  t.match(r.stderr, /▸ 삭제 — 쓰기 레이어를 지웁니다/)
})

t.test('run -p, exec, the kernel view, stop and rm', async (t) => {
  const run = await explain(['run', '--explain', '-d', '-p', '8080:80', '--name', 'web', HTTPD], { name: 'run -p' })
  t.equal(run.code, 0, run.stderr)
  inOrder(t, run.headers, RUN_PHASES.slice(0, 9), 'run -d -p')
  const ip = (await env.ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web'])).trim()
  t.match(run.stderr, new RegExp(`iptables -t nat -A TOCKER -p tcp --dport 8080 -j DNAT --to-destination ${ip.replace(/\./g, '\\.')}:80`), 'the DNAT rule of -p')
  t.match(run.stderr, /bind\(tcp 0\.0\.0\.0:8080\)/)

  const exec = await explain(['exec', '--explain', 'web', 'true'], { name: 'exec' })
  t.equal(exec.code, 0, exec.stderr)
  t.same(exec.headers, ['Entering the container', 'Capabilities, seccomp', 'The program starts'])
  t.match(exec.stderr, /setns\(\) into the container's ipc, uts, net, mnt, pid, cgroup namespaces/)
  t.match(exec.stderr, /exec shim: fork\(\) = pid \d+/)
  t.match(exec.stderr, /process: [^\n]*execve\("\/bin\/true", \["true"\]\)/)

  // The kernel view of the running container.
  const view = JSON.parse(await env.ok(['kernel', '--format', '{{json .}}', 'web']))
  const ns = Object.fromEntries(view.Namespaces.map((n: any) => [n.Type, n]))
  for (const type of ['net', 'pid', 'mnt', 'uts', 'ipc']) t.equal(ns[type].Shared, false, `${type}: its own (${ns[type].Container} vs ${ns[type].Host})`)
  t.equal(ns.user.Shared, true, "no user namespace: the host's")
  const layers = JSON.parse(await env.ok(['image', 'inspect', HTTPD]))[0].RootFS.Layers.length
  t.same([view.Root.FsType, view.Root.Layers], ['overlay', layers], `the overlay with the image's ${layers} layers`)
  t.match(view.Root.UpperDir, /\/containers\/[0-9a-f]{64}\/upper$/)
  t.equal(view.Root.InitDir, join(env.root, 'containers', view.Id, 'init'), 'the init layer, apart from the image layers')
  t.match(view.Root.Note, /only the mount point[^]*\/proc\/\d+\/root/, 'where the merged tree really is')
  t.equal(view.Root.SeeAt, `/proc/${view.Pid}/root`)
  t.ok(readdirSync(join(env.root, 'containers', view.Id, 'rootfs')).length === 0, 'MergedDir is empty on the host indeed')
  t.ok(readdirSync(`/proc/${view.Pid}/root/usr/local/apache2`).length > 0, 'and the tree is there through /proc/<pid>/root')
  t.same(view.Process.CapEffNames, [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FOWNER',
    'CAP_FSETID',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE',
    'CAP_NET_RAW',
    'CAP_SYS_CHROOT',
    'CAP_MKNOD',
    'CAP_AUDIT_WRITE',
    'CAP_SETFCAP',
  ], "Docker's 14 default capabilities, decoded from CapEff")
  t.same([view.Process.Seccomp, view.Process.SeccompFilters, view.Process.NoNewPrivs], [2, 1, false], 'seccomp mode 2 with one filter, no no_new_privs')
  const roles = (role: string) => view.Mounts.filter((m: any) => m.Role === role).map((m: any) => m.Target)
  t.ok(roles('masked').includes('/proc/keys') && roles('readonly').includes('/proc/sys'), 'masked and read-only paths')
  t.ok(roles('proc').includes('/proc') && roles('root').includes('/'))
  const eth0 = view.Network.Interfaces.find((i: any) => i.Name === 'eth0')
  t.ok(eth0.Addresses.includes(`${ip}/16`), 'eth0 with its address')
  t.same([view.Network.HostVeth.Master, view.Network.HostVeth.Exists], ['tocker0', true], 'its veth on the bridge')
  t.ok(view.Network.Rules.some((r: string) => /^-t nat -A TOCKER .*--dport 8080 .*-j DNAT --to-destination/.test(r)), 'its DNAT rule')
  const shown = await env.ok(['inspect', '--kernel', 'web'])
  t.match(shown, /^Namespaces$/m)
  t.match(shown, /^  net {6}\d+ +\d+ +its own$/m)
  t.match(shown, /Seccomp 2 \(filter\), 1 filter\(s\); NoNewPrivs 0/)
  t.match(shown, /iptables -t nat -A TOCKER -p tcp -m tcp --dport 8080 -j DNAT/)
  const ko = await env.tocker(['kernel', 'web'], { env: KO })
  t.match(ko.stdout, /^네임스페이스$/m)
  t.match(ko.stdout, /^  net {6}\d+ +\d+ +자기 것$/m)

  const stop = await explain(['--explain', 'stop', 'web'], { name: 'stop (httpd: SIGWINCH)' })
  t.equal(stop.code, 0, stop.stderr)
  t.same(stop.headers, ['Stopping: signals', 'After the exit'])
  t.match(stop.stderr, /kill\(PID 1 = \d+, SIGWINCH\)/, "the image's stop signal")
  t.match(stop.stderr, /PID 1 handled SIGWINCH: it exited after [\d.]+ s of the 10 s it was given/)
  t.match(stop.stderr, /iptables -t nat -D TOCKER -p tcp --dport 8080 -j DNAT/, 'the rule goes')
  t.match(stop.stderr, /nothing to unmount: the mount namespace ended with its last process/)
  const down = await env.tocker(['kernel', 'web'])
  t.equal(down.code, 1)
  t.match(down.stderr, /Container [0-9a-f]{64} is not running/)

  const rm = await explain(['--explain', 'rm', 'web'], { name: 'rm' })
  t.equal(rm.code, 0, rm.stderr)
  t.same(rm.headers, ['Removal'])
  t.match(rm.stderr, /▸ Removal — the writable layer is deleted: the container's changes are lost when it is removed/)
  t.match(rm.stderr, /rm -rf <root>\/containers\/[0-9a-f]{12}: upper\//)
})

t.test('stop: PID 1 ignored SIGTERM, tocker waited, then SIGKILL', async (t) => {
  await env.ok(['run', '-d', '--name', 'sleeper', BUSYBOX, 'sleep', '300'])
  const r = await explain(['stop', '--explain', '-t', '1', 'sleeper'], { name: 'stop (sleep: SIGKILL)' })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /kill\(PID 1 = \d+, SIGTERM\)\n    PID 1 ignored SIGTERM for 1 s \(a PID 1 has no default action for a signal it does not handle\): SIGKILL\n    kill\(PID 1 = \d+, SIGKILL\)/)
  t.match(r.stderr, /PID 1 \(sleep\) exited with code 137 = 128 \+ 9: killed by SIGKILL/)
  await env.ok(['rm', 'sleeper'])
})

t.test('Korean: stop and rm explained in Korean, the syscalls as the kernel spells them', async (t) => {
  await env.ok(['run', '-d', '--name', 'sleeper-ko', BUSYBOX, 'sleep', '300'])
  const stop = await explain(['stop', '--explain', '-t', '1', 'sleeper-ko'], { env: KO })
  t.equal(stop.code, 0, stop.stderr)
  t.same(stop.headers, ['정지: 시그널', '종료 뒤 정리'])
  t.match(stop.stderr, /kill\(PID 1 = \d+, SIGTERM\)\n    PID 1이 SIGTERM 시그널을 1초 동안 무시했습니다 [^\n]*: 그래서 SIGKILL\n    kill\(PID 1 = \d+, SIGKILL\)/)
  t.match(stop.stderr, /PID 1 \(sleep\) 끝남: 종료 코드 137 = 128 \+ 9, SIGKILL 시그널에 죽었습니다/)
  t.match(stop.stderr, /마운트 해제할 것이 없습니다/)
  t.match(stop.stderr, /주소 172\.17\.\d+\.\d+: tocker0의 주소 풀로 돌려주었습니다/)
  const rm = await explain(['rm', '--explain', 'sleeper-ko'], { env: KO })
  t.equal(rm.code, 0, rm.stderr)
  t.match(rm.stderr, /▸ 삭제 — 쓰기 레이어를 지웁니다[^\n]*\n    rm -rf <root>\/containers\/[0-9a-f]{12}: upper\/ = 쓰기 레이어, config\.json, 로그\. 이미지는 남습니다/)
  t.match(rm.lines.at(-1)!, /커널 수준 동작 모두 \d+개/)
  for (const english of [/exited with code/, /nothing to unmount/, /returned to/, /its writable layer/]) t.notMatch(`${stop.stderr}${rm.stderr}`, english, `no English left: ${english}`)
})

t.test('restart: the container goes down, then up, in that order', async (t) => {
  await env.ok(['run', '-d', '--name', 'again', BUSYBOX, 'sleep', '300'])
  const r = await explain(['restart', '--explain', '-t', '1', 'again'], { name: 'restart' })
  t.equal(r.code, 0, r.stderr)
  t.same(r.headers.slice(0, 2), ['Stopping: signals', 'After the exit'], 'down first')
  inOrder(t, r.headers.slice(2), ['Namespaces', 'Root filesystem', 'PID 1 and /proc', 'pivot_root', 'Network', 'The program starts'], 'then up')
  await env.ok(['rm', '-f', 'again'])
})

t.test('ps does nothing in the kernel, and says so', async (t) => {
  const r = await explain(['ps', '--explain'])
  t.equal(r.code, 0, r.stderr)
  t.same(r.lines, ['  (no kernel-level action traced for this command)'])
})

t.test('the shim reports its steps only when somebody listens', async (t) => {
  const shimArgs = async (name: string) => {
    const pid = Number((await env.ok(['inspect', '-f', '{{.State.Pid}}', name])).trim())
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1])
    return readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0')
  }
  await env.ok(['run', '-d', '--name', 'quiet', BUSYBOX, 'sleep', '300'])
  t.notOk((await shimArgs('quiet')).includes('--trace'), 'no --trace without --explain')
  t.equal((await env.tocker(['--explain', 'run', '-d', '--name', 'told', BUSYBOX, 'sleep', '300'], { env: C })).code, 0)
  t.match((await shimArgs('told')).join(' '), /--trace 1/)
  await env.ok(['rm', '-f', 'quiet', 'told'])
})

t.test('rmi: a layer another image uses is kept, the others deleted (last: it removes httpd)', async (t) => {
  const r = await explain(['rmi', '--explain', HTTPD], { name: 'rmi' })
  t.equal(r.code, 0, r.stderr)
  t.same(r.headers, ['Image removal'])
  t.match(r.stderr, /layer [0-9a-f]{12}: kept: image [0-9a-f]{12} uses it too/, "httpd's busybox layer stays: busybox has it")
  t.match(r.stderr, /layer [0-9a-f]{12}: deleted \(layers\/[0-9a-f]{12}\/\): no image uses it any more/, 'its own layer goes')
  const ko = await explain(['pull', '--explain', HTTPD], { env: KO })
  t.equal(ko.code, 0, ko.stderr)
  t.match(ko.stderr, /레이어 [0-9a-f]{12}: 이미 저장소에 있습니다/, 'pulled again: the shared layer is not downloaded (in Korean)')
  t.match(ko.stderr, /레이어 [0-9a-f]{12}: \d+바이트 내려받음, sha256 확인/)
})

t.test('lines of default --explain output per command', async (t) => {
  for (const [cmd, n] of Object.entries(counted)) t.comment(`${cmd}: ${n} lines`)
  t.ok(Object.keys(counted).length >= 6)
})
