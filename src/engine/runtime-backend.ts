// The engine's runtime, through the runtime library (src/runtime/container.ts): the OCI spec a
// container gets from its image and options, created under a detached shim that relays its output
// into the json-file log, started, signalled, deleted. The runtime's state (pids, exit.json) lives
// in a state root of its own: /run/tocker/runtime for the default store (a tmpfs, like runc's: it
// is empty after a reboot, exactly when no container runs any more), <root>/runtime otherwise.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { containerResolvConf, hostsFile } from '../network/etc-files.js'
import { createContainer, deleteContainer, exitStatus, killContainer, startContainer } from '../runtime/container.js'
import { DEFAULT_PATH_ENV, defaultSpec } from '../runtime/default-spec.js'
import { OVERLAY_ANNOTATION, type Mount, type Spec } from '../runtime/spec.js'
import { DEFAULT_STATE_ROOT } from '../runtime/state.js'
import { DEFAULT_ROOT } from '../api/socket.js'
import type { ExecHandle, ExecSpec, ExitRecord, ResolvedImage, RuntimeBackend, StartedProcess } from './backend.js'
import { LOG_DEFAULTS } from './logs.js'
import { containerDir, procStartTime, type ContainerRecord } from './state.js'

export class EngineRuntime implements RuntimeBackend {
  readonly stateRoot: string
  constructor(readonly root: string) {
    this.stateRoot = root.replace(/\/+$/, '') === DEFAULT_ROOT ? DEFAULT_STATE_ROOT : join(root, 'runtime')
  }

  dir(rec: ContainerRecord): string {
    return containerDir(join(this.root, 'containers'), rec.Id)
  }

  /** Where the shim writes exit.json (the engine watches it with inotify). */
  exitWatchDir(rec: ContainerRecord): string {
    return join(this.stateRoot, rec.Id)
  }

  async prepare(rec: ContainerRecord, _image: ResolvedImage): Promise<void> {
    const dir = this.dir(rec)
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 })
    const mode = networkMode(rec)
    writeFileSync(join(dir, 'hostname'), `${rec.Config.Hostname}\n`)
    writeFileSync(join(dir, 'hosts'), hostsFile({ hostname: rec.Config.Hostname!, mode }))
    writeFileSync(join(dir, 'resolv.conf'), containerResolvConf(mode))
    // The bundle's config.json, for learners to read (the runtime gets the same spec in memory).
    writeFileSync(join(dir, 'config.json'), JSON.stringify(this.spec(rec), null, 2) + '\n')
  }

  /** The OCI spec: Docker's defaults, the image's config and the user's options. */
  spec(rec: ContainerRecord): Spec {
    const dir = this.dir(rec)
    const spec = defaultSpec([rec.Path, ...rec.Args])
    const env = [...(rec.Config.Env ?? [])]
    if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH_ENV)
    if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${rec.Config.Hostname}`)
    if (rec.Config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm')
    spec.process!.env = env
    spec.process!.cwd = rec.Config.WorkingDir || '/'
    spec.process!.user = rec.Config.User ? { uid: 0, gid: 0, username: rec.Config.User } : { uid: 0, gid: 0 }
    spec.process!.terminal = false
    spec.hostname = rec.Config.Hostname
    spec.root = { path: join(dir, 'rootfs'), readonly: false }
    spec.annotations = {
      [OVERLAY_ANNOTATION]: JSON.stringify({ lowerdir: rec.LowerDirs, upperdir: join(dir, 'upper'), workdir: join(dir, 'work') }),
    }
    const binds: Mount[] = (rec.HostConfig.Binds ?? []).map((b) => {
      const [source, destination, mode = ''] = b.split(':')
      return { destination, type: 'bind', source, options: ['rbind', mode.split(',').includes('ro') ? 'ro' : 'rw'] }
    })
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
    return spec
  }

  async create(rec: ContainerRecord): Promise<StartedProcess> {
    const dir = this.dir(rec)
    // A previous run's state dir (deleted at exit, unless the engine died before it could).
    await this.cleanup(rec)
    const opts = rec.HostConfig.LogConfig?.Config ?? {}
    const c = await createContainer({
      id: rec.Id,
      bundle: { path: dir, spec: this.spec(rec) },
      stateRoot: this.stateRoot,
      log: {
        dir,
        name: `${rec.Id}-json.log`,
        maxSize: opts['max-size'] ?? LOG_DEFAULTS.maxSize,
        maxFile: opts['max-file'] ? Number(opts['max-file']) : LOG_DEFAULTS.maxFile,
      },
    })
    // The shim is our child only by accident of birth: let it (and the container) outlive us.
    c.detach()
    return {
      shim: { pid: c.shimPid, startTime: procStartTime(c.shimPid) ?? 0 },
      init: { pid: c.pid, startTime: procStartTime(c.pid) ?? 0 },
    }
  }

  async begin(rec: ContainerRecord): Promise<void> {
    await startContainer(rec.Id, { stateRoot: this.stateRoot })
  }

  readExit(rec: ContainerRecord): ExitRecord | undefined {
    const e = exitStatus(rec.Id, { stateRoot: this.stateRoot })
    return e ? { exitCode: e.exitCode, finishedAt: e.finishedAt } : undefined
  }

  signal(rec: ContainerRecord, signal: number): void {
    try {
      killContainer(rec.Id, signal, { stateRoot: this.stateRoot })
    } catch (err) {
      // Already stopped (or its state is gone): nothing to signal, as kill(2)'s ESRCH.
      if ((err as TockerError).code === 'ESTATE' || (err as TockerError).code === 'ENOENT') {
        throw Object.assign(new Error('no such process'), { code: 'ESRCH' })
      }
      throw err
    }
  }

  async cleanup(rec: ContainerRecord): Promise<void> {
    try {
      await deleteContainer(rec.Id, { stateRoot: this.stateRoot, force: true })
    } catch (err) {
      if ((err as TockerError).code !== 'ENOENT') throw err
    }
  }

  async destroy(_rec: ContainerRecord): Promise<void> {
    // The container's directory (record, upper/work, log) goes with the engine's removeContainerDir.
  }

  async exec(_rec: ContainerRecord, _spec: ExecSpec, _attached: boolean): Promise<ExecHandle> {
    throw new TockerError('exec is not available yet (the runtime has no exec)', { status: 501 })
  }
}

function networkMode(rec: ContainerRecord): 'bridge' | 'none' | 'host' {
  const m = rec.HostConfig.NetworkMode
  return m === 'none' || m === 'host' ? m : 'bridge'
}

export async function createRuntimeBackend(root: string): Promise<RuntimeBackend> {
  return new EngineRuntime(root)
}
