// The phases of `tocker --explain`: every traced action belongs to one of them, and each maps to a
// concept of the tutorials (image layers → overlay root, namespaces, PID 1 and /proc, …). This
// file is data: the table of phases (titles and one-sentence whys in English and Korean, the lines
// a learner sees by default) and the rules saying which event belongs where. explain.ts renders it.
//
// An event the rules do not place (a path check, a lock, a socketpair) belongs to the phase of the
// event before it: it is part of that step's machinery, shown only by --explain=full.
import { isMessageKey, MESSAGES, t, type Lang, type Text } from '../i18n/index.js'
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
  | 'rmi'
  | 'copy'
  | 'commit'

export interface Phase {
  id: PhaseId
  title: Text
  /** One sentence: why this happens. */
  why: Text
  /** The phase's few essential lines, from its events, in language `l` (paths shortened later). */
  essentials(events: TraceEvent[], l: Lang): string[]
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
  // cp / export (engine/archive/): the in-root resolution; commit's note, then its freezer writes (engine/pause.ts)
  { phase: 'copy', when: { kind: 'note', op: 'cp' } },
  { phase: 'copy', when: { kind: 'syscall', op: 'openat2', detail: /RESOLVE_IN_ROOT: the container's "\/"/ } },
  { phase: 'commit', when: { kind: 'note', op: 'commit' } },
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
  { phase: 'remove', when: { kind: 'fs', op: 'rm' } }, // a container's directory removed in-process (engine/remove-tree.ts)
  { phase: 'remove', when: { kind: 'note', op: 'remove' } },
  { phase: 'rmi', when: { kind: 'note', op: 'rmi' } },
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
  // no mount namespace in the config: chroot of PID 1 instead (runtime/shared-mounts.ts)
  { phase: 'pivot', when: { kind: 'note', op: 'chroot' } },
  { phase: 'pivot', when: { op: 'chroot', by: GATE } },
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

/** A note in the learner's language (its catalogue key), else its English detail. */
export const noteText = (e: TraceEvent, l: Lang): string => (e.msg && isMessageKey(e.msg.key) ? t(e.msg.key, e.msg.vars, l) : e.detail)
const notes = (events: TraceEvent[], l: Lang): string[] => events.filter((e) => e.kind === 'note').map((e) => noteText(e, l))
/** A fork's result, "pid 123 on the host", in the learner's language. */
const hostPid = (e: TraceEvent, l: Lang): string => {
  const pid = /^pid (\d+) on the host$/.exec(e.result ?? '')?.[1]
  return pid ? t('explain.line.hostPid', { pid }, l) : (e.result ?? '?')
}
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

function overlayLine(e: TraceEvent, l: Lang): string {
  const target = mountTarget(e)
  const data = /"((?:lowerdir)=[^"]*)"/.exec(e.detail)?.[1] ?? ''
  const lower = /lowerdir=([^,]*)/.exec(data)?.[1] ?? ''
  const counted = /\((\d+) layers?/.exec(e.detail)
  // the container's init layer (its mount points) is no image layer
  const init = /^[^:]*\/containers\/[0-9a-f]{12,64}\/init(:|$)/.test(lower)
  const layers = (counted ? Number(counted[1]) : lower ? lower.split(':').length : 0) - (init ? 1 : 0)
  const upper = /upperdir=([^,]*)/.exec(data)?.[1]
  return `${t(layers === 1 ? 'explain.line.overlay.one' : 'explain.line.overlay', { target, n: layers }, l)}${init ? t('explain.line.overlay.init', {}, l) : ''}${
    upper ? t('explain.line.overlay.upper', { upper: upper.replace(/^.*\//, '') }, l) : ''
  }${ok(e)}`
}

function devLines(events: TraceEvent[], l: Lang): string[] {
  const mounts = pick(events, { kind: 'mount', op: 'mount' })
  const fresh = mounts.filter((e) => !/MS_BIND|MS_REMOUNT|MS_REC\|MS_(PRIVATE|SLAVE)/.test(e.detail) && mountType(e) !== '')
  const masked = mounts.filter((e) => /\/(proc|sys)\//.test(inContainer(mountTarget(e))) && (mountType(e) === 'tmpfs' || /\/null", /.test(e.detail)))
  const readonly = mounts.filter((e) => /MS_RDONLY/.test(e.detail) && /MS_REMOUNT\|MS_BIND/.test(e.detail) && /^\/(proc|sys)\//.test(inContainer(mountTarget(e))))
  const nodes = pick(events, { kind: 'fs', op: 'mknod' }).map((e) => /\/([^/,]+), /.exec(e.detail)?.[1] ?? '?')
  const etc = mounts.filter((e) => /^\/etc\//.test(inContainer(mountTarget(e))) && /MS_BIND/.test(e.detail)).map((e) => inContainer(mountTarget(e)))
  const lines: string[] = []
  const filesystems = fresh.filter((e) => !masked.includes(e)).map((e) => `${inContainer(mountTarget(e))}=${mountType(e)}${/MS_RDONLY/.test(e.detail) ? '(ro)' : ''}`)
  if (filesystems.length) lines.push(`mount ${list(filesystems, 8)}`)
  if (nodes.length) lines.push(t('explain.line.mknod', { nodes: nodes.join(',') }, l))
  const hidden = [
    ...(masked.length ? [t('explain.line.masked', { paths: list(masked.map((e) => inContainer(mountTarget(e))), 4) }, l)] : []),
    ...(readonly.length ? [t('explain.line.readonly', { paths: list(readonly.map((e) => inContainer(mountTarget(e))), 4) }, l)] : []),
  ]
  if (hidden.length) lines.push(hidden.join('; '))
  if (etc.length) lines.push(t('explain.line.etc', { files: [...new Set(etc)].join(' ') }, l))
  const failed = events.filter((e) => e.failed && e.kind === 'mount')
  for (const e of failed.slice(0, 2)) lines.push(call(e))
  return lines
}

function networkLines(events: TraceEvent[], l: Lang): string[] {
  const lines: string[] = []
  for (const e of events) {
    const d = e.detail
    if (e.op === 'ip' && /link add (\S+)[^;]* type bridge/.test(d)) {
      const addr = /addr add (\S+) dev/.exec(d)?.[1]
      const forward = events.some((x) => x.op === 'sysctl' && /ip_forward=1/.test(x.detail))
      lines.push(`${t('explain.line.bridge', { bridge: /link add (\S+)/.exec(d)![1], addr: addr ?? '?', forward: forward ? '; ip_forward=1' : '' }, l)}${ok(e)}`)
    } else if (e.op === 'ip' && /type veth peer name/.test(d)) {
      const m = /link add (\S+) master (\S+) .*peer name (\S+)/.exec(d)
      lines.push(m ? `${t('explain.line.veth', { host: m[1], bridge: m[2], peer: m[3] }, l)}${ok(e)}` : call(e))
    } else if (e.op === 'nsenter' && /addr add/.test(d)) {
      const addr = /addr add ([^;\s]+) dev ([^;\s]+)/.exec(d)
      const gw = /route add default via ([^;\s]+)/.exec(d)?.[1]
      lines.push(`${t('explain.line.address', { dev: addr?.[2] ?? '?', addr: addr?.[1] ?? '', gw: gw ? t('explain.line.gateway', { gw }, l) : '' }, l)}${ok(e)}`)
    } else if (e.op === 'iptables-restore' && /-j DNAT/.test(d)) {
      for (const r of d.matchAll(/-A (\S+) -p (\w+) -m \w+ --dport (\d+)[^;]*-j DNAT --to-destination ([^;\s]+)/g)) lines.push(`iptables -t nat -A ${r[1]} -p ${r[2]} --dport ${r[3]} -j DNAT --to-destination ${r[4]}${ok(e)}`)
    } else if (e.op === 'bind') {
      lines.push(t('explain.line.portBind', { call: call(e) }, l))
    } else if (e.failed && !/does not exist|Cannot find device/.test(e.result ?? '')) {
      lines.push(call(e))
    }
  }
  return lines
}

function securityLines(events: TraceEvent[], l: Lang): string[] {
  const lines: string[] = []
  for (const e of events) {
    if (e.op === 'seccomp' && e.by) {
      const n = /(\d+) BPF instructions/.exec(e.detail)?.[1]
      const rules = /\((\d+) rules, default ([^,]+),/.exec(e.detail)
      lines.push(`${by(e)}seccomp(SECCOMP_SET_MODE_FILTER): ${n ?? '?'} BPF instructions${rules ? ` from ${rules[1]} rules, default ${rules[2]}` : ''}${ok(e)}`)
    } else if (e.op === 'prctl' && /PR_CAPBSET_DROP/.test(e.detail)) {
      const kept = /0x([0-9a-f]+)/.exec(e.detail)?.[1]
      const dropped = /x (\d+):/.exec(e.detail)?.[1]
      lines.push(`${t('explain.line.bounding', { who: by(e), kept: kept ? bits(kept) : '?', dropped: dropped ?? '?' }, l)}${ok(e)}`)
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
  if (events.some((e) => e.by && GATE.test(e.by)) && !events.some((e) => /NO_NEW_PRIVS/.test(e.detail))) lines.push(t('explain.line.noNewPrivs.off', {}, l))
  return lines
}

// ---- the table ----

export const PHASES: Phase[] = [
  {
    id: 'registry',
    title: MESSAGES['explain.phase.registry.title'],
    why: MESSAGES['explain.phase.registry.why'],
    essentials: (ev, l) => [
      ...ev.filter((e) => e.kind === 'registry' && /\/manifests\//.test(e.detail)).slice(0, 2).map((e) => `${e.op} ${e.detail.replace(/ \(.*$/, '')} = ${e.result ?? ''}`),
      ...ev.filter((e) => e.kind === 'registry' && e.failed && !/\/manifests\//.test(e.detail)).slice(0, 2).map((e) => `${e.op} ${e.detail} = ${e.result ?? ''}`),
      ...notes(ev, l),
    ],
  },
  {
    id: 'layers',
    title: MESSAGES['explain.phase.layers.title'],
    why: MESSAGES['explain.phase.layers.why'],
    essentials: (ev, l) => {
      const layers = notes(ev, l)
      const failed = ev.filter((e) => e.failed && e.kind === 'registry').map((e) => `${e.op} ${e.detail} = ${e.result ?? ''}`)
      return [...(layers.length > 6 ? [...layers.slice(0, 5), t('explain.line.layersMore', { n: layers.length - 5 }, l)] : layers), ...failed.slice(0, 2)]
    },
  },
  {
    id: 'create',
    title: MESSAGES['explain.phase.create.title'],
    why: MESSAGES['explain.phase.create.why'],
    essentials: (ev, l) => {
      const dir = /^(\S+)\/\{rootfs/.exec(pick(ev, { kind: 'fs', op: 'mkdir' })[0]?.detail ?? '')?.[1]
      const failed = ev.filter((e) => e.failed).map((e) => call(e))
      return dir ? [t('explain.line.create', { dir }, l), ...failed] : failed
    },
  },
  {
    id: 'cgroup',
    title: MESSAGES['explain.phase.cgroup.title'],
    why: MESSAGES['explain.phase.cgroup.why'],
    essentials: (ev) => ev.filter((e) => e.kind === 'cgroup' && e.op !== 'rmdir').map((e) => `${e.op} ${e.detail.replace(/^\/sys\/fs\/cgroup\//, '')}${ok(e)}`).slice(0, 6),
  },
  {
    id: 'namespaces',
    title: MESSAGES['explain.phase.namespaces.title'],
    why: MESSAGES['explain.phase.namespaces.why'],
    essentials: (ev) =>
      ev
        .filter((e) => /^(unshare|setns|sethostname|setdomainname)$/.test(e.op) && !/^saved /.test(e.detail))
        .map((e) => (e.op === 'unshare' || e.op === 'setns' ? `${call(e)}  → ${nsNames(e.detail)}` : call(e))),
  },
  {
    id: 'rootfs',
    title: MESSAGES['explain.phase.rootfs.title'],
    why: MESSAGES['explain.phase.rootfs.why'],
    essentials: (ev, l) => pick(ev, { kind: 'mount', detail: /^"overlay"/ }).map((e) => overlayLine(e, l)),
  },
  {
    id: 'pid1',
    title: MESSAGES['explain.phase.pid1.title'],
    why: MESSAGES['explain.phase.pid1.why'],
    essentials: (ev, l) => {
      const spawned = ev.find((e) => e.kind === 'exec' && /^(posix_spawn|spawn)$/.test(e.op))
      const fork = ev.find((e) => e.op === 'fork')
      const lines: string[] = []
      if (spawned || fork) lines.push(`${spawned ? `posix_spawn(tocker-shim)${ok(spawned)}, ` : ''}${fork ? `${by(fork)}fork() = ${hostPid(fork, l)}${ok(fork)}` : ''}`)
      for (const e of pick(ev, { kind: 'mount' })) lines.push(`${by(e)}mount("proc", /proc, "proc")${ok(e)}`)
      return lines
    },
  },
  {
    id: 'dev',
    title: MESSAGES['explain.phase.dev.title'],
    why: MESSAGES['explain.phase.dev.why'],
    essentials: devLines,
  },
  {
    id: 'volumes',
    title: MESSAGES['explain.phase.volumes.title'],
    why: MESSAGES['explain.phase.volumes.why'],
    essentials: (ev) => pick(ev, { kind: 'mount', detail: /MS_BIND/ }).filter((e) => !/MS_REMOUNT/.test(e.detail)).map((e) => `bind ${mountSource(e)} → ${inContainer(mountTarget(e))}${ok(e)}`),
  },
  {
    id: 'pivot',
    title: MESSAGES['explain.phase.pivot.title'],
    why: MESSAGES['explain.phase.pivot.why'],
    essentials: (ev, l) => {
      const root = pick(ev, { kind: 'syscall', op: 'fchdir', detail: /\/rootfs$/ })[0]
      const pivot = pick(ev, { op: 'pivot_root' })[0]
      const umount = pick(ev, { op: 'umount2' })[0]
      const chroot = pick(ev, { kind: 'syscall', op: 'chroot' })[0]
      if (!pivot && chroot) return [...notes(ev, l), call(chroot)]
      if (!pivot) return []
      return [`${root ? `cd ${root.detail}; ` : ''}${call(pivot)}${umount ? `; ${call(umount)}` : ''}`]
    },
  },
  {
    id: 'join',
    title: MESSAGES['explain.phase.join.title'],
    why: MESSAGES['explain.phase.join.why'],
    essentials: (ev, l) => {
      const joined = pick(ev, { op: 'setns' }).map((e) => nsNames(e.detail))
      const lines = joined.length ? [t('explain.line.join', { namespaces: joined.join(', ') }, l)] : []
      for (const e of pick(ev, { op: 'fork' })) lines.push(`${by(e)}fork() = ${hostPid(e, l)}${ok(e)}`)
      return lines
    },
  },
  {
    id: 'security',
    title: MESSAGES['explain.phase.security.title'],
    why: MESSAGES['explain.phase.security.why'],
    essentials: securityLines,
  },
  {
    id: 'network',
    title: MESSAGES['explain.phase.network.title'],
    why: MESSAGES['explain.phase.network.why'],
    essentials: networkLines,
  },
  {
    id: 'start',
    title: MESSAGES['explain.phase.start.title'],
    why: MESSAGES['explain.phase.start.why'],
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
    title: MESSAGES['explain.phase.stop.title'],
    why: MESSAGES['explain.phase.stop.why'],
    essentials: (ev, l) => ev.flatMap((e) => (e.op === 'kill' ? [`kill(${e.detail.replace(/^(\d+)/, 'PID 1 = $1')})${ok(e)}`] : e.kind === 'note' ? [noteText(e, l)] : [])),
  },
  {
    id: 'cleanup',
    title: MESSAGES['explain.phase.cleanup.title'],
    why: MESSAGES['explain.phase.cleanup.why'],
    essentials: (ev, l) =>
      ev.flatMap((e) => {
        if (e.kind === 'note') return [noteText(e, l)]
        if (e.kind === 'cgroup') return [`rmdir ${e.detail.replace(/^\/sys\/fs\/cgroup\//, '')}${ok(e)}`]
        if (e.op === 'ip' && /link del (\S+)/.test(e.detail)) {
          const veth = /link del (\S+)/.exec(e.detail)![1]
          return [e.failed ? t('explain.line.vethGone', { veth }, l) : `ip link del ${veth}`]
        }
        if (e.op === 'iptables-restore') {
          return [...e.detail.matchAll(/-D (\S+) -p (\w+) -m \w+ --dport (\d+)[^;]*-j DNAT --to-destination ([^;\s]+)/g)].map((r) => `iptables -t nat -D ${r[1]} -p ${r[2]} --dport ${r[3]} -j DNAT --to-destination ${r[4]}${ok(e)}`)
        }
        return []
      }),
  },
  {
    id: 'remove',
    title: MESSAGES['explain.phase.remove.title'],
    why: MESSAGES['explain.phase.remove.why'],
    essentials: (ev, l) =>
      ev.flatMap((e) => {
        if (e.kind === 'note') return [noteText(e, l)]
        const m = /^-rf --one-file-system (\S+)(?: \((.*)\))?$/.exec(e.detail)
        if (e.op !== 'rm') return []
        // a container's directory: say what went with it (upper/ is the writable layer)
        if (m && /\/containers\/[0-9a-f]{12,64}$/.test(m[1])) return [`${t('explain.line.rmContainer', { dir: m[1] }, l)}${ok(e)}`]
        return [m ? `rm -rf ${m[1]}${m[2] ? `: ${m[2]}` : ''}${ok(e)}` : `rm ${e.detail}${ok(e)}`]
      }),
  },
  {
    id: 'rmi',
    title: MESSAGES['explain.phase.rmi.title'],
    why: MESSAGES['explain.phase.rmi.why'],
    essentials: notes,
  },
  {
    id: 'copy',
    title: MESSAGES['explain.phase.copy.title'],
    why: MESSAGES['explain.phase.copy.why'],
    essentials: (ev, l) => ev.flatMap((e) => (e.kind === 'note' ? [noteText(e, l)] : e.op === 'openat2' ? [call(e, e.detail.replace(/ \(RESOLVE_IN_ROOT: the container's "\/"\)/, ''))] : [])).slice(0, 8),
  },
  {
    id: 'commit',
    title: MESSAGES['explain.phase.commit.title'],
    why: MESSAGES['explain.phase.commit.why'],
    essentials: (ev, l) => ev.flatMap((e) => (e.kind === 'note' ? [noteText(e, l)] : e.kind === 'cgroup' ? [`write ${e.detail}${ok(e)}`] : [])),
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
