// The phases of `tocker --explain`: every traced action belongs to one of them, and each maps to a
// concept of the tutorials (image layers → overlay root, namespaces, PID 1 and /proc, …). This
// file is data: the table of phases (titles and one-sentence whys in English and Korean, the lines
// a learner sees by default). explain.ts renders it. Which event belongs where: phase-rules.ts; how
// the lines word the events: essential-lines.ts.
//
// An event the rules do not place (a path check, a lock, a socketpair) belongs to the phase of the
// event before it: it is part of that step's machinery, shown only by --explain=full.
import { MESSAGES, t, type Lang, type Text } from '../i18n/index.js'
import { by, call, devLines, hostPid, inContainer, mountSource, mountTarget, networkLines, noteText, notes, nsNames, ok, overlayLine, pick, securityLines } from './essential-lines.js'
import type { PhaseId } from './phase-rules.js'
import type { TraceEvent } from './trace.js'

export type { PhaseId } from './phase-rules.js'

export interface Phase {
  id: PhaseId
  title: Text
  /** One sentence: why this happens. */
  why: Text
  /** The phase's few essential lines, from its events, in language `l` (paths shortened later). */
  essentials(events: TraceEvent[], l: Lang): string[]
}

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
    // The writes, then how PID 1 got in (born there by clone3, or moved: the note, create.ts).
    essentials: (ev, l) => [
      ...ev.filter((e) => e.kind === 'cgroup' && e.op !== 'rmdir').map((e) => `${e.op} ${e.detail.replace(/^\/sys\/fs\/cgroup\//, '')}${ok(e)}`).slice(0, 6),
      ...notes(pick(ev, { kind: 'note', op: 'cgroup' }), l),
    ],
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
      // fork(), or clone3(CLONE_INTO_CGROUP) where PID 1 is born in its cgroup (a refused clone3 is --explain=full's)
      const fork = ev.find((e) => e.op === 'fork' || (e.op === 'clone3' && !e.failed)) ?? ev.find((e) => e.op === 'clone3')
      const lines: string[] = []
      const call3 = (e: TraceEvent): string => (e.op === 'clone3' ? 'clone3(CLONE_INTO_CGROUP)' : 'fork()')
      if (spawned || fork) lines.push(`${spawned ? `posix_spawn(tocker-shim)${ok(spawned)}, ` : ''}${fork ? `${by(fork)}${call3(fork)} = ${hostPid(fork, l)}${ok(fork)}` : ''}`)
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
      // fork(), or clone3(CLONE_INTO_CGROUP) where the process is born in the container's cgroup (a refused clone3 is --explain=full's)
      const made = pick(ev, { op: /^(fork|clone3)$/ }).filter((e) => !e.failed)
      for (const e of made.length ? made : pick(ev, { op: /^(fork|clone3)$/ })) lines.push(`${by(e)}${e.op === 'clone3' ? 'clone3(CLONE_INTO_CGROUP)' : 'fork()'} = ${hostPid(e, l)}${ok(e)}`)
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
        // veth.ts asks first whether the host end is still there: gone (the usual case after an
        // exit) is said as a failed `ip link del` is; still there, the `ip link del` line follows.
        const asked = e.op === 'link' ? /^(\S+) still there\? .*ip link del only if so/.exec(e.detail) : null
        if (asked) return e.result === 'gone' ? [t('explain.line.vethGone', { veth: asked[1] }, l)] : []
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
