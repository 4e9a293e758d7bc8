// The --explain pieces that need no root: which phase each traced action belongs to, the phased
// and full renderers (grouping, order, shortened paths, Korean titles), the shim's trace messages
// (control socket and the framed start socket), the trace sessions' scoping of events, and the
// --step changes between two kernel snapshots and their text.
import t from 'tap'
import { MESSAGES, setLang } from '../../src/i18n/index.js'
import { kernelChanges, mountRole, type KernelSnapshot } from '../../src/engine/kernel-view.js'
import { formatChanges } from '../../src/cli/format/kernel.js'
import { parseStartReply, shimTraceEvent } from '../../src/runtime/shim.js'
import { ExplainRenderer, formatEvent, shortenPaths } from '../../src/trace/explain.js'
import { noteText } from '../../src/trace/essential-lines.js'
import { phaseOf } from '../../src/trace/phase-rules.js'
import { PHASES } from '../../src/trace/phases.js'
import { runInScope } from '../../src/trace/scope.js'
import { isTracing, note, onTrace, report, type TraceEvent } from '../../src/trace/trace.js'

const ID = 'dc8e04a832a2' + 'a'.repeat(52)
const ROOT = '/var/lib/tocker'
const CTR = `${ROOT}/containers/${ID}`

/** The events of `tocker run --rm busybox true`, shaped as the runtime, the shim and the engine report them. */
const RUN: TraceEvent[] = [
  { kind: 'fs', op: 'mkdir', detail: `${CTR}/{rootfs,upper,work} (upper/ = the writable layer, empty; rootfs/ = where the overlay goes)`, result: 'ok' },
  { kind: 'api', op: 'POST', detail: '/containers/create', result: '201' },
  { kind: 'syscall', op: 'flock', detail: `${ROOT}/locks/x.lock, LOCK_EX`, result: 'ok' },
  { kind: 'syscall', op: 'unshare', detail: 'CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET', result: 'ok' },
  { kind: 'exec', op: 'posix_spawn', detail: `/x/native-shims/out/shim (from /proc/self/fd/64) create --state-dir ${ROOT}/runtime/${ID}`, result: 'pid 10' },
  { kind: 'syscall', op: 'unshare', detail: 'CLONE_NEWPID (only our children enter it: the next fork makes its PID 1)', result: 'ok', by: 'shim' },
  { kind: 'exec', op: 'fork', detail: "the container's first process: PID 1 in its new PID namespace", result: 'pid 11 on the host', by: 'shim' },
  { kind: 'mount', op: 'mount', detail: '"", /, "", MS_REC|MS_PRIVATE', result: 'ok' },
  { kind: 'syscall', op: 'sethostname', detail: '"dc8e04a832a2"', result: 'ok' },
  { kind: 'mount', op: 'mount', detail: `"overlay", ${CTR}/rootfs, "overlay", MS_NODEV, "lowerdir=${CTR}/init:${ROOT}/layers/l/AAA:${ROOT}/layers/l/BBB,upperdir=${CTR}/upper,workdir=${CTR}/work"`, result: 'ok' },
  { kind: 'syscall', op: 'openat2', detail: `${CTR}/rootfs, "proc", O_PATH`, result: 'fd 3' },
  { kind: 'mount', op: 'mount', detail: `"proc", ${CTR}/rootfs/proc, "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC`, result: 'ok', by: 'PID 1' },
  { kind: 'mount', op: 'mount', detail: `"tmpfs", ${CTR}/rootfs/dev, "tmpfs", MS_NOSUID, "mode=755"`, result: 'ok' },
  { kind: 'fs', op: 'mknod', detail: '/proc/self/fd/60/null, S_IFCHR|0666, 1:3', result: 'ok' },
  { kind: 'mount', op: 'mount', detail: `"${CTR}/hosts", ${CTR}/rootfs/etc/hosts, "", MS_BIND|MS_REC`, result: 'ok' },
  { kind: 'mount', op: 'mount', detail: `"tmpfs", ${CTR}/rootfs/proc/acpi, "tmpfs", MS_RDONLY|MS_NODEV`, result: 'ok' },
  { kind: 'mount', op: 'mount', detail: `"/srv/data", ${CTR}/rootfs/data, "", MS_BIND|MS_REC`, result: 'ok' },
  { kind: 'syscall', op: 'fchdir', detail: `${CTR}/rootfs`, result: 'ok' },
  { kind: 'mount', op: 'pivot_root', detail: '".", "."', result: 'ok' },
  { kind: 'mount', op: 'umount2', detail: 'old root, MNT_DETACH', result: 'ok' },
  { kind: 'syscall', op: 'setns', detail: 'saved net ns, CLONE_NEWNET', result: 'ok' },
  { kind: 'syscall', op: 'seccomp', detail: 'SECCOMP_SET_MODE_FILTER, 1005 BPF instructions (366 rules, default ERRNO(EPERM), x86_64), by the gate before it drops', result: 'ok', by: 'PID 1' },
  { kind: 'syscall', op: 'prctl', detail: 'PR_CAPBSET_DROP x 27: bounding set 0xa80425fb (14: CHOWN DAC_OVERRIDE)', result: 'ok', by: 'PID 1' },
  { kind: 'syscall', op: 'setresuid', detail: 'uid 0, gid 0, 0 supplementary group(s) (setgroups, setresgid, setresuid)', result: 'ok', by: 'PID 1' },
  { kind: 'syscall', op: 'capset', detail: 'effective 0xa80425fb (14: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID), permitted 0xa80425fb (14: CHOWN)', result: 'ok', by: 'PID 1' },
  { kind: 'syscall', op: 'chdir', detail: '"/"', result: 'ok', by: 'PID 1' },
  { kind: 'net', op: 'rtnetlink', detail: 'link add vethabc master tocker0 up type veth peer name eth0 address 02:42:ac:11:00:02 netns /proc/11/ns/net; link set dev vethabc type bridge_slave hairpin on', result: 'ok' },
  { kind: 'net', op: 'iptables-restore', detail: '--noflush <<< *nat; -A TOCKER -p tcp -m tcp --dport 8080 -m comment --comment "tocker:dc8e04a832a2" -j DNAT --to-destination 172.17.0.2:80; COMMIT', result: 'ok' },
  { kind: 'net', op: 'rtnetlink', detail: 'in /proc/11/ns/net: link set lo up; addr add 172.17.0.2/16 dev eth0 broadcast +; link set eth0 up; route add default via 172.17.0.1', result: 'ok' },
  { kind: 'exec', op: 'execve', detail: '"/bin/true", ["true"]', result: 'ok (the process is now the program)', by: 'PID 1' },
  { kind: 'api', op: 'POST', detail: `/containers/${ID}/start`, result: '204' },
  { kind: 'note', op: 'exit', detail: 'PID 1 (true) exited with code 0', msg: { key: 'explain.note.exit', vars: { path: 'true', code: 0 } } },
  { kind: 'net', op: 'ip', detail: 'link del vethabc', result: 'ENETCOMMAND (Cannot find device "vethabc")', failed: true },
  { kind: 'note', op: 'unmount', detail: 'nothing to unmount: the mount namespace ended with its last process, its mounts with it', msg: { key: 'explain.note.unmount.none' } },
  { kind: 'exec', op: 'rm', detail: `-rf --one-file-system ${CTR} (upper/ = its writable layer)`, result: 'ok' },
]

