// A container's lifecycle: create (the record, its name and its files), start (under a detached
// shim, the network attached while the first process waits at its gate), stop, kill, restart and
// wait. Every operation on one container runs under its mutex (KeyedMutex), one at a time.
import { join } from 'node:path'
import { isUserFacing, TockerError } from '../errors.js'
import { familiarOf } from '../image/reference.js'
import type { ContainerCreateBody, ContainerCreateResponse, ContainerWaitResponse } from '../api/types.js'
import type { ImageBackend, NetworkBackend, RuntimeBackend, StartedProcess } from './backend.js'
import type { ContainerTable } from './container-table.js'
import type { ExitMonitor } from './exits.js'
import { newContainerId, shortId } from './ids.js'
import { mergeEnv } from '../runtime/env.js'
import type { ContainerEvents } from './events.js'
import { checkHostConfig } from './host-config.js'
import { planMounts } from './volumes/mounts.js'
import type { VolumeService } from './volumes/service.js'
import type { KeyedMutex } from './mutex.js'
import type { Removal } from './removal.js'
import { parseSignal, signalName } from '../sys/signals.js'
import { isTracing, note } from '../trace/trace.js'
import { stepPause } from '../trace/step.js'
import { signalContainer } from './signals.js'
import { containerDir, emptyState, makeContainerDir, removeContainerDir, storeWriteError, type ContainerRecord } from './state.js'

export interface LifecycleDeps {
  table: ContainerTable
  mutex: KeyedMutex
  exits: ExitMonitor
  removal: Removal
  images: ImageBackend
  runtime: RuntimeBackend
  network?: NetworkBackend
  volumes?: VolumeService
  events: ContainerEvents
  /** Something that failed while undoing a failed start: the engine log reports it. */
  warn(msg: string): void
}

export class Lifecycle {
  readonly #restarting = new Set<string>()
  constructor(readonly d: LifecycleDeps) {}

  // ---- create ----

