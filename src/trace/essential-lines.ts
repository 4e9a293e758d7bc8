// How a phase's essential lines read (the default --explain view): the events of a phase worded as
// the calls a learner could recognise (mount, mknod, setns, iptables, …), notes in the learner's
// language. phases.ts picks which of these each phase shows.
import { isMessageKey, t, type Lang } from '../i18n/index.js'
import { GATE, matches, type EventPattern } from './phase-rules.js'
import type { TraceEvent } from './trace.js'

/** A note in the learner's language (its catalogue key), else its English detail. */
export const noteText = (e: TraceEvent, l: Lang): string => (e.msg && isMessageKey(e.msg.key) ? t(e.msg.key, e.msg.vars, l) : e.detail)
export const notes = (events: TraceEvent[], l: Lang): string[] => events.filter((e) => e.kind === 'note').map((e) => noteText(e, l))
/** A fork's result, "pid 123 on the host", in the learner's language. */
export const hostPid = (e: TraceEvent, l: Lang): string => {
  const pid = /^pid (\d+) on the host$/.exec(e.result ?? '')?.[1]
  return pid ? t('explain.line.hostPid', { pid }, l) : (e.result ?? '?')
}
export const ok = (e: TraceEvent): string => (e.failed ? `  ✗ ${e.result ?? 'failed'}` : '')
export const by = (e: TraceEvent): string => (e.by ? `${e.by}: ` : '')
/** The events of `events` matching `p`. */
export const pick = (events: TraceEvent[], p: EventPattern): TraceEvent[] => events.filter((e) => matches(e, p))
/** op(detail) with the explanation in parentheses at the end dropped (it is the phase's why). */
export const call = (e: TraceEvent, detail = e.detail): string => `${by(e)}${e.op}(${detail.replace(/ \((?:[^()]|\([^()]*\))*\)$/, '')})${ok(e)}`
/** Mount targets as the container sees them: "…/rootfs/dev/pts" → "/dev/pts". */
export const inContainer = (target: string): string => target.replace(/^.*\/rootfs(?=\/|$)/, '') || '/'
/** The target (second argument) of a mount event's detail. */
export const mountTarget = (e: TraceEvent): string => /^"[^"]*", ([^,]+),/.exec(e.detail)?.[1] ?? ''
export const mountSource = (e: TraceEvent): string => /^"([^"]*)"/.exec(e.detail)?.[1] ?? ''
const mountType = (e: TraceEvent): string => /^"[^"]*", [^,]+, "([^"]*)"/.exec(e.detail)?.[1] ?? ''
const list = (xs: string[], max = 6): string => (xs.length > max ? `${xs.slice(0, max).join(' ')} … (${xs.length})` : xs.join(' '))
const bits = (hex: string): number => [...BigInt(`0x${hex}`).toString(2)].filter((b) => b === '1').length

export function overlayLine(e: TraceEvent, l: Lang): string {
  const target = mountTarget(e)
  const data = /"((?:lowerdir)=[^"]*)"/.exec(e.detail)?.[1] ?? ''
  const lower = /lowerdir=([^,]*)/.exec(data)?.[1] ?? ''
  const counted = /\((\d+) layers?/.exec(e.detail)
  // the container's init layer (its mount points) is no image layer
  const init = /^[^:]*\/containers\/[0-9a-f]{12,64}\/init(:|$)/.test(lower)
  const layers = (counted ? Number(counted[1]) : lower ? lower.split(':').length : 0) - (init ? 1 : 0)
  const upper = /upperdir=([^,]*)/.exec(data)?.[1]
  const volatile = /(^|,)volatile(,|$)/.test(data)
  return `${t(layers === 1 ? 'explain.line.overlay.one' : 'explain.line.overlay', { target, n: layers }, l)}${init ? t('explain.line.overlay.init', {}, l) : ''}${
    upper ? t(volatile ? 'explain.line.overlay.upper.volatile' : 'explain.line.overlay.upper', { upper: upper.replace(/^.*\//, '') }, l) : ''
  }${ok(e)}`
}

export function devLines(events: TraceEvent[], l: Lang): string[] {
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

export function networkLines(events: TraceEvent[], l: Lang): string[] {
  const lines: string[] = []
  for (const e of events) {
    const d = e.detail
    if (e.op === 'ip' && /link add (\S+)[^;]* type bridge/.test(d)) {
      const addr = /addr add (\S+) dev/.exec(d)?.[1]
      const forward = events.some((x) => x.op === 'sysctl' && /ip_forward=1/.test(x.detail))
      lines.push(`${t('explain.line.bridge', { bridge: /link add (\S+)/.exec(d)![1], addr: addr ?? '?', forward: forward ? '; ip_forward=1' : '' }, l)}${ok(e)}`)
    } else if (e.op === 'rtnetlink' && /type veth peer name/.test(d)) {
      const m = /link add (\S+) master (\S+) .*peer name (\S+)/.exec(d)
      lines.push(m ? `${t('explain.line.veth', { host: m[1], bridge: m[2], peer: m[3] }, l)}${ok(e)}` : call(e))
    } else if (e.op === 'rtnetlink' && /addr add/.test(d)) {
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

export function securityLines(events: TraceEvent[], l: Lang): string[] {
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

const NS_NAMES: Record<string, string> = { NEWNS: 'mnt', NEWUTS: 'uts', NEWIPC: 'ipc', NEWNET: 'net', NEWPID: 'pid', NEWCGROUP: 'cgroup', NEWUSER: 'user', NEWTIME: 'time' }

/** "CLONE_NEWNS|CLONE_NEWNET" → "mnt net"; "/proc/1/ns/ipc → …" → "ipc". */
export function nsNames(detail: string): string {
  const flags = [...detail.matchAll(/CLONE_(NEW[A-Z]+)/g)].map((m) => NS_NAMES[m[1]] ?? m[1])
  if (flags.length) return [...new Set(flags)].join(' ')
  return /\/ns\/(\w+)/.exec(detail)?.[1] ?? '?'
}