function render(events: TraceEvent[], mode: 'phases' | 'full' = 'phases'): string[] {
  const lines: string[] = []
  const r = new ExplainRenderer({ mode, root: ROOT, write: (l) => lines.push(l), lang: 'en' })
  for (const e of events) r.event(e, true)
  r.end()
  return lines
}

t.test('every event of a run lands in the phase of its concept', async (t) => {
  const phase = (op: string, by?: string) => phaseOf(RUN.find((e) => e.op === op && (by === undefined || e.by === by))!)
  t.equal(phase('mkdir'), 'create')
  t.equal(phaseOf(RUN[3]), 'namespaces', "Node's unshare")
  t.equal(phase('unshare', 'shim'), 'namespaces', "the shim's PID namespace")
  t.equal(phase('fork', 'shim'), 'pid1')
  t.equal(phaseOf(RUN.find((e) => /"overlay"/.test(e.detail))!), 'rootfs')
  t.equal(phaseOf(RUN.find((e) => /"proc"/.test(e.detail) && e.by)!), 'pid1', '/proc, by PID 1')
  t.equal(phaseOf(RUN.find((e) => /\/proc\/acpi/.test(e.detail))!), 'dev', 'a masked path')
  t.equal(phaseOf(RUN.find((e) => /\/srv\/data/.test(e.detail))!), 'volumes', '-v')
  t.equal(phaseOf(RUN.find((e) => /\/etc\/hosts/.test(e.detail))!), 'dev', "the container's own /etc files are no volume")
  t.equal(phase('pivot_root'), 'pivot')
  t.equal(phase('capset'), 'security')
  t.equal(phase('execve'), 'start')
  t.equal(phase('rtnetlink'), 'network')
  t.equal(phaseOf({ kind: 'syscall', op: 'setns', detail: '/proc/11/ns/net (for a netlink socket there) → net:[4026532281], CLONE_NEWNET' }), 'network', "the engine's visit for a netlink socket is no exec's join")
  t.equal(phaseOf({ kind: 'syscall', op: 'setns', detail: "the engine's own net ns (after the netlink socket) → net:[4026531840], CLONE_NEWNET" }), 'network', 'nor its way home a namespace of the container')
  t.equal(phaseOf(RUN.find((e) => /link del/.test(e.detail))!), 'cleanup')
  t.equal(phase('rm'), 'remove')
  t.equal(phase('openat2'), undefined, 'path checks go with their neighbour')
  t.equal(phaseOf(RUN.find((e) => /^saved /.test(e.detail))!), null, 'going home is no step')
  t.equal(phaseOf({ kind: 'api', op: 'GET', detail: '/_ping' }), null)
  t.same(new Set(PHASES.map((p) => p.id)).size, PHASES.length, 'phase ids are unique')
  for (const p of PHASES) t.ok(p.title.ko && p.why.ko, `${p.id} has Korean`)
})