  async create(body: ContainerCreateBody, name?: string): Promise<ContainerCreateResponse> {
    if (!body || !body.Image) throw new TockerError('Config cannot be empty in order to create a container', { code: 'EINVALID', daemon: true })
    const { table } = this.d
    const id = newContainerId()
    // Reserve the name before the first await: this is what makes two concurrent `--name x` safe.
    const finalName = table.reserveName(name, id)
    try {
      checkHostConfig(body.HostConfig)
      // From the resolve until the record is saved, no rmi can take the image's layers away.
      return await this.d.images.forCreate(body.Image, async (image) => {
        if (!image) throw new TockerError(`No such image: ${familiarOf(body.Image)}`, { code: 'ENOTFOUND', daemon: true })
        if (body.HostConfig) this.d.runtime.checkLimits(body.HostConfig)
        const ic = image.config ?? {}
        const entrypoint = body.Entrypoint != null && body.Entrypoint.length ? body.Entrypoint : body.Entrypoint != null ? [] : ic.Entrypoint ?? []
        // Docker: a user-given entrypoint resets the image's Cmd.
        const cmd = body.Cmd && body.Cmd.length ? body.Cmd : body.Entrypoint != null ? [] : ic.Cmd ?? []
        const argv = [...(entrypoint ?? []), ...(cmd ?? [])]
        if (argv.length === 0) throw new TockerError('No command specified', { code: 'EINVALID', daemon: true })
        const env = mergeEnv(ic.Env ?? [], body.Env ?? [])
        const hc = body.HostConfig ?? {}
        const dir = containerDir(table.dir, id)
        // Volumes: named ones ensured, anonymous ones made, empty ones filled from the image.
        const plans = planMounts(hc, body.Volumes, ic.Volumes)
        const mounts = this.d.volumes ? await this.d.volumes.resolve(plans, image.layerDirs) : undefined
        if (!mounts && plans.some((p) => p.Type === 'volume')) throw new TockerError('volumes are not available in this engine', { code: 'EINTERNAL', daemon: true })
        const volumes = { ...(ic.Volumes ?? {}), ...(body.Volumes ?? {}) }
        const rec: ContainerRecord = {
          Id: id,
          Name: finalName,
          Created: new Date().toISOString(),
          Image: body.Image,
          ImageID: image.id,
          Path: argv[0],
          Args: argv.slice(1),
          Config: {
            ...body,
            Hostname: body.Hostname || shortId(id),
            Env: env,
            Cmd: cmd && cmd.length ? cmd : null,
            Entrypoint: entrypoint && entrypoint.length ? entrypoint : null,
            WorkingDir: body.WorkingDir || ic.WorkingDir || '',
            User: body.User || ic.User || '',
            StopSignal: body.StopSignal || ic.StopSignal || undefined,
            ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) },
            Labels: { ...(ic.Labels ?? {}), ...(body.Labels ?? {}) },
            Volumes: Object.keys(volumes).length ? volumes : null,
          },
          HostConfig: {
            NetworkMode: 'default',
            Privileged: false,
            SecurityOpt: null,
            ...hc,
            LogConfig: { Type: 'json-file', Config: hc.LogConfig?.Config ?? {} },
          },
          State: emptyState(),
          RestartCount: 0,
          LogPath: join(dir, `${id}-json.log`),
          Mounts: mounts?.mounts ?? [],
          MountPlans: mounts?.plans ?? plans,
          NetworkSettings: { IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', Ports: {} },
          LowerDirs: image.layerDirs,
        }
        delete (rec.Config as Partial<ContainerCreateBody>).HostConfig
        delete (rec.Config as Partial<ContainerCreateBody>).NetworkingConfig
        try {
          // Its networks (they must exist; aliases and --ip where Docker allows them).
          this.d.network?.configure?.(rec, body)
        } catch (err) {
          await mounts?.undo()
          throw err
        }
        try {
          makeContainerDir(table.dir, id)
          // The record's write (its fsync off the main thread) goes on while the runtime writes
          // the bundle; both are done before the client hears of the container.
          const saved = table.save(rec)
          saved.catch(() => undefined) // awaited below; this only keeps a failure of prepare first from leaving it unheard
          await this.d.runtime.prepare(rec, image)
          await saved
        } catch (err) {
          // Nothing of it stays (a record cut short by a full disk included), nor the volumes it made.
          await table.settled(id)
          removeContainerDir(table.dir, id)
          await mounts?.undo()
          throw storeWriteError(err, `the files of container ${id}`, table.dir)
        }
        table.add(rec)
        mounts?.release()
        this.d.events.container(rec, 'create')
        return { Id: id, Warnings: [] }
      })
    } catch (err) {
      table.releaseName(finalName, id)
      throw err
    }
  }

  // ---- start / stop / kill / restart ----

  /** false when it was already running (Docker's 304). */
  start(ref: string): Promise<boolean> {
    const rec = this.d.table.find(ref)
    return this.d.mutex.run(rec.Id, () => this.#start(rec))
  }

  async #start(rec: ContainerRecord): Promise<boolean> {
    if (rec.State.Running) return false
    // Docker refuses both: one being removed, and one whose removal failed (Dead).
    if (rec.State.Status === 'removing' || rec.State.Status === 'dead') throw new TockerError(`container is marked for removal and cannot be started`, { code: 'ECONFLICT', daemon: true })
    const { runtime, network, table } = this.d
    await this.d.exits.pending(rec.Id)
    rec.State.Error = ''
    let started: StartedProcess | undefined
    try {
      await network?.prepareStart?.(rec)
      started = await runtime.create(rec)
      rec.Shim = started.shim
      rec.Init = started.init
      // No record is written here: the runtime's own state (written by create before the gate
      // accepts its process) names the shim and PID 1, and that is what an engine killed from
      // here on finds them by (adoption.ts): a gate still waiting is ended, a released one is
      // adopted as running. The record is written once, "running", below. (Writing it here, to
      // name the shim, cost an fsync of 2-6 ms before the gate could open.)
      // The network goes in while the first process still waits at its gate, so the program
      // finds eth0 up from its first instruction.
      // Published ports: their rules (an iptables-restore process, the longest part of the
      // attach) go in while the program starts; the answer waits for them, and their failure
      // undoes the start like any other. Traced, they are in before the gate opens, as the
      // learner reads the steps.
      const rules: Promise<void>[] = []
      if (network) {
        // The gate prepares the process meanwhile (runtime-backend.ts create): an attach that fails
        // because the gate refused the process and exited (taking its namespace) reports the gate's
        // reason ("executable file not found", 127), not the namespace's absence.
        const ns = await network.attach(rec, isTracing() ? {} : { portRulesLater: (added) => rules.push(added) }).catch((err: unknown) => {
          runtime.check?.(rec)
          throw err
        })
        if (ns) rec.NetworkSettings = ns
      }
      // --step: the network phase is over (a client that goes away now makes this start fail and undo).
      await stepPause('network', { pid: started.init.pid, containerId: rec.Id })
      await runtime.begin(rec)
      await Promise.all(rules)
    } catch (err) {
      const msg = (err as Error).message
      if (started) signalContainer(runtime, rec, 9)
      // (also without a process: prepareStart reserves the endpoints before the runtime's create)
      await network?.release(rec).catch((e) => this.d.warn(`network release of ${rec.Id} after a failed start: ${(e as Error).message}`))
      rec.Shim = undefined
      rec.Init = undefined
      rec.State.Error = msg
      rec.State.ExitCode = (err as TockerError).exitCode ?? 128
      await table.saveOrDefer(rec) // the start failed whether or not the disk can say so
      await runtime.cleanup(rec).catch((e) => this.d.warn(`cleanup of ${rec.Id} after a failed start: ${(e as Error).message}`))
      // --rm: Docker removes a container whose start failed, too.
      if (rec.HostConfig.AutoRemove) {
        rec.State.Status = 'removing'
        await this.d.removal.finish(rec).catch((e) => this.d.warn(`--rm of ${rec.Id} after a failed start: ${(e as Error).message}`))
      }
      if (isUserFacing(err)) {
        throw new TockerError(err.message, { code: err.code, status: err.status === 500 ? 400 : err.status, daemon: true, exitCode: err.exitCode, hint: err.hint })
      }
      throw new TockerError(`failed to start container ${rec.Id}: ${msg}`, { code: 'ERUNTIME', daemon: true })
    }
    rec.State = {
      ...rec.State,
      Status: 'running',
      Running: true,
      Pid: started.init.pid,
      ExitCode: 0,
      OOMKilled: false,
      StartedAt: new Date().toISOString(),
    }
    // It runs, written or not: its exit must be watched and the client told it started (once
    // the record says so, or its write failed and is being retried).
    const saved = table.saveOrDefer(rec)
    // "start" before the exit watch: a program that has already ended is recorded (and its "die"
    // sent) as soon as the watch begins.
    this.d.events.container(rec, 'start')
    this.d.exits.watch(rec)
    await saved
    return true
  }

  /** false when it was not running (Docker's 304). */
  stop(ref: string, timeout?: number, signal?: string): Promise<boolean> {
    const rec = this.d.table.find(ref)
    return this.d.mutex.run(rec.Id, () => this.#stop(rec, timeout, signal))
  }

  async #stop(rec: ContainerRecord, timeout?: number, signal?: string): Promise<boolean> {
    if (!rec.State.Running) return false
    const sig = parseSignal(signal || rec.Config.StopSignal || 'SIGTERM')
    const t = timeout ?? rec.Config.StopTimeout ?? 10
    const sent = Date.now()
    this.#signal(rec, sig)
    // A negative timeout waits forever, as in Docker.
    if (!(await this.d.exits.waitExit(rec, t < 0 ? Infinity : t * 1000))) {
      note('stop', 'explain.note.stop.ignored', { signal: signalName(sig), seconds: t })
      this.#signal(rec, 9)
      await this.d.exits.waitExit(rec, Infinity)
    } else {
      note('stop', 'explain.note.stop.handled', { signal: signalName(sig), took: ((Date.now() - sent) / 1000).toFixed(1), seconds: t })
    }
    this.d.events.container(rec, 'stop')
    return true
  }

  /** Signal the container's first process, with Docker's "kill" event. */
  #signal(rec: ContainerRecord, sig: number): void {
    signalContainer(this.d.runtime, rec, sig)
    this.d.events.container(rec, 'kill', { signal: String(sig) })
  }

  kill(ref: string, signal: string): Promise<void> {
    const rec = this.d.table.find(ref)
    const sig = parseSignal(signal, 'SIGKILL')
    return this.d.mutex.run(rec.Id, async () => {
      if (!rec.State.Running) {
        throw new TockerError(`cannot kill container: ${ref}: container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
      }
      this.#signal(rec, sig)
      if (sig === 9) await this.d.exits.waitExit(rec, 10_000)
    })
  }

  restart(ref: string, timeout?: number): Promise<void> {
    const rec = this.d.table.find(ref)
    return this.d.mutex.run(rec.Id, async () => {
      // The exit that #stop causes is not the end of an --rm container: Docker does not remove it
      // (HasBeenManuallyRestarted), it starts again and goes at its next exit.
      this.#restarting.add(rec.Id)
      try {
        await this.#stop(rec, timeout)
      } finally {
        this.#restarting.delete(rec.Id)
      }
      await this.#start(rec)
      rec.RestartCount = 0
      this.d.events.container(rec, 'restart')
    })
  }

  /** Whether the container's exit now is one that `restart` caused (--rm must not remove it). */
  restarting(id: string): boolean {
    return this.#restarting.has(id)
  }

  /**
   * POST /containers/{id}/wait. `ready` resolves once the wait is registered (Docker sends the
   * headers then, so `run` can start the container without missing its exit).
   */
  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed'): { ready: Promise<void>; result: Promise<ContainerWaitResponse> } {
    const rec = this.d.table.find(ref)
    const result = new Promise<ContainerWaitResponse>((resolve) => {
      const answer = (error?: string) => resolve({ StatusCode: rec.State.ExitCode, Error: error ? { Message: error } : null, ...(rec.State.OOMKilled ? { OOMKilled: true } : {}) })
      if (condition === 'removed') return this.d.removal.onRemoved(rec.Id, answer)
      if (condition === 'not-running' && !rec.State.Running && !this.d.exits.pending(rec.Id)) return answer()
      this.d.exits.onNextExit(rec.Id, () => answer())
    })
    return { ready: Promise.resolve(), result }
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const rec = this.d.table.find(ref)
    if (!rec.State.Running) throw new TockerError(`Container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
    this.d.runtime.resize?.(rec, h, w)
  }
}
