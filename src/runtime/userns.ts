// User namespaces (linux.uidMappings / gidMappings): the container's root is root only inside.
//
// Who makes it: the kernel refuses unshare(CLONE_NEWUSER) to a multi-threaded process, which Node
// always is. So a small single-threaded "holder" (the shim binary in `userns` mode) makes the user
// namespace and, in the same unshare(2), the container's other new namespaces (mount, UTS, IPC,
// network): made by a process inside the new user namespace, they are owned by it, so the
// container's root has its capabilities over them (ip link, mount of a tmpfs, sethostname), as
// runc's containers do. The holder then waits.
//
// Not the PID namespace: /proc/<pid>/ns/pid_for_children of a process that unshared CLONE_NEWPID
// cannot be opened (ENOENT) until its first process, the namespace's init, exists (the kernel's
// pidns_for_children_get wants a child_reaper), and that init must be the container's PID 1, which
// the shim forks in the host's user namespace. So the PID namespace (and the cgroup namespace, made
// by the gate) are owned by the host's user namespace, as before: the container's root cannot mount
// another /proc for it (a nested container) nor write /proc/sys/kernel/ns_last_pid. Signals, ps and
// everything a container usually does are unaffected (runc and crun clone them in the user
// namespace; doing so here would move the gate's whole preparation inside it).
//
// Who writes the maps: the runtime (Node), root in the parent namespace, writes the holder's
// /proc/<pid>/uid_map and gid_map: a privileged writer may map any range (an unprivileged one only
// its own id, through newuidmap). setgroups stays "allow" (only an unprivileged mapper must deny it).
//
// Then everything goes on as without a user namespace, in the holder's namespaces: Node's thread
// setns()es into its mount/UTS/IPC/network namespaces (root of the parent namespace has every
// capability in a child one), the shim joins its PID namespace for the gate, and the gate does its
// mounts (proc, cgroup2) while still root of the parent namespace. Only at the very end of the
// gate's preparation does it setns() into the user namespace (process.c), right before it takes the
// container's uid and gids: those numbers are the container's, mapped by the kernel.
//
// Ownership of files. The kernel shows a file owned on disk by host uid N as owned by the id N maps
// to, and by nobody (65534) when N is not mapped. A root filesystem unpacked by host root (uid 0 on
// disk) would thus be nobody's to a container whose root is host uid 100000, and read-only for it.
// Two ways out: the caller prepares a rootfs owned by the mapped ids (podman's --uidmap chowns or
// uses its own id-mapped mounts), which runc requires, or the runtime mounts it *id-mapped*
// (Linux 5.12, open_tree + mount_setattr(MOUNT_ATTR_IDMAP)): then on-disk uid 0 is seen as the
// container's uid 0, nothing on disk changes. tocker-runtime does the second when the rootfs is owned
// by host root and host root is not the container's root ("auto"); the annotation
// dev.tocker.rootfs.idmap = "true" | "false" forces the choice. Mounts the runtime makes itself get
// the container's root as owner (tmpfs uid=/gid=, device nodes chowned), numbers in mount options
// are translated (devpts gid=5 means the container's gid 5), and a bind mount with the "idmap" (or
// "ridmap", recursively) option is id-mapped with the container's mapping, as crun does.
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { report } from '../trace/trace.js'
import { NAMESPACES } from './namespaces.js'
import { spawnHolder, type ShimChannel } from './shim.js'
import type { IdMapping, Namespace, NamespaceType, Spec } from './spec.js'

export const ROOTFS_IDMAP_ANNOTATION = 'dev.tocker.rootfs.idmap'

/** The id a container id maps to on the host, or undefined when it is not mapped. */
export function hostId(id: number, mappings: IdMapping[] | undefined): number | undefined {
  for (const m of mappings ?? []) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID)
  return undefined
}

/** uid_map's text: one "containerID hostID size" line per range. */
export function mapText(mappings: IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('')
}

/** The spec's checks (runc's words). */
export function checkUserNamespace(spec: Spec): void {
  const l = spec.linux
  const user = l?.namespaces?.find((n) => n.type === 'user')
  const mapped = !!(l?.uidMappings?.length || l?.gidMappings?.length)
  if (!user) {
    if (mapped) throw new TockerError("user namespace mappings specified, but USER namespace isn't enabled in the config", { code: 'EINVALID' })
    return
  }
  if (user.path) return
  if (!l?.uidMappings?.length) throw new TockerError('user namespaces enabled, but no uid mappings found', { code: 'EINVALID' })
  if (!l?.gidMappings?.length) throw new TockerError('user namespaces enabled, but no gid mappings found', { code: 'EINVALID' })
  for (const m of [...l.uidMappings, ...l.gidMappings]) {
    if (![m.containerID, m.hostID, m.size].every((n) => Number.isInteger(n) && n >= 0) || m.size === 0) throw new TockerError(`invalid id mapping ${JSON.stringify(m)}`, { code: 'EINVALID' })
  }
  for (const m of spec.mounts ?? []) {
    if ((m as { uidMappings?: unknown }).uidMappings || (m as { gidMappings?: unknown }).gidMappings) {
      throw new TockerError(`mount ${m.destination}: per-mount uidMappings/gidMappings are not supported by tocker; use the "idmap" option (the container's own mapping)`, { code: 'EINVALID' })
    }
  }
}