t.test('phases mode: one header per phase in the table order, essential lines only, paths shortened', async (t) => {
  const lines = render(RUN)
  const headers = lines.filter((l) => l.startsWith('▸ ')).map((l) => l.slice(2).split(' — ')[0])
  t.same(headers, ['The container', 'Namespaces', 'Root filesystem', 'PID 1 and /proc', '/dev, /sys and masked paths', 'Bind mounts (-v)', 'pivot_root', 'Capabilities, seccomp', 'Network', 'The program starts', 'After the exit', 'Removal'])
  const text = lines.join('\n')
  t.notMatch(text, /[0-9a-f]{64}/, 'no 64-hex id is left')
  t.notMatch(text, /\/var\/lib\/tocker/, 'the store is <root>')
  t.match(text, /<root>\/containers\/dc8e04a832a2\//)
  t.match(text, /unshare\(CLONE_NEWNS\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWNET\)  → mnt uts ipc net/, 'flags decoded into namespace names')
  t.match(text, /shim: unshare\(CLONE_NEWPID\)  → pid/)
  t.match(text, /mount overlay on <root>\/containers\/dc8e04a832a2\/rootfs: 2 image layers \(read-only\) \+ init\/ \(its mount points\) \+ upper\/ \(writable\)/, 'lowerdirs counted, not listed; the init layer is no image layer')
  t.match(text, /PID 1: mount\("proc", \/proc, "proc"\)/)
  t.match(text, /bind \/srv\/data → \/data/)
  t.match(text, /iptables -t nat -A TOCKER -p tcp --dport 8080 -j DNAT --to-destination 172\.17\.0\.2:80\n/, 'the DNAT rule, without its batch around it')
  t.match(text, /in the container: eth0 172\.17\.0\.2\/16, default via 172\.17\.0\.1/)
  t.match(text, /PID 1: chdir\("\/"\); execve\("\/bin\/true", \["true"\]\)/)
  t.match(text, /ip link del vethabc: already gone \(a veth dies with its network namespace\)/, 'a failure that teaches, said so')
  t.match(text, /no_new_privs: not set/)
  t.notMatch(text, /openat2|flock|POST/, 'machinery and API round trips only with =full')
  // The engine asks first (veth.ts): gone is said as the failed `ip link del` is; still there, only the command shows.
  const asked = (result: string) => ({ kind: 'net' as const, op: 'link', detail: 'vethdef still there? (ioctl SIOCGIFFLAGS; ip link del only if so)', result })
  const cleanup = (events: TraceEvent[]) => render([...RUN.slice(0, -3), ...events, ...RUN.slice(-2)]).join('\n')
  t.equal(phaseOf(asked('gone')), 'cleanup')
  t.match(cleanup([asked('gone')]), /ip link del vethdef: already gone \(a veth dies with its network namespace\)/, 'gone with its namespace: said so')
  const still = cleanup([asked('yes'), { kind: 'net', op: 'ip', detail: 'link del vethdef', result: 'ok' }])
  t.match(still, /^\s*ip link del vethdef$/m, 'still there: the command')
  t.notMatch(still, /vethdef still there|vethdef: already gone/, 'the question itself is machinery')
  t.match(lines.at(-1)!, /\(\d+ kernel-level actions in all: --explain=full shows each one\)/)
})

t.test('no mount namespace in the config (tocker-runtime, runc mode): the pivot phase shows chroot and says why, in English and Korean', async (t) => {
  const rootfs = '/tmp/bundle/rootfs'
  const events: TraceEvent[] = [
    { kind: 'mount', op: 'mount', detail: `"${rootfs}", ${rootfs}, "", MS_BIND|MS_REC`, result: 'ok' },
    { kind: 'note', op: 'chroot', detail: MESSAGES['explain.note.chroot'].en, msg: { key: 'explain.note.chroot' } },
    { kind: 'syscall', op: 'chroot', detail: `"${rootfs}" (no mount namespace of its own: the caller's is shared, so no pivot_root)`, result: 'ok', by: 'PID 1' },
    { kind: 'note', op: 'unmount', detail: MESSAGES['explain.note.unmount.shared'].en, msg: { key: 'explain.note.unmount.shared' } },
  ]
  t.equal(phaseOf(events[1]), 'pivot')
  t.equal(phaseOf(events[2]), 'pivot', "PID 1's chroot")
  const text = render(events).join('\n')
  t.match(text, /▸ pivot_root — [^\n]*\n[^\n]*no mount namespace in the config: the container shares the caller's, so pivot_root[^\n]*\n\s*PID 1: chroot\("\/tmp\/bundle\/rootfs"\)/)
  t.match(text, /its root and every mount under it were in the caller's namespace, so they are unmounted now/)
  setLang('ko')
  try {
    const lines: string[] = []
    const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => lines.push(l) })
    for (const e of events) r.event(e, true)
    r.end()
    t.match(lines.join('\n'), /pivot_root 대신 PID 1 하나만 chroot 합니다/)
  } finally {
    setLang(undefined)
  }
})

t.test('a cgroup v2 host: PID 1 born in its cgroup (clone3 CLONE_INTO_CGROUP), or moved in where the kernel cannot; said in English and Korean', async (t) => {
  const cg = `/sys/fs/cgroup/tocker/${ID}`
  const spawn = RUN[4]
  const limits: TraceEvent = { kind: 'cgroup', op: 'write', detail: `${cg}/memory.max ← 33554432`, result: 'ok' }
  const born: TraceEvent[] = [
    limits,
    spawn,
    { kind: 'exec', op: 'clone3', detail: `CLONE_INTO_CGROUP, ${cg}: the container's first process, born in its cgroup: PID 1 in its new PID namespace`, result: 'pid 11 on the host', by: 'shim' },
    { kind: 'note', op: 'cgroup', detail: MESSAGES['explain.note.cgroup.born'].en, msg: { key: 'explain.note.cgroup.born', vars: { pid: 11, path: cg } } },
  ]
  t.equal(phaseOf(born[2]), 'pid1', "the shim's clone3")
  t.equal(phaseOf(born[3]), 'cgroup', 'the note')
  const text = render(born).join('\n')
  t.match(text, /shim: clone3\(CLONE_INTO_CGROUP\) = pid 11 on the host/)
  t.match(text, /▸ cgroup limits[^\n]*\n\s+write tocker\/dc8e04a832a2\/memory\.max ← 33554432\n\s+PID 1 \(pid 11\) was born in its cgroup \/sys\/fs\/cgroup\/tocker\/dc8e04a832a2\S*: /, 'the cgroup phase: the limit, then how PID 1 got in')
  t.match(text, /clone3\(CLONE_INTO_CGROUP\) forked it there, so nothing is written to cgroup\.procs/)
  const ko: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => ko.push(l), lang: 'ko' })
  for (const e of born) r.event(e, true)
  r.end()
  t.match(ko.join('\n'), /PID 1 \(pid 11\)은 처음부터 cgroup \S+ 안에서 태어났습니다: clone3\(CLONE_INTO_CGROUP\)/)

  // An old kernel: clone3 refused (ENOSYS), fork() instead, and the runtime's cgroup.procs write.
  const moved: TraceEvent[] = [
    limits,
    spawn,
    { kind: 'exec', op: 'fork', detail: "the container's first process: PID 1 in its new PID namespace", result: 'pid 11 on the host', by: 'shim' },
    { kind: 'exec', op: 'clone3', detail: `CLONE_INTO_CGROUP, ${cg}: this kernel cannot; fork() instead, the runtime moves PID 1 (cgroup.procs)`, result: 'ENOSYS (function not implemented)', failed: true, by: 'shim' },
    { kind: 'note', op: 'cgroup', detail: MESSAGES['explain.note.cgroup.moved'].en, msg: { key: 'explain.note.cgroup.moved', vars: { pid: 11, path: cg, errno: 'ENOSYS' } } },
    { kind: 'cgroup', op: 'write', detail: `${cg}/cgroup.procs ← 11`, result: 'ok' },
  ]
  const old = render(moved).join('\n')
  t.match(old, /shim: fork\(\) = pid 11 on the host/, "the fork is the line; the refused clone3 is --explain=full's")
  t.notMatch(old, /clone3\(CLONE_INTO_CGROUP\) =/)
  t.match(old, /write tocker\/dc8e04a832a2\/cgroup\.procs ← 11/)
  t.match(old, /by writing its pid to cgroup\.procs: this kernel cannot fork into a cgroup \(clone3 CLONE_INTO_CGROUP: ENOSYS\)/)
})

