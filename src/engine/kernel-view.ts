// The kernel view of a container (GET /containers/{id}/kernel, `tocker kernel`), and what a --step
// pause shows: the difference between two such views. The runtime reads what /proc says of the
// container's first process (runtime/kernel-view.ts), the network layer its interfaces, veth and
// rules (network/kernel-view.ts); this file names each mount's role and computes the changes.
import type { KernelChanges, KernelInterface, KernelMount, KernelNetwork, KernelProcess, KernelView } from '../api/types.js'
import type { MountEntry } from '../cgroups/mountinfo.js'
import type { NetworkKernelView } from '../network/kernel-view.js'
import { identityOf, processKernelView, type ProcessKernelView } from '../runtime/kernel-view.js'
import type { StepSubject } from '../trace/scope.js'

/** Where a learner finds the merged tree: the overlay exists only in the container's mount namespace. */
export function mergedDirNote(pid: number, mergedDir: string): string {
  return (
    `${mergedDir} is only the mount point: on the host it stays an empty directory, because the overlay is mounted in the container's own mount namespace. ` +
    `See the merged tree through the container's root: sudo ls /proc/${pid}/root/ (or: tocker exec <name> ls /). / ` +
    `${mergedDir}는 마운트 지점일 뿐입니다: overlay는 컨테이너 자신의 마운트 네임스페이스에 마운트되므로 호스트에서는 빈 디렉터리로 보입니다. ` +
    `합쳐진 트리는 컨테이너의 루트를 통해 보세요: sudo ls /proc/${pid}/root/ (또는 tocker exec <이름> ls /).`
  )
}

/** What a mount is for, from where it is and what it is. */
export function mountRole(m: MountEntry): string {
  const at = m.mountPoint
  if (at === '/') return 'root'
  if (at === '/proc' && m.fsType === 'proc') return 'proc'
  if (/^\/etc\/(hostname|hosts|resolv\.conf)$/.test(at)) return 'etc'
  if (/^\/(proc|sys)\//.test(at) && at !== '/sys/fs/cgroup') {
    // A masked path: /dev/null bound over a file, or an empty read-only tmpfs over a directory.
    if (m.root === '/null' || (m.fsType === 'tmpfs' && m.options.includes('ro'))) return 'masked'
    if (m.options.includes('ro')) return 'readonly'
  }
  if (at === '/dev' || at.startsWith('/dev/')) return 'dev'
  if (at === '/sys' || at.startsWith('/sys/')) return 'sys'
  if (m.root !== '/') return 'bind'
  return 'other'
}

const toMount = (m: MountEntry): KernelMount => ({ Target: m.mountPoint, FsType: m.fsType, Source: m.source, Root: m.root, Options: m.options.join(','), Role: mountRole(m) })

const toProcess = (p: ProcessKernelView): KernelProcess => ({
  Uid: p.status.uid,
  Gid: p.status.gid,
  CapEff: p.status.capEff,
  CapEffNames: p.status.capEffNames,
  CapBnd: p.status.capBnd,
  CapBndNames: p.status.capBndNames,
  Seccomp: p.status.seccomp,
  SeccompFilters: p.status.seccompFilters,
  NoNewPrivs: p.status.noNewPrivs,
})

const toInterface = (i: { name: string; mac?: string; state?: string; addresses: string[] }): KernelInterface => ({ Name: i.name, Mac: i.mac, State: i.state, Addresses: i.addresses })

export function toNetwork(n: NetworkKernelView): KernelNetwork {
  return {
    Interfaces: n.interfaces.map(toInterface),
    HostVeth: n.hostVeth ? { Name: n.hostVeth.name, Master: n.hostVeth.master, State: n.hostVeth.state, Exists: n.hostVeth.exists } : undefined,
    Bridge: n.bridge ? toInterface(n.bridge) : undefined,
    Rules: n.rules,
  }
}

