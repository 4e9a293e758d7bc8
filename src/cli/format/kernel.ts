// The kernel view of a container (`tocker kernel`) and what a --step phase changed, as text for a
// learner (or a teacher's projector): English labels, Korean under a Korean locale.
import type { KernelChanges, KernelMount, KernelView } from '../../api/types.js'
import { text } from '../../i18n/index.js'
import { PHASE_BY_ID, type PhaseId } from '../../trace/phases.js'
import { shortenPaths } from '../../trace/explain.js'

const L = {
  namespaces: { en: 'Namespaces', ko: '네임스페이스' },
  nsHead: { en: '  type     container     host          ', ko: '  종류     컨테이너      호스트        ' },
  own: { en: 'its own', ko: '자기 것' },
  shared: { en: 'shared with the host', ko: '호스트와 같음' },
  root: { en: 'Root filesystem', ko: '루트 파일시스템' },
  mounts: { en: 'Mounts (its /proc/{pid}/mountinfo)', ko: '마운트 (/proc/{pid}/mountinfo)' },
  cgroup: { en: 'cgroup', ko: 'cgroup' },
  network: { en: 'Network', ko: '네트워크' },
  security: { en: 'Capabilities, seccomp, no_new_privs', ko: '권한(capability), seccomp, no_new_privs' },
} as const

const SECCOMP_MODES = ['disabled', 'strict', 'filter']

/** Space-separated items, wrapped at `width` with an indent. */
function wrap(items: string[], indent: string, width = 100): string[] {
  const lines: string[] = []
  let cur = indent
  for (const it of items) {
    if (cur.length > indent.length && cur.length + 1 + it.length > width) {
      lines.push(cur)
      cur = indent
    }
    cur += (cur.length > indent.length ? ' ' : '') + it
  }
  if (cur.length > indent.length) lines.push(cur)
  return lines
}

const ROLE_LABEL: Record<string, { en: string; ko: string }> = {
  root: { en: 'root', ko: '루트' },
  proc: { en: 'proc', ko: 'proc' },
  dev: { en: '/dev', ko: '/dev' },
  sys: { en: '/sys', ko: '/sys' },
  etc: { en: "files from the container's directory", ko: '컨테이너 디렉터리의 파일' },
  masked: { en: 'masked (hidden)', ko: '가려진 경로' },
  readonly: { en: 'read-only', ko: '읽기 전용' },
  bind: { en: 'bind mounts (-v)', ko: '바인드 마운트 (-v)' },
  other: { en: 'other', ko: '기타' },
}

function mountLines(mounts: KernelMount[], indent: string): string[] {
  const lines: string[] = []
  const byRole = new Map<string, KernelMount[]>()
  for (const m of mounts) byRole.set(m.Role, [...(byRole.get(m.Role) ?? []), m])
  for (const [role, ms] of byRole) {
    const ro = (m: KernelMount): string => (/(^|,)ro(,|$)/.test(m.Options) ? '(ro)' : '')
    const items = ms.map((m) => {
      if (role === 'masked' || role === 'readonly' || role === 'etc') return m.Target
      if (role === 'bind') return `${m.Target}${ro(m)}←${m.Root}`
      // A device node bound from the container's /dev tmpfs: its name says it all.
      if (m.Root !== '/' && role === 'dev') return m.Target
      return `${m.Target}=${m.FsType}${ro(m)}`
    })
    lines.push(...wrap([`${text(ROLE_LABEL[role] ?? { en: role })}:`, ...items], indent))
  }
  return lines
}

const caps = (names: string[], max = 8): string => (names.length === 0 ? text({ en: 'none', ko: '없음' }) : `${names.length}: ${names.slice(0, max).map((n) => n.replace(/^CAP_/, '')).join(' ')}${names.length > max ? ' …' : ''}`)