t.test("exec on a cgroup v2 host: the exec'd process born in the container's cgroup, or moved in; then its cgroup namespace; said in English and Korean", async (t) => {
  const cg = `/sys/fs/cgroup/tocker/${ID}`
  const joins: TraceEvent[] = [
    { kind: 'syscall', op: 'setns', detail: '/proc/11/ns/ipc, CLONE_NEWIPC', result: 'ok' },
    { kind: 'syscall', op: 'setns', detail: '/proc/11/ns/uts, CLONE_NEWUTS', result: 'ok' },
    { kind: 'syscall', op: 'setns', detail: '/proc/11/ns/net, CLONE_NEWNET', result: 'ok' },
    { kind: 'exec', op: 'spawn', detail: 'tocker-shim exec --mntns-fd 4 --pidns-fd 5', result: 'pid 20' },
    { kind: 'syscall', op: 'setns', detail: '/proc/11/ns/mnt, CLONE_NEWNS (by the shim, pid 20, its first act)', result: 'ok', by: 'exec shim' },
    { kind: 'syscall', op: 'setns', detail: '/proc/11/ns/pid, CLONE_NEWPID (by the shim, for the process it forks)', result: 'ok', by: 'exec shim' },
  ]
  const cgroupns: TraceEvent = { kind: 'syscall', op: 'setns', detail: '/proc/11/ns/cgroup, CLONE_NEWCGROUP (by the process, once in its cgroup)', result: 'ok', by: 'process' }
  const born: TraceEvent[] = [
    ...joins,
    { kind: 'exec', op: 'clone3', detail: "CLONE_INTO_CGROUP: the exec'd process, born in the container's cgroup, inside its mount and PID namespaces", result: 'pid 21 on the host', by: 'exec shim' },
    cgroupns,
    { kind: 'note', op: 'cgroup', detail: MESSAGES['explain.note.cgroup.execBorn'].en, msg: { key: 'explain.note.cgroup.execBorn', vars: { pid: 21, path: cg } } },
  ]
  t.equal(phaseOf(cgroupns), 'join', "the process's own setns of the cgroup namespace is part of entering the container")
  const text = render(born).join('\n')
  t.match(text, /setns\(\) into the container's ipc, uts, net, mnt, pid, cgroup namespaces\n\s+exec shim: clone3\(CLONE_INTO_CGROUP\) = pid 21 on the host/)
  t.match(text, /▸ cgroup limits[^\n]*\n\s+the exec'd process \(pid 21\) was born in the container's cgroup \/sys\/fs\/cgroup\/tocker\/dc8e04a832a2\S*: clone3\(CLONE_INTO_CGROUP\) forked it there, so nothing is written to cgroup\.procs/)
  const ko: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => ko.push(l), lang: 'ko' })
  for (const e of born) r.event(e, true)
  r.end()
  t.match(ko.join('\n'), /exec로 실행한 프로세스 \(pid 21\)는 처음부터 컨테이너의 cgroup \S+ 안에서 태어났습니다: clone3\(CLONE_INTO_CGROUP\)/)

  // An old kernel: clone3 refused (ENOSYS), fork() instead, and the runtime's cgroup.procs write.
  const moved: TraceEvent[] = [
    ...joins,
    { kind: 'exec', op: 'fork', detail: "the exec'd process, born inside the container's mount and PID namespaces", result: 'pid 21 on the host', by: 'exec shim' },
    { kind: 'exec', op: 'clone3', detail: "CLONE_INTO_CGROUP: this kernel cannot; fork() instead, the runtime moves the exec'd process (cgroup.procs)", result: 'ENOSYS (function not implemented)', failed: true, by: 'exec shim' },
    cgroupns,
    { kind: 'note', op: 'cgroup', detail: MESSAGES['explain.note.cgroup.execMoved'].en, msg: { key: 'explain.note.cgroup.execMoved', vars: { pid: 21, path: cg, errno: 'ENOSYS' } } },
    { kind: 'cgroup', op: 'write', detail: `${cg}/cgroup.procs ← 21`, result: 'ok' },
  ]
  const old = render(moved).join('\n')
  t.match(old, /exec shim: fork\(\) = pid 21 on the host/, "the fork is the line; the refused clone3 is --explain=full's")
  t.notMatch(old, /clone3\(CLONE_INTO_CGROUP\) =/)
  t.match(old, /the exec'd process \(pid 21\) is moved into the container's cgroup \S+ by writing its pid to cgroup\.procs: this kernel cannot fork into a cgroup \(clone3 CLONE_INTO_CGROUP: ENOSYS\)/)
  t.match(old, /write tocker\/dc8e04a832a2\/cgroup\.procs ← 21/)
  const koOld: string[] = []
  const r2 = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => koOld.push(l), lang: 'ko' })
  for (const e of moved) r2.event(e, true)
  r2.end()
  t.match(koOld.join('\n'), /exec로 실행한 프로세스 \(pid 21\)의 pid를 cgroup\.procs에 써서 컨테이너의 cgroup \S+\(으\)로 옮깁니다: 이 커널은 cgroup 안으로 fork 할 수 없습니다 \(clone3 CLONE_INTO_CGROUP: ENOSYS\)/)
})