/** A live user namespace for a container being made (see the top of this file). */
export interface UserNamespace {
  /** An fd of the namespace (for id-mapped mounts and the gate's setns). */
  fd: number
  /** The namespaces the holder made, by path. */
  paths: Partial<Record<NamespaceType, string>>
  /** Container uid/gid → host uid/gid (undefined when unmapped). */
  uid(id: number): number | undefined
  gid(id: number): number | undefined
  /** Let the holder go (its namespaces are held by the container's processes by then). */
  close(): void
}

/** The namespace types the holder makes along with the user namespace (those the spec wants new). */
const WITH_USER: NamespaceType[] = ['mount', 'uts', 'ipc', 'network']

/** Make (or join) the container's user namespace, or undefined if it has none. */
export function startUserNamespace(spec: Spec): UserNamespace | undefined {
  const list: Namespace[] = spec.linux?.namespaces ?? []
  const user = list.find((n) => n.type === 'user')
  if (!user) return undefined
  const fresh = list.filter((n) => WITH_USER.includes(n.type) && !n.path)
  const flags = fresh.reduce((f, n) => f | NAMESPACES[n.type].flag, 0)
  const args = ['userns', '--unshare', String(flags >>> 0)]
  if (user.path) args.push('--userns-path', user.path)
  let holder: { pid: number; channel: ShimChannel } | undefined
  let fd: number | undefined
  try {
    holder = spawnHolder(args)
    holder.channel.expectReady()
    const { pid } = holder
    if (!user.path) {
      // Only one write to each file is allowed, and gid_map is needed before any setgroups.
      writeMap(pid, 'uid_map', spec.linux!.uidMappings!)
      writeMap(pid, 'gid_map', spec.linux!.gidMappings!)
      report({
        kind: 'syscall',
        op: 'write',
        detail: `/proc/${pid}/uid_map ← ${JSON.stringify(mapText(spec.linux!.uidMappings!))}, gid_map ← ${JSON.stringify(mapText(spec.linux!.gidMappings!))} (the holder's new user namespace)`,
        result: 'ok',
      })
    }
    fd = openSync(`/proc/${pid}/ns/user`, 'r')
    const paths: Partial<Record<NamespaceType, string>> = {}
    for (const n of fresh) paths[n.type] = `/proc/${pid}/ns/${NAMESPACES[n.type].file}`
    // A joined user namespace: its maps, read back, say what ids mean.
    const uidMap = user.path ? readMap(`/proc/${pid}/uid_map`) : spec.linux!.uidMappings!
    const gidMap = user.path ? readMap(`/proc/${pid}/gid_map`) : spec.linux!.gidMappings!
    const h = holder
    const nsFd = fd
    return {
      fd,
      paths,
      uid: (id) => hostId(id, uidMap),
      gid: (id) => hostId(id, gidMap),
      close: () => {
        closeSync(nsFd)
        h.channel.close()
      },
    }
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    holder?.channel.close()
    throw err
  }
}

/** One write of the whole map (the kernel takes only one); its refusal worded with the map. */
function writeMap(pid: number, file: 'uid_map' | 'gid_map', mappings: IdMapping[]): void {
  try {
    writeFileSync(`/proc/${pid}/${file}`, mapText(mappings))
  } catch (err) {
    // EINVAL: overlapping ranges, more than 340 lines, a range past 2^32; EPERM: a host id the
    // writer may not map.
    const why = (err as NodeJS.ErrnoException).code === 'EINVAL' ? ' (overlapping ranges, or more than 340 of them?)' : ''
    throw new TockerError(`failed to write ${file} (${mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join(', ')}) of the container's user namespace: ${(err as Error).message}${why}`, { code: 'EINVALID', cause: err })
  }
}

function readMap(path: string): IdMapping[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [containerID, hostID, size] = l.trim().split(/\s+/).map(Number)
      return { containerID, hostID, size }
    })
}

/**
 * Should the rootfs be mounted id-mapped? "auto": when it is owned by host root and host root is
 * not the container's root (an unpacked image, a rootfs not prepared for this mapping).
 */
export function rootfsNeedsIdmap(rootfs: string, ns: UserNamespace, annotation: string | undefined): boolean {
  if (annotation === 'true') return true
  if (annotation === 'false') return false
  if (annotation !== undefined && annotation !== 'auto') throw new TockerError(`annotation ${ROOTFS_IDMAP_ANNOTATION}: "${annotation}" is not true, false or auto`, { code: 'EINVALID' })
  const st = statSync(rootfs)
  return st.uid === 0 && ns.uid(0) !== 0
}

/** Numbers in a mount's data that name container ids (uid=, gid=) as the host's; a tmpfs owned by the container's root. */
export function mapMountData(type: string, data: string, ns: UserNamespace): string {
  const parts = data ? data.split(',') : []
  const mapped = parts.map((p) => {
    const m = /^(uid|gid)=(\d+)$/.exec(p)
    if (!m) return p
    const host = m[1] === 'uid' ? ns.uid(Number(m[2])) : ns.gid(Number(m[2]))
    if (host === undefined) throw new TockerError(`mount option ${p}: ${m[1]} ${m[2]} is not mapped in the container's user namespace`, { code: 'EINVALID' })
    return `${m[1]}=${host}`
  })
  if (type === 'tmpfs') {
    if (!parts.some((p) => p.startsWith('uid=')) && ns.uid(0) !== undefined) mapped.push(`uid=${ns.uid(0)}`)
    if (!parts.some((p) => p.startsWith('gid=')) && ns.gid(0) !== undefined) mapped.push(`gid=${ns.gid(0)}`)
  }
  return mapped.join(',')
}
