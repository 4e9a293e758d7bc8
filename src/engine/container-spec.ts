// The OCI spec of a container (runtime/spec.ts's types), from its record: Docker's defaults
// (runtime/default-spec.ts), the image's config (env, cwd, user), the root on its overlay of
// layers, /etc/hostname, hosts and resolv.conf bound from its directory, the user's mounts
// (binds, volumes, tmpfs), cgroup limits, the network namespace (none with --network host) and
// the security options. Pure but for one existsSync (older containers have no init layer).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { shortLowerDirs } from '../image/layer-links.js'
import { DEFAULT_PATH_ENV, defaultSpec } from '../runtime/default-spec.js'
import { OVERLAY_ANNOTATION, type Mount, type Spec } from '../runtime/spec.js'
import { storeLayout } from '../store/layout.js'
import { INIT_LAYER, type ContainerRecord } from './state.js'
import { applySecurityOptions } from './security-opts.js'
import { parseBind } from './volumes/mounts.js'

/** The spec of `rec`, whose directory is `dir`, in the store at `root`. */
export function containerSpec(rec: ContainerRecord, root: string, dir: string): Spec {
  const spec = defaultSpec([rec.Path, ...rec.Args])
  // Legacy links' variables first: the container's own -e/ENV win over them (Docker's order).
  const own = new Set((rec.Config.Env ?? []).map((e) => e.split('=')[0]))
  const env = [...(rec.LinkEnv ?? []).filter((e) => !own.has(e.split('=')[0])), ...(rec.Config.Env ?? [])]
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH_ENV)
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${rec.Config.Hostname}`)
  if (rec.Config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm')
  spec.process!.env = env
  spec.process!.cwd = rec.Config.WorkingDir || '/'
  spec.process!.user = rec.Config.User ? { uid: 0, gid: 0, username: rec.Config.User } : { uid: 0, gid: 0 }
  spec.process!.terminal = false
  spec.hostname = rec.Config.Hostname
  spec.root = { path: join(dir, 'rootfs'), readonly: false }
  // The layers by their short links (layers/l/…): an image of 100+ layers fits in one mount.
  // The record keeps the real directories, which inspect shows (as Docker's GraphDriver does).
  // The init layer (runtime-backend.ts, makeInitLayer) on top, when the container has one (older ones do not).
  const init = join(dir, INIT_LAYER)
  const lowerdir = [...(existsSync(init) ? [init] : []), ...shortLowerDirs(storeLayout(root).layers, rec.LowerDirs)]
  // --rm: a writable layer nobody keeps is mounted "volatile", without the sync of the whole upper
  // file system that unmounting it costs at the exit (runtime/overlay.ts), as podman does. (Taken
  // back for a while, 3c773bb: an attached `run --rm` lost the end of its output with it, 1 run in
  // ~80. The cause was the log follower, which took an end of file read before the shim's last
  // write for the last one when the exit was recorded meanwhile (engine/logs.ts): the faster exit
  // only made it more frequent.)
  const volatile = rec.HostConfig.AutoRemove ? { volatile: true } : {}
  spec.annotations = {
    [OVERLAY_ANNOTATION]: JSON.stringify({ lowerdir, upperdir: join(dir, 'upper'), workdir: join(dir, 'work'), ...volatile }),
  }
  const binds = userMounts(rec, root)
  const etc = (name: string): Mount => ({ destination: `/etc/${name}`, type: 'bind', source: join(dir, name), options: ['rbind', 'rprivate'] })
  spec.mounts = [...(spec.mounts ?? []), etc('hostname'), etc('hosts'), etc('resolv.conf'), ...binds]
  const hc = rec.HostConfig
  const resources: NonNullable<Spec['linux']>['resources'] = {}
  if (hc.Memory) resources.memory = { limit: hc.Memory, ...(hc.MemorySwap ? { swap: hc.MemorySwap } : {}) }
  if (hc.NanoCpus || hc.CpuShares) {
    resources.cpu = {
      ...(hc.NanoCpus ? { quota: Math.round((hc.NanoCpus / 1e9) * 100_000), period: 100_000 } : {}),
      ...(hc.CpuShares ? { shares: hc.CpuShares } : {}),
    }
  }
  if (hc.PidsLimit && hc.PidsLimit > 0) resources.pids = { limit: hc.PidsLimit }
  spec.linux = { ...spec.linux, resources }
  if (networkMode(rec) === 'host') spec.linux.namespaces = spec.linux.namespaces?.filter((n) => n.type !== 'network')
  // --security-opt, --privileged: seccomp (Docker's default profile unless told otherwise),
  // no_new_privs, and what --privileged opens up.
  applySecurityOptions(spec, hc)
  return spec
}

/**
 * The container's own mounts as OCI spec mounts: binds, volumes (their _data bound, or what a
 * volume made with -o type/device/o says), tmpfs with Docker's defaults (noexec, nosuid, nodev;
 * 64 MiB unless a size is given). Records from before volumes have only HostConfig.Binds.
 */
export function userMounts(rec: ContainerRecord, root: string): Mount[] {
  const plans = rec.MountPlans ?? (rec.HostConfig.Binds ?? []).map(parseBind)
  return plans.map((p): Mount => {
    const rw = p.RW ? 'rw' : 'ro'
    if (p.Type === 'tmpfs') return { destination: p.Destination, type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', ...(p.Data ? p.Data.split(',') : ['size=65536k']), rw] }
    if (p.Type === 'bind') return { destination: p.Destination, type: 'bind', source: p.Source, options: ['rbind', rw, ...(p.Propagation ? [p.Propagation] : [])] }
    const o = p.DriverOpts
    if (o?.type || o?.device) {
      const words = (o.o ?? '').split(',').filter(Boolean)
      if (words.includes('bind') || words.includes('rbind')) return { destination: p.Destination, type: 'bind', source: o.device, options: [...words, rw] }
      if (o.size && o.type === 'tmpfs') words.push(`size=${o.size}`)
      return { destination: p.Destination, type: o.type, source: o.device, options: [...words, rw] }
    }
    return { destination: p.Destination, type: 'bind', source: join(root, 'volumes', p.Source, '_data'), options: ['rbind', rw] }
  })
}

export function networkMode(rec: ContainerRecord): 'bridge' | 'none' | 'host' {
  const m = rec.HostConfig.NetworkMode
  return m === 'none' || m === 'host' ? m : 'bridge'
}
