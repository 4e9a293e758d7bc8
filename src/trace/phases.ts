// The phases of `tocker --explain`: every traced action belongs to one of them, and each maps to a
// concept of the tutorials (image layers → overlay root, namespaces, PID 1 and /proc, …). This
// file is data: the table of phases (titles and one-sentence whys in English and Korean, the lines
// a learner sees by default) and the rules saying which event belongs where. explain.ts renders it.
//
// An event the rules do not place (a path check, a lock, a socketpair) belongs to the phase of the
// event before it: it is part of that step's machinery, shown only by --explain=full.
import type { Text } from '../i18n/index.js'
import type { TraceEvent } from './trace.js'

export type PhaseId =
  | 'registry'
  | 'layers'
  | 'create'
  | 'cgroup'
  | 'namespaces'
  | 'rootfs'
  | 'pid1'
  | 'dev'
  | 'volumes'
  | 'pivot'
  | 'join'
  | 'security'
  | 'network'
  | 'start'
  | 'stop'
  | 'cleanup'
  | 'remove'

export interface Phase {
  id: PhaseId
  title: Text
  /** One sentence: why this happens. */
  why: Text
  /** The phase's few essential lines, from its events (paths already shortened). */
  essentials(events: TraceEvent[]): string[]
}

/** Where a rule looks: every given field must match. */
export interface EventPattern {
  kind?: TraceEvent['kind']
  op?: string | RegExp
  detail?: RegExp
  /** Reported by the shim/gate/exec'd process ("shim", "PID 1", "exec shim", "process"); '' = by the runtime itself. */
  by?: string | RegExp
}

export function matches(e: TraceEvent, p: EventPattern): boolean {
  if (p.kind !== undefined && e.kind !== p.kind) return false
  if (p.op !== undefined && !(typeof p.op === 'string' ? e.op === p.op : p.op.test(e.op))) return false
  if (p.detail !== undefined && !p.detail.test(e.detail)) return false
  if (p.by !== undefined && !(typeof p.by === 'string' ? (e.by ?? '') === p.by : p.by.test(e.by ?? ''))) return false
  return true
}

const GATE = /^(PID 1|process)$/ // the container's first process, or exec's new one, preparing itself
const SHIM = /^(shim|exec shim)$/

/**
 * Which phase an event belongs to: the first rule that matches. `null`: never part of a phase
 * (the API round trips, shown by --explain=full only). No rule: the phase of the event before.
 */