/** The whole view, from what the runtime and the network layer read. */
export function kernelView(o: { id: string; name: string; mergedDir: string; proc: ProcessKernelView; net?: NetworkKernelView }): KernelView {
  const root = o.proc.mounts.find((m) => m.mountPoint === '/')
  const lower = root?.superOptions.find((x) => x.startsWith('lowerdir='))?.slice('lowerdir='.length)
  const opt = (k: string): string | undefined => root?.superOptions.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1)
  const lowerDirs = lower ? lower.split(':') : undefined
  // The container's init layer (containers/<id>/init: its mount points) tops the image's layers.
  const initDir = lowerDirs?.[0]?.endsWith(`/containers/${o.id}/init`) ? lowerDirs.shift() : undefined
  return {
    Id: o.id,
    Name: o.name,
    Pid: o.proc.pid,
    Namespaces: o.proc.namespaces.map((n) => ({ Type: n.type, Container: n.container, Host: n.host, Shared: n.container === n.host })),
    Root: {
      FsType: root?.fsType ?? '?',
      ...(root?.fsType === 'overlay' ? { Layers: lowerDirs?.length, LowerDirs: lowerDirs, ...(initDir ? { InitDir: initDir } : {}), UpperDir: opt('upperdir'), WorkDir: opt('workdir') } : {}),
      MergedDir: o.mergedDir,
      SeeAt: `/proc/${o.proc.pid}/root`,
      Note: mergedDirNote(o.proc.pid, o.mergedDir),
    },
    Mounts: o.proc.mounts.map(toMount),
    ...(o.proc.mountsTruncated ? { MountsTruncated: true } : {}),
    Cgroup: { Path: o.proc.cgroup.path, Dir: o.proc.cgroup.dir, Own: o.proc.cgroup.own, Files: o.proc.cgroup.files },
    ...(o.net ? { Network: toNetwork(o.net) } : {}),
    Process: toProcess(o.proc),
  }
}

// ---- --step: snapshots and their difference ----

export interface KernelSnapshot {
  namespaces?: KernelView['Namespaces']
  mounts?: KernelMount[]
  cgroup?: { Path: string; Files: Record<string, string> }
  process?: KernelProcess
  network?: KernelNetwork
  gone?: boolean
}

/** The engine's own state: what the first pause compares the container with (the host, as the engine sees it). */
export async function hostSnapshot(): Promise<KernelSnapshot> {
  const self = await processKernelView(identityOf(process.pid))
  return {
    namespaces: self.namespaces.map((n) => ({ Type: n.type, Container: n.host, Host: n.host, Shared: true })),
    mounts: self.mounts.map(toMount),
    cgroup: { Path: self.cgroup.path, Files: {} },
    process: toProcess(self),
  }
}

/**
 * Before pivot_root the container's mounts sit under its rootfs directory on the host's paths:
 * name them as the container will see them ("/proc"), with `Under` saying where that is now.
 */
function asContainerSees(mounts: MountEntry[]): KernelMount[] {
  const rootfs = mounts.find((m) => m.fsType === 'overlay' && /\/rootfs$/.test(m.mountPoint) && m.mountPoint !== '/')?.mountPoint
  return mounts.map((m) => {
    if (!rootfs || (m.mountPoint !== rootfs && !m.mountPoint.startsWith(`${rootfs}/`))) return toMount(m)
    const inside = m.mountPoint.slice(rootfs.length) || '/'
    return { ...toMount({ ...m, mountPoint: inside }), Under: rootfs }
  })
}

/** The container now: its first process (when it has one), its cgroup, its network. */
export async function stepSnapshot(subject: StepSubject, network?: (containerId: string, pid: number | undefined) => Promise<NetworkKernelView | undefined>): Promise<KernelSnapshot> {
  const snap: KernelSnapshot = {}
  if (!subject.pid) snap.gone = true
  else {
    try {
      const proc = await processKernelView(identityOf(subject.pid), { cgroupDir: subject.cgroupPath })
      snap.namespaces = proc.namespaces.map((n) => ({ Type: n.type, Container: n.container, Host: n.host, Shared: n.container === n.host }))
      snap.mounts = asContainerSees(proc.mounts)
      snap.cgroup = { Path: proc.cgroup.path, Files: proc.cgroup.files }
      snap.process = toProcess(proc)
    } catch {
      snap.gone = true
    }
  }
  if (subject.containerId && network) {
    const net = await network(subject.containerId, snap.gone ? undefined : subject.pid)
    if (net) snap.network = toNetwork(net)
  }
  return snap
}