/** `tocker kernel CONTAINER`: the whole view. */
export function formatKernelView(v: KernelView, root?: string): string {
  const out: string[] = []
  const s = (l: string): number => out.push(shortenPaths(l, root))
  s(`${v.Name.replace(/^\//, '')} (${v.Id.slice(0, 12)}): PID 1 = ${v.Pid} ${text({ en: 'on the host', ko: '(호스트에서 본 PID)' })}`)
  s('')
  s(text(L.namespaces))
  s(text(L.nsHead))
  for (const n of v.Namespaces) s(`  ${n.Type.padEnd(8)} ${n.Container.padEnd(13)} ${n.Host.padEnd(13)} ${n.Shared ? text(L.shared) : text(L.own)}`)
  s('')
  s(text(L.root))
  const r = v.Root
  if (r.FsType === 'overlay') {
    s(`  / = overlay: ${r.Layers ?? '?'} ${text({ en: 'image layer(s), read-only', ko: '개의 이미지 레이어 (읽기 전용)' })} + upperdir ${text({ en: '(writable)', ko: '(쓰기 가능)' })}`)
    for (const [i, d] of (r.LowerDirs ?? []).entries()) if (i < 4 || i === (r.LowerDirs?.length ?? 0) - 1) s(`    lowerdir ${i + 1}: ${d}`)
    if ((r.LowerDirs?.length ?? 0) > 5) s(`    … ${(r.LowerDirs?.length ?? 0) - 5} ${text({ en: 'more', ko: '개 더' })}`)
    if (r.InitDir) s(`    init:     ${r.InitDir} ${text({ en: '(its mount points: /proc /sys /dev /etc/hosts …, read-only)', ko: '(마운트 지점: /proc /sys /dev /etc/hosts …, 읽기 전용)' })}`)
    if (r.UpperDir) s(`    upperdir: ${r.UpperDir}`)
    if (r.WorkDir) s(`    workdir:  ${r.WorkDir}`)
  } else {
    s(`  / = ${r.FsType}`)
  }
  s(`  MergedDir ${r.MergedDir}: ${text({ en: `empty on the host; the merged tree is at ${r.SeeAt}/`, ko: `호스트에서는 비어 있습니다. 합쳐진 트리는 ${r.SeeAt}/ 에서 보입니다` })}`)
  s('')
  s(text(L.mounts, { pid: v.Pid }))
  for (const l of mountLines(v.Mounts, '  ')) s(l)
  if (v.MountsTruncated) s(`  … ${text({ en: '(more: only the first MiB was read)', ko: '(더 있음: 처음 1 MiB만 읽었습니다)' })}`)
  s('')
  s(text(L.cgroup))
  if (v.Cgroup.Own) {
    s(`  ${v.Cgroup.Path}${v.Cgroup.Dir ? `  (${v.Cgroup.Dir})` : ''}`)
    for (const l of wrap(Object.entries(v.Cgroup.Files).map(([k, val]) => `${k}=${val}`), '    ')) s(l)
  } else {
    s(`  ${v.Cgroup.Path || '?'}: ${text({ en: 'no cgroup of its own (no limits were asked for, or this host has no usable cgroup v2)', ko: '자기 cgroup이 없습니다 (제한을 주지 않았거나 이 호스트에 쓸 수 있는 cgroup v2가 없습니다)' })}`)
  }
  s('')
  s(text(L.network))
  const net = v.Network
  if (!net) {
    s(`  ${text({ en: 'none (--network none or host)', ko: '없음 (--network none 또는 host)' })}`)
  } else {
    for (const i of net.Interfaces) {
      const peer = i.Name === 'eth0' && net.HostVeth ? `  ↔ ${net.HostVeth.Name} ${text({ en: 'on', ko: '→' })} ${net.HostVeth.Master ?? '?'}${net.Bridge ? ` (${net.Bridge.Addresses.join(' ')})` : ''}` : ''
      s(`  ${i.Name.padEnd(5)} ${i.Addresses.join(' ') || '-'}${i.Mac && i.Name !== 'lo' ? ` ${i.Mac}` : ''}${peer}`)
    }
    for (const rule of net.Rules) s(`  iptables ${rule.replace(/ -m comment --comment "?tocker:[^" ]+"?/, '')}`)
    if (net.Rules.length === 0) s(`  ${text({ en: 'no iptables rules of its own (no -p)', ko: '자기 iptables 규칙 없음 (-p 없음)' })}`)
  }
  s('')
  s(text(L.security))
  const p = v.Process
  s(`  uid ${p.Uid}, gid ${p.Gid}`)
  s(`  CapEff ${p.CapEff}  ${caps(p.CapEffNames)}`)
  s(`  CapBnd ${p.CapBnd}  ${caps(p.CapBndNames)}`)
  s(`  Seccomp ${p.Seccomp} (${SECCOMP_MODES[p.Seccomp] ?? '?'}), ${p.SeccompFilters} ${text({ en: 'filter(s)', ko: '개의 필터' })}; NoNewPrivs ${p.NoNewPrivs ? 1 : 0}`)
  return out.join('\n') + '\n'
}