export const RULES: { phase: PhaseId | null; when: EventPattern }[] = [
  { phase: null, when: { kind: 'api' } },
  // the runtime's thread going home and back (around a --step pause): machinery, not a step
  { phase: null, when: { kind: 'syscall', op: /^(setns|fchdir)$/, detail: /^(back into |saved )/ } },
  { phase: null, when: { kind: 'syscall', op: 'unshare', detail: /^CLONE_FS$/ } },
  // pull
  { phase: 'registry', when: { kind: 'note', op: 'config' } },
  { phase: 'layers', when: { kind: 'note', op: 'layer' } },
  { phase: 'layers', when: { kind: 'registry', detail: /\/blobs\/sha256:/ } },
  { phase: 'registry', when: { kind: 'registry' } },
  { phase: 'layers', when: { kind: 'fs', op: /^(rename|symlink|unpack|verify)$/ } },
  // create: the container's directory and bundle
  { phase: 'create', when: { kind: 'fs', op: /^(mkdir|write)$/, detail: /\/containers\// } },
  // stop, and what follows the exit
  { phase: 'stop', when: { kind: 'syscall', op: 'kill' } },
  { phase: 'stop', when: { kind: 'note', op: 'stop' } },
  { phase: 'cleanup', when: { kind: 'note', op: /^(exit|unmount|release)$/ } },
  { phase: 'cleanup', when: { kind: 'cgroup', op: 'rmdir' } },
  { phase: 'cleanup', when: { kind: 'net', detail: /link del |^--noflush <<< \*nat; -D |-D TOCKER/ } },
  { phase: 'remove', when: { kind: 'exec', op: 'rm' } },
  { phase: 'remove', when: { kind: 'note', op: 'remove' } },
  // cgroups
  { phase: 'cgroup', when: { kind: 'cgroup' } },
  // exec: Node joins the container's namespaces, the shim the mount and PID ones, then forks
  { phase: 'join', when: { kind: 'syscall', op: 'setns', detail: /^\/proc\/\d+\/ns\//, by: '' } },
  { phase: 'join', when: { kind: 'exec', op: 'spawn', detail: /shim exec / } },
  { phase: 'join', when: { by: 'exec shim' } },
  // the shim, PID 1, namespaces
  { phase: 'namespaces', when: { kind: 'syscall', op: /^(unshare|setns)$/, detail: /CLONE_NEW/, by: /^(|shim|PID 1)$/ } },
  { phase: 'namespaces', when: { kind: 'syscall', op: /^(sethostname|setdomainname)$/ } },
  { phase: 'pid1', when: { kind: 'exec', op: /^(posix_spawn|spawn)$/, detail: /shim/ } },
  { phase: 'pid1', when: { kind: 'syscall', op: 'memfd_create' } },
  { phase: 'pid1', when: { op: 'fork', by: SHIM } },
  { phase: 'pid1', when: { kind: 'mount', detail: /^"proc"/ } },
  // the root filesystem
  { phase: 'rootfs', when: { kind: 'mount', detail: /^"overlay"/ } },
  { phase: 'rootfs', when: { kind: 'mount', detail: /^"", \/, "", MS_REC\|MS_(PRIVATE|SLAVE)/ } },
  { phase: 'rootfs', when: { kind: 'syscall', op: 'chdir', detail: /\/layers\/l"/ } },
  { phase: 'pivot', when: { kind: 'mount', op: /^(pivot_root|umount2)$/ } },
  { phase: 'pivot', when: { kind: 'mount', detail: /old root/ } },
  { phase: 'pivot', when: { kind: 'syscall', op: 'fchdir', detail: /\/rootfs$/ } },
  { phase: 'pivot', when: { kind: 'syscall', op: 'chdir', detail: /^"\/"$/, by: '' } },
  // -v: a bind whose source is not the container's own directory or a device node of ours
  { phase: 'volumes', when: { kind: 'mount', detail: /^"\/(?!proc\/self\/fd\/)(?![^"]*\/containers\/[0-9a-f]{64}\/)[^"]*", \S+, "", MS_BIND/ } },
  // /dev, /sys, masked and read-only paths, the /etc files, sysctls
  { phase: 'dev', when: { kind: 'mount' } },
  { phase: 'dev', when: { kind: 'fs', op: 'mknod' } },
  // capabilities, seccomp, user, limits of the process
  { phase: 'security', when: { kind: 'exec', op: 'seccomp-compile' } },
  { phase: 'security', when: { op: /^(seccomp|prctl|capset|setresuid|setrlimit|write)$/, by: GATE } },
  // the program
  { phase: 'start', when: { op: /^(chdir|getcwd|lookup|execve)$/, by: GATE } },
  // network
  { phase: 'network', when: { kind: 'net' } },
]

/** The phase of `e` by the rules, `null` for events outside every phase, undefined when no rule places it. */
export function phaseOf(e: TraceEvent): PhaseId | null | undefined {
  for (const r of RULES) if (matches(e, r.when)) return r.phase
  return undefined
}

// ---- how essential lines read ----

const ok = (e: TraceEvent): string => (e.failed ? `  ✗ ${e.result ?? 'failed'}` : '')
const by = (e: TraceEvent): string => (e.by ? `${e.by}: ` : '')
/** The events of `events` matching `p`. */
const pick = (events: TraceEvent[], p: EventPattern): TraceEvent[] => events.filter((e) => matches(e, p))
/** op(detail) with the explanation in parentheses at the end dropped (it is the phase's why). */
const call = (e: TraceEvent, detail = e.detail): string => `${by(e)}${e.op}(${detail.replace(/ \((?:[^()]|\([^()]*\))*\)$/, '')})${ok(e)}`
/** Mount targets as the container sees them: "…/rootfs/dev/pts" → "/dev/pts". */
const inContainer = (target: string): string => target.replace(/^.*\/rootfs(?=\/|$)/, '') || '/'
/** The target (second argument) of a mount event's detail. */
const mountTarget = (e: TraceEvent): string => /^"[^"]*", ([^,]+),/.exec(e.detail)?.[1] ?? ''
const mountSource = (e: TraceEvent): string => /^"([^"]*)"/.exec(e.detail)?.[1] ?? ''
const mountType = (e: TraceEvent): string => /^"[^"]*", [^,]+, "([^"]*)"/.exec(e.detail)?.[1] ?? ''
const list = (xs: string[], max = 6): string => (xs.length > max ? `${xs.slice(0, max).join(' ')} … (${xs.length})` : xs.join(' '))
const bits = (hex: string): number => [...BigInt(`0x${hex}`).toString(2)].filter((b) => b === '1').length

function overlayLine(e: TraceEvent): string {
  const target = mountTarget(e)
  const data = /"((?:lowerdir)=[^"]*)"/.exec(e.detail)?.[1] ?? ''
  const lower = /lowerdir=([^,]*)/.exec(data)?.[1] ?? ''
  const counted = /\((\d+) layers?/.exec(lower)
  const layers = counted ? Number(counted[1]) : lower ? lower.split(':').length : 0
  const upper = /upperdir=([^,]*)/.exec(data)?.[1]
  return `mount overlay on ${target}: ${layers} image layer${layers === 1 ? '' : 's'} (read-only)${upper ? ` + ${upper.replace(/^.*\//, '')}/ (writable)` : ''}${ok(e)}`
}

function devLines(events: TraceEvent[]): string[] {
  const mounts = pick(events, { kind: 'mount', op: 'mount' })
  const fresh = mounts.filter((e) => !/MS_BIND|MS_REMOUNT|MS_REC\|MS_(PRIVATE|SLAVE)/.test(e.detail) && mountType(e) !== '')
  const masked = mounts.filter((e) => /\/(proc|sys)\//.test(inContainer(mountTarget(e))) && (mountType(e) === 'tmpfs' || /\/null", /.test(e.detail)))
  const readonly = mounts.filter((e) => /MS_RDONLY/.test(e.detail) && /MS_REMOUNT\|MS_BIND/.test(e.detail) && /^\/(proc|sys)\//.test(inContainer(mountTarget(e))))
  const nodes = pick(events, { kind: 'fs', op: 'mknod' }).map((e) => /\/([^/,]+), /.exec(e.detail)?.[1] ?? '?')
  const etc = mounts.filter((e) => /^\/etc\//.test(inContainer(mountTarget(e))) && /MS_BIND/.test(e.detail)).map((e) => inContainer(mountTarget(e)))
  const lines: string[] = []
  const filesystems = fresh.filter((e) => !masked.includes(e)).map((e) => `${inContainer(mountTarget(e))}=${mountType(e)}${/MS_RDONLY/.test(e.detail) ? '(ro)' : ''}`)
  if (filesystems.length) lines.push(`mount ${list(filesystems, 8)}`)
  if (nodes.length) lines.push(`mknod /dev/{${nodes.join(',')}}: its only devices`)
  const hidden = [
    ...(masked.length ? [`masked ${list(masked.map((e) => inContainer(mountTarget(e))), 4)}`] : []),
    ...(readonly.length ? [`read-only ${list(readonly.map((e) => inContainer(mountTarget(e))), 4)}`] : []),
  ]
  if (hidden.length) lines.push(hidden.join('; '))
  if (etc.length) lines.push(`bind ${[...new Set(etc)].join(' ')} from the container's directory`)
  const failed = events.filter((e) => e.failed && e.kind === 'mount')
  for (const e of failed.slice(0, 2)) lines.push(call(e))
  return lines
}

function networkLines(events: TraceEvent[]): string[] {
  const lines: string[] = []
  for (const e of events) {
    const d = e.detail
    if (e.op === 'ip' && /link add (\S+)[^;]* type bridge/.test(d)) {
      const addr = /addr add (\S+) dev/.exec(d)?.[1]
      const forward = events.some((x) => x.op === 'sysctl' && /ip_forward=1/.test(x.detail))
      lines.push(`ip link add ${/link add (\S+)/.exec(d)![1]} type bridge, ${addr ?? '?'}${forward ? '; ip_forward=1' : ''} (made by the first container)${ok(e)}`)
    } else if (e.op === 'ip' && /type veth peer name/.test(d)) {
      const m = /link add (\S+) master (\S+) .*peer name (\S+)/.exec(d)
      lines.push(m ? `ip link add ${m[1]} master ${m[2]} type veth peer name ${m[3]} (moved into the container)${ok(e)}` : call(e))
    } else if (e.op === 'nsenter' && /addr add/.test(d)) {
      const addr = /addr add ([^;\s]+) dev ([^;\s]+)/.exec(d)
      const gw = /route add default via ([^;\s]+)/.exec(d)?.[1]
      lines.push(`in the container: ${addr ? `${addr[2]} ${addr[1]}` : '?'}${gw ? `, default via ${gw}` : ''}${ok(e)}`)
    } else if (e.op === 'iptables-restore' && /-j DNAT/.test(d)) {
      for (const r of d.matchAll(/-A (\S+) -p (\w+) -m \w+ --dport (\d+)[^;]*-j DNAT --to-destination ([^;\s]+)/g)) lines.push(`iptables -t nat -A ${r[1]} -p ${r[2]} --dport ${r[3]} -j DNAT --to-destination ${r[4]}${ok(e)}`)
    } else if (e.op === 'bind') {
      lines.push(`${call(e)} (the host port stays taken)`)
    } else if (e.failed && !/does not exist|Cannot find device/.test(e.result ?? '')) {
      lines.push(call(e))
    }
  }
  return lines
}

function securityLines(events: TraceEvent[]): string[] {
  const lines: string[] = []
  for (const e of events) {
    if (e.op === 'seccomp' && e.by) {
      const n = /(\d+) BPF instructions/.exec(e.detail)?.[1]
      const rules = /\((\d+) rules, default ([^,]+),/.exec(e.detail)
      lines.push(`${by(e)}seccomp(SECCOMP_SET_MODE_FILTER): ${n ?? '?'} BPF instructions${rules ? ` from ${rules[1]} rules, default ${rules[2]}` : ''}${ok(e)}`)
    } else if (e.op === 'prctl' && /PR_CAPBSET_DROP/.test(e.detail)) {
      const kept = /0x([0-9a-f]+)/.exec(e.detail)?.[1]
      const dropped = /x (\d+):/.exec(e.detail)?.[1]
      lines.push(`${by(e)}bounding set: ${kept ? bits(kept) : '?'} capabilities kept, ${dropped ?? '?'} dropped (PR_CAPBSET_DROP)${ok(e)}`)
    } else if (e.op === 'capset') {
      const eff = /effective (0x[0-9a-f]+) \((\d+|none)/.exec(e.detail)
      const names = /effective 0x[0-9a-f]+ \(\d+: ([^)]*)\)/.exec(e.detail)?.[1]
      const user = pick(events, { op: 'setresuid' })[0]
      const who = user ? `${/uid \d+, gid \d+/.exec(user.detail)?.[0] ?? ''}; ` : ''
      lines.push(`${by(e)}${who}capset: effective ${eff ? (eff[2] === 'none' ? 'none' : `${eff[2]} (${names?.split(' ').slice(0, 5).join(' ')}${(names?.split(' ').length ?? 0) > 5 ? ' …' : ''})`) : '?'}${ok(e)}`)
    } else if (e.op === 'setresuid' && (e.failed || !events.some((x) => x.op === 'capset'))) {
      lines.push(`${by(e)}setresuid/setresgid: ${e.detail.replace(/ \(.*$/, '')}${ok(e)}`)
    } else if (e.op === 'prctl' && /NO_NEW_PRIVS/.test(e.detail)) {
      lines.push(`${by(e)}prctl(PR_SET_NO_NEW_PRIVS, 1)${ok(e)}`)
    } else if (e.failed) {
      lines.push(call(e))
    }
  }
  if (events.some((e) => e.by && GATE.test(e.by)) && !events.some((e) => /NO_NEW_PRIVS/.test(e.detail))) lines.push('no_new_privs: not set (Docker\'s default; --security-opt no-new-privileges sets it)')
  return lines
}

// ---- the table ----

export const PHASES: Phase[] = [
  {
    id: 'registry',
    title: { en: 'Registry', ko: '레지스트리' },
    why: { en: "the image's manifest lists its layers and config by their sha256 digests", ko: '이미지의 매니페스트에 레이어와 설정이 sha256 다이제스트로 적혀 있습니다' },
    essentials: (ev) => [
      ...ev.filter((e) => e.kind === 'registry' && /\/manifests\//.test(e.detail)).slice(0, 2).map((e) => `${e.op} ${e.detail.replace(/ \(.*$/, '')} = ${e.result ?? ''}`),
      ...ev.filter((e) => e.kind === 'registry' && e.failed && !/\/manifests\//.test(e.detail)).slice(0, 2).map((e) => `${e.op} ${e.detail} = ${e.result ?? ''}`),
      ...pick(ev, { kind: 'note' }).map((e) => e.detail),
    ],
  },
  {
    id: 'layers',
    title: { en: 'Layers', ko: '레이어' },
    why: { en: 'each layer downloaded, checked against its sha256, unpacked in its own directory', ko: '레이어마다 내려받아 sha256을 확인하고 자기 디렉터리에 풉니다' },
    essentials: (ev) => {
      const notes = pick(ev, { kind: 'note' }).map((e) => e.detail)
      const failed = ev.filter((e) => e.failed && e.kind === 'registry').map((e) => `${e.op} ${e.detail} = ${e.result ?? ''}`)
      return [...(notes.length > 6 ? [...notes.slice(0, 5), `… ${notes.length - 5} more layers`] : notes), ...failed.slice(0, 2)]
    },
  },
  {
    id: 'create',
    title: { en: 'The container', ko: '컨테이너' },
    why: { en: 'the image + an empty writable layer + a config; nothing runs yet', ko: '이미지 + 비어 있는 쓰기 레이어 + 설정. 아직 아무것도 실행되지 않습니다' },
    essentials: (ev) => {
      const dir = /^(\S+)\/\{rootfs/.exec(pick(ev, { kind: 'fs', op: 'mkdir' })[0]?.detail ?? '')?.[1]
      const failed = ev.filter((e) => e.failed).map((e) => call(e))
      return dir ? [`${dir}/: upper/ (the writable layer, empty), rootfs/, config.json (the OCI spec)`, ...failed] : failed
    },
  },
  {
    id: 'cgroup',
    title: { en: 'cgroup limits', ko: 'cgroup 제한' },
    why: { en: 'the kernel limits memory, CPU and process count of all that is in the cgroup', ko: '커널이 cgroup 안의 모든 프로세스에 메모리, CPU, 프로세스 수 제한을 겁니다' },
    essentials: (ev) => ev.filter((e) => e.kind === 'cgroup' && e.op !== 'rmdir').map((e) => `${e.op} ${e.detail.replace(/^\/sys\/fs\/cgroup\//, '')}${ok(e)}`).slice(0, 6),
  },
  {
    id: 'namespaces',
    title: { en: 'Namespaces', ko: '네임스페이스' },
    why: { en: 'its own hostname (uts), IPC, mounts (mnt), network (net), PIDs, cgroups', ko: '컨테이너만의 호스트 이름(uts), IPC, 마운트(mnt), 네트워크(net), PID, cgroup' },
    essentials: (ev) =>
      ev
        .filter((e) => /^(unshare|setns|sethostname|setdomainname)$/.test(e.op) && !/^saved /.test(e.detail))
        .map((e) => (e.op === 'unshare' || e.op === 'setns' ? `${call(e)}  → ${nsNames(e.detail)}` : call(e))),
  },
  {
    id: 'rootfs',
    title: { en: 'Root filesystem', ko: '루트 파일시스템' },
    why: { en: "overlayfs stacks the image's read-only layers under one writable layer", ko: 'overlayfs가 이미지의 읽기 전용 레이어 위에 쓰기 레이어 하나를 겹칩니다' },
    essentials: (ev) => pick(ev, { kind: 'mount', detail: /^"overlay"/ }).map(overlayLine),
  },
  {
    id: 'pid1',
    title: { en: 'PID 1 and /proc', ko: 'PID 1과 /proc' },
    why: { en: "a new PID namespace's first process is PID 1; its /proc shows only the container", ko: '새 PID 네임스페이스의 첫 프로세스가 PID 1. 그가 마운트한 /proc에는 컨테이너만 보입니다' },
    essentials: (ev) => {
      const spawned = ev.find((e) => e.kind === 'exec' && /^(posix_spawn|spawn)$/.test(e.op))
      const fork = ev.find((e) => e.op === 'fork')
      const lines: string[] = []
      if (spawned || fork) lines.push(`${spawned ? `posix_spawn(tocker-shim)${ok(spawned)}, ` : ''}${fork ? `${by(fork)}fork() = ${fork.result ?? '?'}${ok(fork)}` : ''}`)
      for (const e of pick(ev, { kind: 'mount' })) lines.push(`${by(e)}mount("proc", /proc, "proc")${ok(e)}`)
      return lines
    },
  },
  {
    id: 'dev',
    title: { en: '/dev, /sys and masked paths', ko: '/dev, /sys, 가려진 경로' },
    why: { en: 'a minimal /dev, a read-only /sys; kernel files about the host are masked', ko: '최소한의 /dev와 읽기 전용 /sys. 호스트를 드러내는 커널 파일은 가립니다' },
    essentials: devLines,
  },
  {
    id: 'volumes',
    title: { en: 'Bind mounts (-v)', ko: '바인드 마운트 (-v)' },
    why: { en: 'a host directory appears inside the container: both sides see the same files', ko: '호스트 디렉터리가 컨테이너 안에 보입니다. 양쪽이 같은 파일을 봅니다' },
    essentials: (ev) => pick(ev, { kind: 'mount', detail: /MS_BIND/ }).filter((e) => !/MS_REMOUNT/.test(e.detail)).map((e) => `bind ${mountSource(e)} → ${inContainer(mountTarget(e))}${ok(e)}`),
  },
  {
    id: 'pivot',
    title: { en: 'pivot_root', ko: 'pivot_root' },
    why: { en: "the merged tree becomes /; the host's root is detached and out of reach", ko: '합쳐진 트리가 /가 되고, 호스트의 루트는 떼어져 닿을 수 없습니다' },
    essentials: (ev) => {
      const root = pick(ev, { kind: 'syscall', op: 'fchdir', detail: /\/rootfs$/ })[0]
      const pivot = pick(ev, { op: 'pivot_root' })[0]
      const umount = pick(ev, { op: 'umount2' })[0]
      if (!pivot) return []
      return [`${root ? `cd ${root.detail}; ` : ''}${call(pivot)}${umount ? `; ${call(umount)}` : ''}`]
    },
  },
  {
    id: 'join',
    title: { en: 'Entering the container', ko: '컨테이너에 들어가기' },
    why: { en: "no new container: a new process joins the running one's namespaces and cgroup", ko: '새 컨테이너가 아니라, 새 프로세스가 실행 중인 컨테이너의 네임스페이스와 cgroup에 들어갑니다' },
    essentials: (ev) => {
      const joined = pick(ev, { op: 'setns' }).map((e) => nsNames(e.detail))
      const lines = joined.length ? [`setns() into the container's ${joined.join(', ')} namespaces`] : []
      for (const e of pick(ev, { op: 'fork' })) lines.push(`${by(e)}fork() = ${e.result ?? '?'}${ok(e)}`)
      return lines
    },
  },
  {
    id: 'security',
    title: { en: 'Capabilities, seccomp', ko: '권한(capability), seccomp' },
    why: { en: "root inside is not the host's root: capabilities dropped, syscalls filtered", ko: '컨테이너의 root는 호스트의 root가 아닙니다: 권한을 버리고 시스템 콜을 거릅니다' },
    essentials: securityLines,
  },
  {
    id: 'network',
    title: { en: 'Network', ko: '네트워크' },
    why: { en: 'a veth pair to the tocker0 bridge, an IP of its own, a DNAT rule per -p', ko: 'tocker0 브리지로 가는 veth 쌍, 자기 IP, -p마다 DNAT 규칙(포트포워딩)' },
    essentials: networkLines,
  },
  {
    id: 'start',
    title: { en: 'The program starts', ko: '프로그램 시작' },
    why: { en: 'execve: the process tocker prepared becomes your program', ko: 'execve: tocker가 준비한 프로세스가 사용자의 프로그램이 됩니다' },
    essentials: (ev) => {
      const parts = ev.flatMap((e) => {
        if (e.op === 'chdir' && e.by) return [`chdir(${e.detail})${ok(e)}`]
        if (e.op === 'getcwd' && e.failed) return [`getcwd: ${e.result}`]
        if (e.op === 'lookup' && e.failed) return [`${e.result}`]
        if (e.op === 'execve') return [`execve(${e.detail})${e.failed ? `  ✗ ${e.result}` : ''}`]
        return []
      })
      const who = ev.find((e) => e.by)?.by
      return parts.length ? [`${who ? `${who}: ` : ''}${parts.join('; ')}`] : []
    },
  },
  {
    id: 'stop',
    title: { en: 'Stopping: signals', ko: '정지: 시그널' },
    why: { en: 'SIGTERM, a grace period (10 s by default), then SIGKILL, which cannot be ignored', ko: 'SIGTERM, 기다리는 시간(기본 10초), 그다음 무시할 수 없는 SIGKILL' },
    essentials: (ev) => ev.flatMap((e) => (e.op === 'kill' ? [`kill(${e.detail.replace(/^(\d+)/, 'PID 1 = $1')})${ok(e)}`] : e.kind === 'note' ? [e.detail] : [])),
  },
  {
    id: 'cleanup',
    title: { en: 'After the exit', ko: '종료 뒤 정리' },
    why: { en: 'its last process gone, the kernel ends its namespaces; tocker frees IP, rules, cgroup', ko: '마지막 프로세스가 끝나면 커널이 네임스페이스를 없애고, tocker는 IP, 규칙, cgroup을 돌려놓습니다' },
    essentials: (ev) =>
      ev.flatMap((e) => {
        if (e.kind === 'note') return [e.detail]
        if (e.kind === 'cgroup') return [`rmdir ${e.detail.replace(/^\/sys\/fs\/cgroup\//, '')}${ok(e)}`]
        if (e.op === 'ip' && /link del (\S+)/.test(e.detail)) {
          const veth = /link del (\S+)/.exec(e.detail)![1]
          return [e.failed ? `ip link del ${veth}: already gone (a veth dies with its network namespace)` : `ip link del ${veth}`]
        }
        if (e.op === 'iptables-restore') return [...e.detail.matchAll(/-D (\S+) -p (\w+) -m \w+ --dport (\d+)[^;]*-j DNAT --to-destination ([^;\s]+)/g)].map((r) => `iptables -t nat -D ${r[1]} -p ${r[2]} --dport ${r[3]} -j DNAT --to-destination ${r[4]}${ok(e)}`)
        return []
      }),
  },
  {
    id: 'remove',
    title: { en: 'Removal', ko: '삭제' },
    why: { en: "the writable layer is deleted: the container's changes are lost when it is removed", ko: '쓰기 레이어를 지웁니다. 컨테이너를 지우면 그 안에서 바꾼 내용은 사라집니다' },
    essentials: (ev) =>
      ev.flatMap((e) => {
        if (e.kind === 'note') return [e.detail]
        const m = /^-rf --one-file-system (\S+)(?: \((.*)\))?$/.exec(e.detail)
        return e.op === 'rm' ? [m ? `rm -rf ${m[1]}${m[2] ? `: ${m[2]}` : ''}${ok(e)}` : `rm ${e.detail}${ok(e)}`] : []
      }),
  },
]

export const PHASE_BY_ID = new Map(PHASES.map((p) => [p.id, p]))

const NS_NAMES: Record<string, string> = { NEWNS: 'mnt', NEWUTS: 'uts', NEWIPC: 'ipc', NEWNET: 'net', NEWPID: 'pid', NEWCGROUP: 'cgroup', NEWUSER: 'user', NEWTIME: 'time' }

/** "CLONE_NEWNS|CLONE_NEWNET" → "mnt net"; "/proc/1/ns/ipc → …" → "ipc". */
function nsNames(detail: string): string {
  const flags = [...detail.matchAll(/CLONE_(NEW[A-Z]+)/g)].map((m) => NS_NAMES[m[1]] ?? m[1])
  if (flags.length) return [...new Set(flags)].join(' ')
  return /\/ns\/(\w+)/.exec(detail)?.[1] ?? '?'
}