t.test('full mode: every event, complete, in order, with a header when the phase changes', async (t) => {
  const lines = render(RUN, 'full')
  const events = lines.filter((l) => l.startsWith('[engine] '))
  t.equal(events.length, RUN.length, 'one line per event')
  t.match(events.find((l) => l.includes('openat2'))!, /^\[engine\] \[syscall\] openat2\(/)
  t.ok(events.some((l) => l.includes(ID)), 'ids stay whole')
  t.match(events.find((l) => l.includes('CLONE_NEWPID'))!, / \[shim\]$/, 'who did it')
  t.ok(lines.includes('── Namespaces ──') && lines.includes('── Removal ──'))
  t.match(formatEvent({ kind: 'api', op: 'POST', detail: '/containers/create', result: '201' }), /^\[api\] POST \/containers\/create → 201$/)
})

t.test('Korean titles and whys under a Korean locale', async (t) => {
  setLang('ko')
  try {
    const lines: string[] = []
    const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => lines.push(l) })
    for (const e of RUN) r.event(e, true)
    r.end()
    const headers = lines.filter((l) => l.startsWith('▸ '))
    t.match(headers[1], /^▸ 네임스페이스 — /)
    t.match(headers.at(-1)!, /^▸ 삭제 — .*사라집니다/)
    t.match(lines.at(-1)!, /커널 수준 동작 모두 \d+개/)
  } finally {
    setLang(undefined)
  }
})

t.test('--rm: its volatile writable layer is said so, in both languages', async (t) => {
  const volatile = RUN.map((e) => (e.kind === 'mount' && e.detail.includes('"overlay"') ? { ...e, detail: e.detail.replace('/work"', '/work,volatile"') } : e))
  t.match(render(volatile).join('\n'), /\+ upper\/ \(writable, volatile: no sync to disk at unmount\)/)
  const lines: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => lines.push(l), lang: 'ko' })
  for (const e of volatile) r.event(e, true)
  r.end()
  t.match(lines.join('\n'), /\+ upper\/ \(쓰기 가능, volatile: 언마운트 때 디스크 동기화 없음\)/)
  t.notMatch(render(RUN).join('\n'), /volatile/, 'a layer that stays: no such word')
})

