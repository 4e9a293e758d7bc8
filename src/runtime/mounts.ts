// The spec's mounts, made inside the container's mount namespace before pivot_root, strictly in
// the order of mounts[] (a MUST of the runtime spec: a later mount may go on top of an earlier one).
// Most are made by Node's main thread (it is in the container's mount and network namespaces);
// two kinds must be made by a process *inside* the container, so the gate does them:
//   proc    shows the PID namespace of whoever mounts it, and only the gate is in the new one;
//   cgroup  (cgroup2) shows the hierarchy from the mounter's cgroup namespace root.
// Node waits for the gate's answer before the next mount. (It used to go on while the gate worked:
// then /proc sometimes landed after /dev and /sys, and the order of mountinfo changed from run to
// run. One round trip to the gate, ~0.1 ms, buys the order.)
// Bind mounts go through RootDir, so their targets never leave the rootfs (see root-dir.ts).
// Every mount gets MS_NODEV unless the spec says "dev" (devpts excepted): tocker's device policy,
// see device-policy.ts.
import { readlinkSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { codeOf, TockerError } from '../errors.js'
import { describeMountFlags, idmappedMount, mount, MS_BIND, MS_NODEV, MS_RDONLY, MS_REC, MS_REMOUNT } from '../sys/mount.js'
import { mapMountData, type UserNamespace } from './userns.js'
import { forbidDevices, forcesNodev } from './device-policy.js'
import { allowsDevices, parseMountOptions } from './mount-options.js'
import { RootDir } from './root-dir.js'
import { GateError, type ShimChannel } from './shim.js'
import type { Mount } from './spec.js'

export interface MountContext {
  root: RootDir
  /** Relative bind sources are relative to the bundle. */
  bundle: string
  /** The gate, for mounts that must be made from inside the PID / cgroup namespace. */
  gate: Pick<ShimChannel, 'mount' | 'flush'>
  /** Called before a cgroup2 mount: the gate must be in its cgroup namespace by then. */
  beforeCgroupMount?: () => void
  /** The container's user namespace: ids in mount options are the container's (userns.ts). */
  userns?: UserNamespace
}

export interface MountSummary {
  /** /dev is a fresh filesystem of ours (so device nodes go there). */
  devTmpfs: boolean
  /** /dev/pts is a devpts of our own (so /dev/ptmx points into it). */
  devPts: boolean
}

export function mountAll(ctx: MountContext, mounts: Mount[]): MountSummary {
  const summary: MountSummary = { devTmpfs: false, devPts: false }
  for (const m of mounts) {
    try {
      mountOne(ctx, m)
    } catch (err) {
      if (err instanceof GateError) throw err // the gate's mount: already worded so
      const e = err as Error
      throw new TockerError(`error mounting "${m.source ?? m.type}" to rootfs at "${m.destination}": ${e.message}`, { code: codeOf(err, 'ERUNTIME'), cause: err, exitCode: (err as TockerError).exitCode })
    }
    const dest = resolve('/', m.destination)
    if (dest === '/dev' && m.type === 'tmpfs') summary.devTmpfs = true
    if (dest === '/dev/pts' && m.type === 'devpts') summary.devPts = true
  }
  return summary
}

function mountOne(ctx: MountContext, m: Mount): void {
  if (!isAbsolute(m.destination)) throw new TockerError(`mount destination ${m.destination} is not absolute`, { code: 'EINVALID' })
  const { root } = ctx
  const opts = parseMountOptions(m.options)
  const isBind = m.type === 'bind' || (opts.flags & MS_BIND) !== 0
  const shown = root.shown(m.destination)

  if (isBind) {
    bindMount(ctx, m, opts.flags | MS_BIND, shown)
  } else {
    const target = root.mkdirAll(m.destination)
    const type = m.type ?? 'none'
    const flags = opts.flags | (forcesNodev(type, allowsDevices(m.options)) ? MS_NODEV : 0)
    if (ctx.userns && (type === 'tmpfs' || type === 'devpts')) opts.data = mapMountData(type, opts.data, ctx.userns)
    if (type === 'proc' || type === 'cgroup' || type === 'cgroup2') {
      // The gate sees our fds as /proc/<our pid>/fd/N (the host's /proc is still mounted).
      const fstype = type === 'proc' ? 'proc' : 'cgroup2'
      if (fstype === 'cgroup2') ctx.beforeCgroupMount?.()
      const source = m.source ?? fstype
      // The gate reports the mount itself (with --trace); its report reads like one of ours.
      const described = `${JSON.stringify(source)}, ${shown}, ${JSON.stringify(fstype)}, ${describeMountFlags(flags)}${opts.data ? `, ${JSON.stringify(opts.data)}` : ''}`
      // In a user namespace the gate may not look at our fds (the kernel's ptrace check: it has no
      // capabilities over the host's processes), so it gets the target's path as we resolved it,
      // which it opens refusing any symlink (no container process exists yet to change it).
      const gateTarget = ctx.userns ? readlinkSync(RootDir.fdPath(target)) : `/proc/${process.pid}/fd/${target}`
      ctx.gate.mount(source, gateTarget, fstype, flags, opts.data, `error mounting "${source}" to rootfs at "${m.destination}"`, described)
      ctx.gate.flush()
    } else if (type === 'sysfs') {
      mountSysfs(ctx.root, m, flags, opts.data, target, shown)
    } else {
      mount(m.source ?? type, RootDir.fdPath(target), type, flags, opts.data || null, shown)
    }
  }
  if (opts.propagation) {
    const top = root.open(m.destination) // the new mount, not the directory under it
    mount(null, RootDir.fdPath(top), null, opts.propagation, null, shown)
  }
}

/** Bind a host file or directory into the rootfs; `ro` and friends need a second, remount call. */
function bindMount(ctx: MountContext, m: Mount, flags: number, shown: string): void {
  if (!m.source) throw new TockerError('bind mount without a source', { code: 'EINVALID' })
  const source = isAbsolute(m.source) ? m.source : resolve(ctx.bundle, m.source)
  let st: ReturnType<typeof statSync>
  try {
    st = statSync(source)
  } catch {
    throw new TockerError(`bind source path does not exist: ${source}`, { code: 'EINVALID' })
  }
  const isDir = st.isDirectory()
  // A device node bound on purpose (-v /dev/fuse:/dev/fuse) must open; so must anything under a
  // bind the spec marks "dev". Everything else binds nodev, submounts included: -v /:/host
  // would otherwise bring the host's /dev (a devtmpfs mount of its own) along, disks and all.
  const nodev = !allowsDevices(m.options) && !st.isCharacterDevice() && !st.isBlockDevice()
  const target = isDir ? ctx.root.mkdirAll(m.destination) : ctx.root.ensureFile(m.destination)
  const idmap = m.options?.includes('idmap') || m.options?.includes('ridmap')
  if (idmap && !ctx.userns) throw new TockerError('the "idmap" mount option needs a user namespace', { code: 'EINVALID' })
  // crun's "idmap": the source as the container's user namespace sees it (userns.ts).
  if (idmap) idmappedMount(source, RootDir.fdPath(target), ctx.userns!.fd, !!m.options?.includes('ridmap') || (flags & MS_REC) !== 0, shown)
  else mount(source, RootDir.fdPath(target), null, MS_BIND | (flags & MS_REC), null, shown)
  // A bind mount ignores every flag but MS_REC on creation (it copies the source mount's):
  // nodev, read-only, nosuid, ... take a second call on the new mount.
  const extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT)
  if (!nodev && !extra) return
  const top = RootDir.fdPath(ctx.root.open(m.destination))
  if (nodev) forbidDevices(top, isDir && (flags & MS_REC) !== 0, shown)
  // MS_REMOUNT|MS_BIND changes the mount, not the filesystem, and sets its flags to exactly
  // these: nodev is repeated.
  if (extra) mount(null, top, null, extra | (nodev ? MS_NODEV : 0) | MS_BIND | MS_REMOUNT, null, shown)
}

/**
 * sysfs belongs to a network namespace: mounting it needs the mounter to be the owner of the
 * current one. In a joined namespace we may not own (EPERM), bind the host's /sys read-only, as
 * runc does.
 */
function mountSysfs(root: RootDir, m: Mount, flags: number, data: string, target: number, shown: string): void {
  try {
    mount(m.source ?? 'sysfs', RootDir.fdPath(target), 'sysfs', flags, data || null, shown)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err
    mount('/sys', RootDir.fdPath(target), null, MS_BIND | MS_REC, null, shown)
    const top = root.open(m.destination)
    mount(null, RootDir.fdPath(top), null, MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & ~(MS_BIND | MS_REC)), null, shown)
  }
}