/** --step: what the phase that just ended changed in the kernel. */
export function formatChanges(phase: string, changes: unknown, root?: string): string[] {
  const c = (changes ?? {}) as KernelChanges
  const title = PHASE_BY_ID.get(phase as PhaseId)?.title
  const out = [`  ⏸ ${text({ en: 'in the kernel now', ko: '지금 커널에서는' })} (${title ? text(title) : phase}):`]
  const add = (l: string): number => out.push(shortenPaths(l, root))
  if (c.Error) add(`    ${text({ en: 'could not look', ko: '볼 수 없었습니다' })}: ${c.Error}`)
  if (c.Gone) add(`    ${text({ en: 'its first process is gone: its namespaces went with it', ko: '첫 프로세스가 끝났습니다: 네임스페이스도 함께 사라졌습니다' })}`)
  if (c.Namespaces?.length) {
    add(`    ${text({ en: 'namespaces (container vs host)', ko: '네임스페이스 (컨테이너 / 호스트)' })}:`)
    for (const l of wrap(c.Namespaces.map((n) => `${n.Type} ${n.Container}${n.Shared ? '=' : '≠'}${n.Host}`), '      ')) add(l)
  }
  if (c.MountsAdded?.length) {
    const under = c.MountsAdded.find((m) => m.Under)?.Under
    add(`    + ${c.MountsAdded.length} mount(s)${under ? ` ${text({ en: 'under', ko: '위치' })} ${under} ${text({ en: "(the container's / to be)", ko: '(곧 컨테이너의 /)' })}` : ''}:`)
    for (const l of mountLines(c.MountsAdded, '      ')) add(l)
  }
  if (c.MountsNowRoot) add(`    = ${c.MountsNowRoot} ${text({ en: 'mounts: the overlay and everything on it are now its / tree', ko: '개의 마운트: overlay와 그 위의 모든 것이 이제 컨테이너의 / 트리입니다' })}`)
  if (c.MountsRemoved?.length) {
    const old = c.MountsRemoved.filter((m) => !m.Under)
    add(
      `    - ${c.MountsRemoved.length} mount(s) ${text({ en: 'gone from its view', ko: '보이지 않게 됨' })}${
        old.length > 3 ? ` ${text({ en: "(the host's, with the old root)", ko: '(이전 루트와 함께 떨어져 나간 호스트의 마운트)' })}` : `: ${c.MountsRemoved.map((m) => m.Target).join(' ')}`
      }`,
    )
  }
  if (c.Process) {
    const p = c.Process
    const parts: string[] = []
    if (p.Uid !== undefined) parts.push(`uid ${p.Uid} gid ${p.Gid ?? '?'}`)
    if (p.CapBnd !== undefined) parts.push(`CapBnd ${caps(p.CapBndNames ?? [], 4)}`)
    if (p.CapEff !== undefined) parts.push(`CapEff ${caps(p.CapEffNames ?? [], 4)}`)
    if (p.Seccomp !== undefined) parts.push(`Seccomp ${p.Seccomp} (${SECCOMP_MODES[p.Seccomp] ?? '?'})`)
    if (p.SeccompFilters !== undefined) parts.push(`${p.SeccompFilters} filter(s)`)
    if (p.NoNewPrivs !== undefined) parts.push(`NoNewPrivs ${p.NoNewPrivs ? 1 : 0}`)
    if (parts.length) add(`    /proc/<pid>/status: ${parts.join('; ')}`)
  }
  if (c.Cgroup) add(`    cgroup ${c.Cgroup.Path}${Object.keys(c.Cgroup.Files).length ? `: ${Object.entries(c.Cgroup.Files).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`)
  for (const i of c.Interfaces ?? []) add(`    ${text({ en: 'in its network namespace', ko: '컨테이너 네트워크 네임스페이스' })}: ${i.Name} ${i.State ?? ''} ${i.Addresses.join(' ')}`)
  if (c.HostVeth) add(`    ${text({ en: 'on the host', ko: '호스트' })}: ${c.HostVeth.Name} ${c.HostVeth.Exists ? `→ ${c.HostVeth.Master ?? '?'}` : text({ en: 'gone', ko: '사라짐' })}`)
  for (const r of c.RulesAdded ?? []) add(`    + iptables ${r.replace(/ -m comment --comment "?tocker:[^" ]+"?/, '')}`)
  for (const r of c.RulesRemoved ?? []) add(`    - iptables ${r.replace(/ -m comment --comment "?tocker:[^" ]+"?/, '')}`)
  if (out.length === 1) add(`    ${text({ en: 'nothing the view shows changed', ko: '보이는 변화 없음' })}`)
  return out
}