t.test('Korean: the notes and the explanations on the lines too, not only the titles', async (t) => {
  const lines: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => lines.push(l), lang: 'ko' })
  // as the engine sends them: over the API as JSON
  for (const e of RUN) r.event(JSON.parse(JSON.stringify(e)) as TraceEvent, true)
  r.end()
  const out = lines.join('\n')
  t.match(out, /PID 1 \(true\) 끝남: 종료 코드 0/, "the engine's exit note")
  t.match(out, /마운트 해제할 것이 없습니다/, 'the unmount note')
  t.match(out, /rm -rf <root>\/containers\/dc8e04a832a2: upper\/ = 쓰기 레이어/, 'what rm deleted')
  t.match(out, /overlay 마운트: 이미지 레이어 2개 \(읽기 전용\) \+ init\/ \(마운트 지점\) \+ upper\/ \(쓰기 가능\)/)
  t.match(out, /bounding set: 권한 14개 유지, 27개 버림/)
  t.match(out, /ip link add vethabc master tocker0 type veth peer name eth0 \(eth0: 컨테이너 안으로/)
  t.match(out, /컨테이너 안: eth0 172\.17\.0\.2\/16, 기본 경로 172\.17\.0\.1/)
  t.match(out, /shim: fork\(\) = 호스트에서 본 pid 11/)
  for (const english of [/the writable layer/, /moved into the container/, /its only devices/, /capabilities kept/, /from the container's directory/, /exited with code/, /nothing to unmount/, /on the host/, /kernel-level/]) {
    t.notMatch(out, english, `no English explanation left: ${english}`)
  }
  // the syscalls themselves stay as the kernel spells them
  t.match(out, /shim: unshare\(CLONE_NEWPID\)/)
  t.match(out, /pivot_root\("\.", "\."\)/)
})

t.test('the catalogue: every --explain sentence in English and Korean, with the same placeholders', async (t) => {
  const keys = Object.keys(MESSAGES).filter((k) => k.startsWith('explain.'))
  t.ok(keys.length >= 60, `${keys.length} sentences`)
  for (const k of keys) {
    const m = MESSAGES[k as keyof typeof MESSAGES] as { en: string; ko?: string }
    t.ok(m.ko && m.ko !== '', `${k} has Korean`)
    const vars = (s: string) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]))].sort()
    t.same(vars(m.ko ?? ''), vars(m.en), `${k}: same placeholders`)
  }
  for (const p of PHASES) {
    t.equal(p.title, MESSAGES[`explain.phase.${p.id}.title` as keyof typeof MESSAGES], `${p.id}: title from the catalogue`)
    t.equal(p.why, MESSAGES[`explain.phase.${p.id}.why` as keyof typeof MESSAGES], `${p.id}: why from the catalogue`)
  }
})

t.test("note(): the catalogue's key and values travel with the English text", async (t) => {
  const seen: TraceEvent[] = []
  const off = onTrace((e) => seen.push(e))
  try {
    note('stop', 'explain.note.stop.ignored', { signal: 'SIGTERM', seconds: 10 })
  } finally {
    off()
  }
  t.equal(seen.length, 1)
  t.equal(seen[0].detail, 'PID 1 ignored SIGTERM for 10 s (a PID 1 has no default action for a signal it does not handle): SIGKILL')
  t.same(seen[0].msg, { key: 'explain.note.stop.ignored', vars: { signal: 'SIGTERM', seconds: 10 } })
  t.equal(noteText(seen[0], 'ko'), 'PID 1이 SIGTERM 시그널을 10초 동안 무시했습니다 (PID 1은 처리하지 않는 시그널에 기본 동작이 없습니다): 그래서 SIGKILL')
  t.equal(noteText({ ...seen[0], msg: { key: 'explain.no.such.key' } }, 'ko'), seen[0].detail, 'an unknown key (a newer engine): its English detail')
})

t.test('restart: the container goes down, then up, in that order (one request)', async (t) => {
  const lines: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', root: ROOT, write: (l) => lines.push(l), lang: 'en' })
  const restart: TraceEvent[] = [
    { kind: 'syscall', op: 'kill', detail: '4242, SIGTERM', result: 'ok' },
    { kind: 'note', op: 'stop', detail: 'PID 1 handled SIGTERM', msg: { key: 'explain.note.stop.handled', vars: { signal: 'SIGTERM', took: '0.1', seconds: 10 } } },
    { kind: 'note', op: 'exit', detail: 'PID 1 (sh) exited with code 0', msg: { key: 'explain.note.exit', vars: { path: 'sh', code: 0 } } },
    ...RUN.filter((e) => ['unshare', 'pivot_root', 'execve'].includes(e.op)),
    { kind: 'api', op: 'POST', detail: `/containers/${ID}/restart`, result: '204' },
  ]
  for (const e of restart) r.event(e, true)
  r.end()
  const headers = lines.filter((l) => l.startsWith('▸ ')).map((l) => l.slice(2).split(' — ')[0])
  t.same(headers, ['Stopping: signals', 'After the exit', 'Namespaces', 'pivot_root', 'The program starts'])
})