/** A mount's identity; `Under` included (a /proc about to be the container's is no host /proc). */
const mountKey = (m: KernelMount, withUnder = true): string => `${withUnder ? (m.Under ?? '') : ''}\0${m.Target}\0${m.FsType}\0${m.Source}\0${m.Root}`

/** What changed from `before` to `after` (only what both views hold is compared). */
export function kernelChanges(before: KernelSnapshot | undefined, after: KernelSnapshot): KernelChanges {
  const c: KernelChanges = {}
  if (after.gone) c.Gone = true
  if (after.namespaces) {
    const was = new Map((before?.namespaces ?? []).map((n) => [n.Type, n.Container]))
    const changed = after.namespaces.filter((n) => n.Container && was.get(n.Type) !== n.Container)
    if (changed.length) c.Namespaces = changed
  }
  if (after.mounts && before?.mounts) {
    // A mount that was under the rootfs and now is at the same place under "/" did not change: the
    // tree it is in became the root (pivot_root).
    const wasUnder = new Set(before.mounts.filter((m) => m.Under).map((m) => mountKey(m, false)))
    const isMoved = (m: KernelMount): boolean => !m.Under && wasUnder.has(mountKey(m, false))
    const had = new Set(before.mounts.map((m) => mountKey(m)))
    const has = new Set(after.mounts.map((m) => mountKey(m)))
    const still = new Set(after.mounts.filter((m) => !m.Under).map((m) => mountKey(m, false)))
    const added = after.mounts.filter((m) => !had.has(mountKey(m)) && !isMoved(m))
    // Gone: not there any more, and not merely moved up to "/".
    const removed = before.mounts.filter((m) => !has.has(mountKey(m)) && !(m.Under && still.has(mountKey(m, false))))
    const moved = after.mounts.filter(isMoved).length
    if (added.length) c.MountsAdded = added
    if (removed.length) c.MountsRemoved = removed
    if (moved) c.MountsNowRoot = moved
  }
  if (after.cgroup) {
    const files = Object.fromEntries(Object.entries(after.cgroup.Files).filter(([k, v]) => before?.cgroup?.Files[k] !== v))
    if (after.cgroup.Path !== before?.cgroup?.Path || Object.keys(files).length) c.Cgroup = { Path: after.cgroup.Path, Files: files }
  }
  if (after.process) {
    const p: Partial<KernelProcess> = {}
    for (const k of ['Uid', 'Gid', 'CapEff', 'CapBnd', 'Seccomp', 'SeccompFilters', 'NoNewPrivs'] as const) {
      if (before?.process?.[k] !== after.process[k]) (p as Record<string, unknown>)[k] = after.process[k]
    }
    if (p.CapEff !== undefined) p.CapEffNames = after.process.CapEffNames
    if (p.CapBnd !== undefined) p.CapBndNames = after.process.CapBndNames
    if (Object.keys(p).length) c.Process = p
  }
  if (after.network || before?.network) {
    const was = new Map((before?.network?.Interfaces ?? []).map((i) => [i.Name, JSON.stringify(i)]))
    const ifs = (after.network?.Interfaces ?? []).filter((i) => was.get(i.Name) !== JSON.stringify(i))
    if (ifs.length) c.Interfaces = ifs
    const veth = after.network?.HostVeth
    const hadVeth = before?.network?.HostVeth
    if (veth && JSON.stringify(veth) !== JSON.stringify(hadVeth)) c.HostVeth = veth
    else if (!veth && hadVeth?.Exists) c.HostVeth = { Name: hadVeth.Name, Exists: false }
    const had = new Set(before?.network?.Rules ?? [])
    const has = new Set(after.network?.Rules ?? [])
    const added = [...has].filter((r) => !had.has(r))
    const removed = [...had].filter((r) => !has.has(r))
    if (added.length) c.RulesAdded = added
    if (removed.length) c.RulesRemoved = removed
  }
  return c
}