t.test('the end line: none for a command that did nothing in the kernel, none after an empty output', async (t) => {
  const quiet: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', write: (l) => quiet.push(l), lang: 'en' })
  r.event({ kind: 'api', op: 'GET', detail: '/containers/json', result: '200' }, true)
  r.end()
  t.same(quiet, ['  (no kernel-level action traced for this command)'])
  const locks: string[] = []
  const r2 = new ExplainRenderer({ mode: 'phases', write: (l) => locks.push(l), lang: 'ko' })
  r2.event({ kind: 'syscall', op: 'flock', detail: '/x/locks/images.lock, LOCK_EX', result: 'ok' }, true)
  r2.end()
  t.same(locks, [], 'only a lock (no phase): no "1 kernel-level action" line under nothing')
  const one: string[] = []
  const r3 = new ExplainRenderer({ mode: 'phases', write: (l) => one.push(l), lang: 'en' })
  r3.event({ kind: 'note', op: 'rmi', detail: 'layer abc: deleted', msg: { key: 'explain.note.rmi.deleted', vars: { id: 'abcdefabcdef' } } }, true)
  r3.end()
  t.same(one, [
    '▸ Image removal — layers are shared: a layer is deleted only when no image uses it any more',
    '    layer abcdefabcdef: deleted (layers/abcdefabcdef/): no image uses it any more',
    '  (1 kernel-level action in all: --explain=full shows it)',
  ])
})

t.test('a phase that goes on after a pause (or a request) prints no second header', async (t) => {
  const lines: string[] = []
  const r = new ExplainRenderer({ mode: 'phases', write: (l) => lines.push(l), lang: 'en' })
  r.event({ kind: 'note', op: 'exit', detail: 'PID 1 (true) exited with code 0' })
  r.flush()
  r.event({ kind: 'note', op: 'release', detail: 'address 172.17.0.2 returned' })
  r.end()
  t.equal(lines.filter((l) => l.startsWith('▸ After the exit')).length, 1)
})

t.test('shortenPaths', async (t) => {
  t.equal(shortenPaths(`${CTR}/rootfs`, ROOT), '<root>/containers/dc8e04a832a2/rootfs')
  t.equal(shortenPaths(`x ${'f'.repeat(64)} y`), `x ${'f'.repeat(12)} y`)
  t.equal(shortenPaths('sha256:' + 'a'.repeat(63)), 'sha256:' + 'a'.repeat(63), 'not a 64-hex word: untouched')
})

t.test("the shim's trace messages", async (t) => {
  const payload = (fields: string[]) => Buffer.from(fields.join('\0'))
  const e = shimTraceEvent(payload(['capset', 'effective caps=0x00000000a80425fb, permitted caps=0x0000000000000000', 'ok', '0', '12', 'PID 1']))
  t.same([e.kind, e.op, e.by, e.failed, e.ms], ['syscall', 'capset', 'PID 1', undefined, 0.012])
  t.match(e.detail, /effective 0xa80425fb \(14: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP\), permitted 0x0 \(none\)/)
  const failed = shimTraceEvent(payload(['chdir', '"/nope"', 'ENOENT (no such file or directory)', '2', '3', 'process']))
  t.same([failed.failed, failed.by, failed.result], [true, 'process', 'ENOENT (no such file or directory)'])
  t.equal(shimTraceEvent(payload(['mount', 'proc', 'ok', '0', '0', 'PID 1']), 'described').detail, 'described')

  // The start socket is a stream: each T is framed ('T', 8 hex digits of length), E comes last.
  const frame = (fields: string[]) => {
    const p = payload(fields)
    return Buffer.concat([Buffer.from(`T${p.length.toString(16).padStart(8, '0')}`), p])
  }
  const execve = frame(['execve', '"/bin/true", ["true"]', 'pending', '0', '0', 'PID 1'])
  const ran = parseStartReply(execve)
  t.equal(ran.error, undefined)
  t.same(ran.events.map((x) => [x.op, x.result, x.failed]), [['execve', 'ok (the process is now the program)', undefined]], 'end of file after execve: it ran')
  const refused = parseStartReply(Buffer.concat([execve, Buffer.from('E13\u0000126\u0000exec: "/x": permission denied')]))
  t.equal(refused.error?.message, 'exec: "/x": permission denied')
  t.same([refused.events[0].failed, refused.events[0].result], [true, 'exec: "/x": permission denied'])
  t.same(parseStartReply(Buffer.alloc(0)), { events: [], error: undefined }, 'without --trace: nothing but EOF')
})

t.test('trace sessions: a listener of one session hears only the work done in its scope', async (t) => {
  const mine: string[] = []
  const all: string[] = []
  const stopMine = onTrace((e) => mine.push(e.op), { session: 'A' })
  t.equal(isTracing(), false, 'outside session A nobody listens')
  t.equal(runInScope({ session: 'A' }, isTracing), true)
  const stopAll = onTrace((e) => all.push(e.op))
  try {
    report({ kind: 'note', op: 'outside', detail: '' })
    runInScope({ session: 'A' }, () => report({ kind: 'note', op: 'ours', detail: '' }))
    runInScope({ session: 'B' }, () => report({ kind: 'note', op: 'theirs', detail: '' }))
    await runInScope({ session: 'A' }, async () => {
      await new Promise((r) => setTimeout(r, 1))
      report({ kind: 'note', op: 'after an await', detail: '' })
    })
  } finally {
    stopMine()
    stopAll()
  }
  t.same(mine, ['ours', 'after an await'])
  t.same(all, ['outside', 'ours', 'theirs', 'after an await'])
})

t.test('--step: the changes between two kernel snapshots, and their text', async (t) => {
  const mount = (Target: string, FsType: string, o: Partial<{ Root: string; Options: string; Under: string }> = {}) => ({
    Target,
    FsType,
    Source: FsType,
    Root: o.Root ?? '/',
    Options: o.Options ?? 'rw',
    Role: 'other',
    ...(o.Under ? { Under: o.Under } : {}),
  })
  const ns = (Type: string, Container: string, Host: string) => ({ Type, Container, Host, Shared: Container === Host })
  const host: KernelSnapshot = { namespaces: [ns('mnt', '1', '1'), ns('net', '2', '2'), ns('user', '3', '3')], mounts: [mount('/', 'ext4'), mount('/sys', 'sysfs')] }
  const unshared: KernelSnapshot = { namespaces: [ns('mnt', '11', '1'), ns('net', '12', '2'), ns('user', '3', '3')], mounts: [mount('/', 'ext4'), mount('/sys', 'sysfs')] }
  const c1 = kernelChanges(host, unshared)
  t.same(c1.Namespaces?.map((n) => n.Type), ['mnt', 'net'], 'the new namespaces; user stays shared')
  t.notOk(c1.MountsAdded, 'a new mount namespace starts as a copy: no mount added')
  const under = '/var/lib/tocker/containers/x/rootfs'
  const mounted: KernelSnapshot = { ...unshared, mounts: [...unshared.mounts!, mount('/', 'overlay', { Under: under }), mount('/proc', 'proc', { Under: under })] }
  t.same(kernelChanges(unshared, mounted).MountsAdded?.map((m) => m.Target), ['/', '/proc'])
  const pivoted: KernelSnapshot = { ...unshared, mounts: [mount('/', 'overlay'), mount('/proc', 'proc')] }
  const c3 = kernelChanges(mounted, pivoted)
  t.equal(c3.MountsNowRoot, 2, 'after pivot_root the same mounts are its / tree')
  t.same(c3.MountsRemoved?.map((m) => m.Target), ['/', '/sys'], "the host's mounts are gone from its view")
  t.notOk(c3.MountsAdded)
  const proc = { Uid: '0', Gid: '0', CapEff: '000001ffffffffff', CapEffNames: [], CapBnd: '000001ffffffffff', CapBndNames: [], Seccomp: 0, SeccompFilters: 0, NoNewPrivs: false }
  const c4 = kernelChanges({ process: proc }, { process: { ...proc, CapEff: 'a80425fb', CapEffNames: ['CAP_CHOWN'], Seccomp: 2, SeccompFilters: 1 } })
  t.same(c4.Process, { CapEff: 'a80425fb', Seccomp: 2, SeccompFilters: 1, CapEffNames: ['CAP_CHOWN'] })
  const net = {
    Interfaces: [{ Name: 'eth0', Addresses: ['172.17.0.2/16'] }],
    HostVeth: { Name: 'veth1', Master: 'tocker0', Exists: true },
    Rules: ['-t nat -A TOCKER -p tcp -m tcp --dport 8080 -m comment --comment "tocker:x" -j DNAT --to-destination 172.17.0.2:80'],
  }
  const c5 = kernelChanges({}, { network: net })
  t.same([c5.Interfaces?.length, c5.HostVeth?.Name, c5.RulesAdded?.length], [1, 'veth1', 1])
  const c6 = kernelChanges({ network: net }, { gone: true, network: { Interfaces: [], Rules: [] } })
  t.same([c6.Gone, c6.HostVeth, c6.RulesRemoved?.length], [true, { Name: 'veth1', Exists: false }, 1])

  const text = formatChanges('network', c5).join('\n')
  t.match(text, /⏸ in the kernel now \(Network\):/)
  t.match(text, /\+ iptables -t nat -A TOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172\.17\.0\.2:80/, 'the rule without its comment')
  t.match(formatChanges('pivot', c3).join('\n'), /= 2 mounts: the overlay and everything on it are now its \/ tree/)
  t.match(formatChanges('rootfs', {}).join('\n'), /nothing the view shows changed/)
})

t.test('mount roles', async (t) => {
  const m = (mountPoint: string, fsType: string, root = '/', options = ['rw']) => ({ mountId: 1, parentId: 0, root, mountPoint, options, fsType, source: fsType, superOptions: [] })
  t.equal(mountRole(m('/', 'overlay')), 'root')
  t.equal(mountRole(m('/proc', 'proc')), 'proc')
  t.equal(mountRole(m('/proc/keys', 'tmpfs', '/null')), 'masked', '/dev/null over a file')
  t.equal(mountRole(m('/proc/acpi', 'tmpfs', '/', ['ro'])), 'masked', 'an empty read-only tmpfs over a directory')
  t.equal(mountRole(m('/proc/sys', 'proc', '/sys', ['ro'])), 'readonly')
  t.equal(mountRole(m('/sys/fs/cgroup', 'cgroup2', '/', ['ro'])), 'sys')
  t.equal(mountRole(m('/dev/null', 'tmpfs', '/null')), 'dev')
  t.equal(mountRole(m('/etc/hosts', 'ext4', '/var/lib/tocker/containers/x/hosts')), 'etc')
  t.equal(mountRole(m('/data', 'ext4', '/srv/data')), 'bind')
})
