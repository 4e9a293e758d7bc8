// The engine's heart: the containers it owns, their records on disk, and every lifecycle operation
// the API exposes (create, start, stop, kill, wait, rm, rename, inspect, ps, top, logs, attach,
// exec). Containers run under detached shims (the runtime backend), so the engine can die and come
// back: init() re-adopts what still runs and records what ended meanwhile.
//
// Concurrency: operations on one container run one at a time (KeyedMutex); names are reserved
// synchronously before any await, so of two `run --name x` at once exactly one gets the name.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { release as osRelease } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { TockerError } from '../errors.js'
import { storeLayout, type StoreLayout } from '../store/layout.js'
import { familiarString, parseReference, withDefaultTag } from '../image/reference.js'
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  ExecCreateBody,
  ExecInspect,
  ImageSummary,
  Port,
} from '../api/types.js'
import { API_VERSION, STREAM } from '../api/types.js'
import type { ExecHandle, Hijacked, ImageBackend, NetworkBackend, RuntimeBackend, StartedProcess } from './backend.js'
import { isFullId, newContainerId, shortId } from './ids.js'
import { followLog, readLog, type LogEntry } from './logs.js'
import { KeyedMutex } from './mutex.js'
import { generateName, normalizeName } from './names.js'
import { parseSignal } from './signals.js'
import { containerDir, emptyState, isSameProcess, loadRecords, removeContainerDir, saveRecord, type ContainerRecord } from './state.js'
import { statusText } from './status.js'

export interface EngineOptions {
  root: string
  images: ImageBackend
  runtime: RuntimeBackend
  network?: NetworkBackend
  version?: string
  debug?: boolean
}

interface ExecRecord {
  id: string
  containerId: string
  body: ExecCreateBody
  running: boolean
  exitCode: number | null
  pid: number
  handle?: ExecHandle
  /** The last terminal size the client sent (rows, cols). */
  size?: [number, number]
}

export interface LogsQuery {
  follow: boolean
  stdout: boolean
  stderr: boolean
  timestamps: boolean
  tail?: number
  since?: number
  until?: number
}

const EXIT_SHIM_GONE = 255 // Docker's code for a container whose state was lost (reboot, crashed shim)

export class Engine {
  readonly layout: StoreLayout
  readonly #records = new Map<string, ContainerRecord>()
  readonly #names = new Map<string, string>() // name → id (reserved names map to '')
  readonly #mutex = new KeyedMutex()
  readonly #exitListeners = new Map<string, Set<() => void>>()
  readonly #removeListeners = new Map<string, Set<() => void>>()
  readonly #watchers = new Map<string, FSWatcher>()
  readonly #exiting = new Map<string, Promise<void>>()
  readonly #execs = new Map<string, ExecRecord>()
  #sweep: NodeJS.Timeout | undefined

  constructor(readonly opts: EngineOptions) {
    this.layout = storeLayout(opts.root)
  }

  // ---- start-up: re-adopt what runs, record what ended while the engine was away ----

  async init(): Promise<void> {
    mkdirSync(this.layout.containers, { recursive: true, mode: 0o710 })
    for (const rec of loadRecords(this.layout.containers)) {
      this.#records.set(rec.Id, rec)
      this.#names.set(rec.Name, rec.Id)
    }
    for (const rec of this.#records.values()) {
      if (rec.State.Status === 'removing') {
        await this.#finishRemove(rec).catch(() => {})
        continue
      }
      if (!rec.State.Running) {
        // An engine killed between create and start left a gate waiting: end it.
        if (rec.Shim && isSameProcess(rec.Init)) this.#signal(rec, 9)
        if (rec.Shim) {
          rec.Shim = undefined
          rec.Init = undefined
          await this.opts.runtime.cleanup(rec).catch(() => {})
          this.#save(rec)
        }
        continue
      }
      if (isSameProcess(rec.Shim) && !this.opts.runtime.readExit(rec)) {
        this.#watchExit(rec) // still running: adopt
      } else {
        await this.#processExit(rec)
      }
    }
    const running = [...this.#records.values()].filter((r) => r.State.Running)
    await this.opts.network?.reconcile(running).catch((e) => this.#log(`network reconcile: ${(e as Error).message}`))
    // A slow safety net besides inotify: a shim that died without writing its exit file.
    this.#sweep = setInterval(() => this.#sweepExits(), 2000)
    this.#sweep.unref()
  }

  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep)
    for (const w of this.#watchers.values()) w.close()
    this.#watchers.clear()
  }

  #log(msg: string): void {
    if (this.opts.debug) process.stderr.write(`tockerd: ${msg}\n`)
  }

  // ---- lookup ----

  /** Docker's order: full ID, exact name, then a unique ID prefix. */
  find(ref: string): ContainerRecord {
    const r = ref.replace(/^\//, '')
    if (isFullId(r) && this.#records.has(r)) return this.#records.get(r)!
    const byName = this.#names.get(r)
    if (byName && this.#records.has(byName)) return this.#records.get(byName)!
    if (/^[0-9a-f]+$/.test(r)) {
      const matches = [...this.#records.keys()].filter((id) => id.startsWith(r))
      if (matches.length === 1) return this.#records.get(matches[0])!
      if (matches.length > 1) throw new TockerError(`multiple IDs found with provided prefix: ${r}`, { status: 400, daemon: true })
    }
    throw new TockerError(`No such container: ${ref}`, { status: 404, daemon: true })
  }

  #save(rec: ContainerRecord): void {
    saveRecord(this.layout.containers, rec)
  }

  // ---- create ----

  async create(body: ContainerCreateBody, name?: string): Promise<ContainerCreateResponse> {
    if (!body || !body.Image) throw new TockerError('Config cannot be empty in order to create a container', { status: 400, daemon: true })
    const id = newContainerId()
    // Reserve the name before the first await: this is what makes two concurrent `--name x` safe.
    let finalName: string
    if (name) {
      finalName = normalizeName(name)
      const holder = this.#names.get(finalName)
      if (holder !== undefined) {
        throw new TockerError(
          `Conflict. The container name "/${finalName}" is already in use by container "${holder || 'another container being created'}". You have to remove (or rename) that container to be able to reuse that name.`,
          { status: 409, daemon: true },
        )
      }
    } else {
      let retry = 0
      do finalName = generateName(retry++)
      while (this.#names.has(finalName))
    }
    this.#names.set(finalName, id)
    try {
      const image = await this.opts.images.resolve(body.Image)
      if (!image) throw new TockerError(`No such image: ${familiarOf(body.Image)}`, { status: 404, daemon: true })
      if (body.HostConfig) this.opts.runtime.checkLimits(body.HostConfig)
      const ic = image.config ?? {}
      const entrypoint = body.Entrypoint != null && body.Entrypoint.length ? body.Entrypoint : body.Entrypoint != null ? [] : ic.Entrypoint ?? []
      // Docker: a user-given entrypoint resets the image's Cmd.
      const cmd = body.Cmd && body.Cmd.length ? body.Cmd : body.Entrypoint != null ? [] : ic.Cmd ?? []
      const argv = [...(entrypoint ?? []), ...(cmd ?? [])]
      if (argv.length === 0) throw new TockerError('No command specified', { status: 400, daemon: true })
      const env = mergeEnv(ic.Env ?? [], body.Env ?? [])
      const hc = body.HostConfig ?? {}
      const dir = containerDir(this.layout.containers, id)
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
          Volumes: ic.Volumes ?? null,
        },
        HostConfig: {
          NetworkMode: 'default',
          ...hc,
          LogConfig: { Type: 'json-file', Config: hc.LogConfig?.Config ?? {} },
        },
        State: emptyState(),
        RestartCount: 0,
        LogPath: join(dir, `${id}-json.log`),
        Mounts: (hc.Binds ?? []).map(bindToMount),
        NetworkSettings: { IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', Ports: {} },
        LowerDirs: image.layerDirs,
      }
      delete (rec.Config as Partial<ContainerCreateBody>).HostConfig
      this.#save(rec)
      try {
        await this.opts.runtime.prepare(rec, image)
      } catch (err) {
        removeContainerDir(this.layout.containers, id)
        throw err
      }
      this.#records.set(id, rec)
      return { Id: id, Warnings: [] }
    } catch (err) {
      if (this.#names.get(finalName) === id) this.#names.delete(finalName)
      throw err
    }
  }

  // ---- start / stop / kill / restart ----

  /** false when it was already running (Docker's 304). */
  start(ref: string): Promise<boolean> {
    const rec = this.find(ref)
    return this.#mutex.run(rec.Id, () => this.#start(rec))
  }

  async #start(rec: ContainerRecord): Promise<boolean> {
    if (rec.State.Running) return false
    if (rec.State.Status === 'removing') throw new TockerError(`container is marked for removal and cannot be started`, { status: 409, daemon: true })
    await this.#exiting.get(rec.Id)
    rec.State.Error = ''
    let started: StartedProcess | undefined
    try {
      started = await this.opts.runtime.create(rec)
      rec.Shim = started.shim
      rec.Init = started.init
      this.#save(rec)
      // The network goes in while the first process still waits at its gate, so the program
      // finds eth0 up from its first instruction.
      if (this.opts.network) {
        const ns = await this.opts.network.attach(rec)
        if (ns) rec.NetworkSettings = ns
      }
      await this.opts.runtime.begin(rec)
    } catch (err) {
      const msg = (err as Error).message
      if (started) {
        this.#signal(rec, 9)
        await this.opts.network?.release(rec).catch(() => {})
      }
      rec.Shim = undefined
      rec.Init = undefined
      rec.State.Error = msg
      rec.State.ExitCode = (err as TockerError).exitCode ?? 128
      this.#save(rec)
      await this.opts.runtime.cleanup(rec).catch(() => {})
      // --rm: Docker removes a container whose start failed, too.
      if (rec.HostConfig.AutoRemove) {
        rec.State.Status = 'removing'
        await this.#finishRemove(rec).catch(() => {})
      }
      if (err instanceof TockerError) {
        throw new TockerError(err.message, { status: err.status === 500 ? 400 : err.status, daemon: true, exitCode: err.exitCode, hint: err.hint })
      }
      throw new TockerError(`failed to start container ${rec.Id}: ${msg}`, { status: 500, daemon: true })
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
    this.#save(rec)
    this.#watchExit(rec)
    return true
  }

  /** false when it was not running (Docker's 304). */
  stop(ref: string, timeout?: number, signal?: string): Promise<boolean> {
    const rec = this.find(ref)
    return this.#mutex.run(rec.Id, () => this.#stop(rec, timeout, signal))
  }

  async #stop(rec: ContainerRecord, timeout?: number, signal?: string): Promise<boolean> {
    if (!rec.State.Running) return false
    const sig = parseSignal(signal || rec.Config.StopSignal || 'SIGTERM')
    const t = timeout ?? rec.Config.StopTimeout ?? 10
    this.#signal(rec, sig)
    // A negative timeout waits forever, as in Docker.
    if (await this.#waitExit(rec, t < 0 ? Infinity : t * 1000)) return true
    this.#signal(rec, 9)
    await this.#waitExit(rec, Infinity)
    return true
  }

  kill(ref: string, signal: string): Promise<void> {
    const rec = this.find(ref)
    const sig = parseSignal(signal, 'SIGKILL')
    return this.#mutex.run(rec.Id, async () => {
      if (!rec.State.Running) {
        throw new TockerError(`cannot kill container: ${ref}: container ${rec.Id} is not running`, { status: 409, daemon: true })
      }
      this.#signal(rec, sig)
      if (sig === 9) await this.#waitExit(rec, 10_000)
    })
  }

  restart(ref: string, timeout?: number): Promise<void> {
    const rec = this.find(ref)
    return this.#mutex.run(rec.Id, async () => {
      await this.#stop(rec, timeout)
      await this.#start(rec)
      rec.RestartCount = 0
    })
  }

  #signal(rec: ContainerRecord, sig: number): void {
    try {
      this.opts.runtime.signal(rec, sig)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }

  // ---- exits ----

  /** Resolves true once the current run has ended and been recorded, false after `ms`. */
  #waitExit(rec: ContainerRecord, ms: number): Promise<boolean> {
    if (!rec.State.Running) return (this.#exiting.get(rec.Id) ?? Promise.resolve()).then(() => true)
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const done = () => {
        if (timer) clearTimeout(timer)
        resolve(true)
      }
      this.#onNextExit(rec.Id, done)
      if (ms !== Infinity) {
        timer = setTimeout(() => {
          this.#exitListeners.get(rec.Id)?.delete(done)
          resolve(false)
        }, ms)
      }
      this.#checkExit(rec) // in case it ended before we listened
    })
  }

  #onNextExit(id: string, fn: () => void): () => void {
    let set = this.#exitListeners.get(id)
    if (!set) this.#exitListeners.set(id, (set = new Set()))
    set.add(fn)
    return () => set!.delete(fn)
  }

  #watchExit(rec: ContainerRecord): void {
    this.#watchers.get(rec.Id)?.close()
    try {
      // inotify on the container's directory: the shim writes its exit file there.
      const w = watch(this.opts.runtime.exitWatchDir(rec), () => this.#checkExit(rec))
      w.on('error', () => {})
      this.#watchers.set(rec.Id, w)
    } catch {
      /* the sweep timer covers it */
    }
    this.#checkExit(rec)
  }

  #sweepExits(): void {
    for (const rec of this.#records.values()) if (rec.State.Running) this.#checkExit(rec)
  }

  #checkExit(rec: ContainerRecord): void {
    if (!rec.State.Running || this.#exiting.has(rec.Id)) return
    const ended = this.opts.runtime.readExit(rec) !== undefined || !isSameProcess(rec.Shim)
    if (ended) void this.#processExit(rec)
  }

  /** Record the end of the current run (idempotent), clean up, tell the waiters. */
  #processExit(rec: ContainerRecord): Promise<void> {
    const existing = this.#exiting.get(rec.Id)
    if (existing) return existing
    const p = (async () => {
      this.#watchers.get(rec.Id)?.close()
      this.#watchers.delete(rec.Id)
      // The shim writes its exit file after its last log line, and exits right after: give a
      // shim that is still alive a moment to finish, so that the exit code is the real one.
      let exit = this.opts.runtime.readExit(rec)
      for (let i = 0; !exit && i < 20 && isSameProcess(rec.Shim); i++) {
        await new Promise((r) => setTimeout(r, 25))
        exit = this.opts.runtime.readExit(rec)
      }
      rec.State = {
        ...rec.State,
        Status: 'exited',
        Running: false,
        Pid: 0,
        ExitCode: exit?.exitCode ?? EXIT_SHIM_GONE,
        OOMKilled: exit?.oomKilled ?? false,
        Error: exit?.error ?? (exit ? '' : 'the container\'s shim is gone (host rebooted or shim killed): exit status unknown'),
        FinishedAt: exit?.finishedAt ?? new Date().toISOString(),
      }
      rec.Shim = undefined
      rec.Init = undefined
      for (const e of this.#execs.values()) if (e.containerId === rec.Id && !e.running) this.#execs.delete(e.id)
      await this.opts.network?.release(rec).catch((e) => this.#log(`network release: ${(e as Error).message}`))
      await this.opts.runtime.cleanup(rec).catch((e) => this.#log(`cleanup ${rec.Id}: ${(e as Error).message}`))
      if (this.#records.has(rec.Id)) this.#save(rec)
    })()
    this.#exiting.set(rec.Id, p)
    return p.finally(() => {
      this.#exiting.delete(rec.Id)
      const listeners = this.#exitListeners.get(rec.Id)
      this.#exitListeners.delete(rec.Id)
      for (const fn of listeners ?? []) fn()
      if (rec.HostConfig.AutoRemove && this.#records.has(rec.Id)) {
        void this.#mutex.run(rec.Id, () => this.#remove(rec, { force: true, volumes: true })).catch(() => {})
      }
    })
  }

  /**
   * POST /containers/{id}/wait. `ready` resolves once the wait is registered (Docker sends the
   * headers then, so `run` can start the container without missing its exit).
   */
  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed'): { ready: Promise<void>; result: Promise<ContainerWaitResponse> } {
    const rec = this.find(ref)
    const result = new Promise<ContainerWaitResponse>((resolve) => {
      const answer = () => resolve({ StatusCode: rec.State.ExitCode, Error: null })
      if (condition === 'removed') {
        let set = this.#removeListeners.get(rec.Id)
        if (!set) this.#removeListeners.set(rec.Id, (set = new Set()))
        set.add(answer)
        return
      }
      if (condition === 'not-running' && !rec.State.Running && !this.#exiting.has(rec.Id)) return answer()
      this.#onNextExit(rec.Id, answer)
    })
    return { ready: Promise.resolve(), result }
  }

  // ---- remove / rename ----

  remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void> {
    const rec = this.find(ref)
    return this.#mutex.run(rec.Id, () => this.#remove(rec, o))
  }

  async #remove(rec: ContainerRecord, o: { force: boolean; volumes: boolean }): Promise<void> {
    if (!this.#records.has(rec.Id)) return
    if (rec.State.Running) {
      if (!o.force) {
        throw new TockerError(
          `cannot remove container "/${rec.Name}": container is running: stop the container before removing or force remove`,
          { status: 409, daemon: true },
        )
      }
      this.#signal(rec, 9)
      await this.#waitExit(rec, Infinity)
    }
    await this.#exiting.get(rec.Id)
    rec.State.Status = 'removing'
    this.#save(rec)
    await this.#finishRemove(rec)
  }

  async #finishRemove(rec: ContainerRecord): Promise<void> {
    await this.opts.network?.release(rec).catch(() => {})
    await this.opts.runtime.cleanup(rec)
    await this.opts.runtime.destroy(rec)
    removeContainerDir(this.layout.containers, rec.Id)
    this.#records.delete(rec.Id)
    if (this.#names.get(rec.Name) === rec.Id) this.#names.delete(rec.Name)
    const listeners = this.#removeListeners.get(rec.Id)
    this.#removeListeners.delete(rec.Id)
    for (const fn of listeners ?? []) fn()
    const exitListeners = this.#exitListeners.get(rec.Id)
    this.#exitListeners.delete(rec.Id)
    for (const fn of exitListeners ?? []) fn()
  }

  rename(ref: string, newName: string): Promise<void> {
    const rec = this.find(ref)
    return this.#mutex.run(rec.Id, async () => {
      if (!newName) throw new TockerError('Neither old nor new names may be empty', { status: 400, daemon: true })
      const name = normalizeName(newName)
      if (name === rec.Name) throw new TockerError('Renaming a container with the same name as its current name', { status: 400, daemon: true })
      const holder = this.#names.get(name)
      if (holder !== undefined) {
        throw new TockerError(
          `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
          { status: 409, daemon: true },
        )
      }
      this.#names.set(name, rec.Id)
      this.#names.delete(rec.Name)
      rec.Name = name
      this.#save(rec)
    })
  }

  // ---- inspect / list / top ----

  inspect(ref: string): ContainerInspect {
    const rec = this.find(ref)
    const dir = containerDir(this.layout.containers, rec.Id)
    return {
      Id: rec.Id,
      Created: rec.Created,
      Path: rec.Path,
      Args: rec.Args,
      State: rec.State,
      Image: rec.ImageID,
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      LogPath: rec.LogPath,
      Name: `/${rec.Name}`,
      RestartCount: rec.RestartCount,
      Driver: 'overlay2',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: (() => {
        const ids = [...this.#execs.values()].filter((e) => e.containerId === rec.Id && e.running).map((e) => e.id)
        return ids.length ? ids : null
      })(),
      HostConfig: rec.HostConfig,
      GraphDriver: {
        Name: 'overlay2',
        Data: {
          LowerDir: rec.LowerDirs.join(':'),
          UpperDir: join(dir, 'upper'),
          WorkDir: join(dir, 'work'),
          MergedDir: join(dir, 'rootfs'),
        },
      },
      Mounts: rec.Mounts,
      Config: { ...rec.Config, Image: rec.Image },
      NetworkSettings: rec.NetworkSettings,
    }
  }

  list(q: { all: boolean; limit?: number; filters: Record<string, string[] | Record<string, boolean>> }): ContainerSummary[] {
    const filters: Record<string, string[]> = {}
    for (const [k, v] of Object.entries(q.filters ?? {})) filters[k] = Array.isArray(v) ? v : Object.keys(v).filter((x) => v[x])
    let recs = [...this.#records.values()].sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0))
    const limit = q.limit && q.limit > 0 ? q.limit : undefined
    // Docker: -n/-l (limit) and a status filter imply -a.
    const all = q.all || limit !== undefined || !!filters.status?.length
    if (!all) recs = recs.filter((r) => r.State.Running)
    recs = recs.filter((r) => matchesFilters(r, filters))
    if (limit) recs = recs.slice(0, limit)
    const now = Date.now()
    return recs.map((r) => ({
      Id: r.Id,
      Names: [`/${r.Name}`],
      Image: r.Image,
      ImageID: r.ImageID,
      Command: [r.Path, ...r.Args].join(' '),
      Created: Math.floor(Date.parse(r.Created) / 1000),
      Ports: portsOf(r),
      Labels: r.Config.Labels ?? {},
      State: r.State.Status,
      Status: statusText(r.State, now),
      HostConfig: { NetworkMode: r.HostConfig.NetworkMode ?? 'default' },
      Mounts: r.Mounts,
    }))
  }

  /** Running containers using an image (for rmi's conflict check): [containerId, …]. */
  containersUsingImage(imageId: string): string[] {
    return [...this.#records.values()].filter((r) => r.ImageID === imageId).map((r) => r.Id)
  }

  async top(ref: string, psArgs = '-ef'): Promise<ContainerTopResponse> {
    const rec = this.find(ref)
    if (!rec.State.Running || !rec.Init) throw new TockerError(`container ${rec.Id} is not running`, { status: 409, daemon: true })
    const pids = containerPids(rec.Init.pid)
    const out = await new Promise<string>((resolve, reject) => {
      const ps = spawn('ps', psArgs.split(/\s+/).filter(Boolean), { stdio: ['ignore', 'pipe', 'pipe'] })
      let text = ''
      let err = ''
      ps.stdout.on('data', (d) => (text += d))
      ps.stderr.on('data', (d) => (err += d))
      ps.on('error', reject)
      ps.on('close', (code) => (code === 0 ? resolve(text) : reject(new TockerError(`ps: ${err.trim()}`, { status: 500, daemon: true }))))
    })
    const lines = out.split('\n').filter(Boolean)
    const titles = lines[0].trim().split(/\s+/)
    const pidCol = titles.indexOf('PID')
    if (pidCol < 0) throw new TockerError(`Couldn't find PID field in ps output`, { status: 500, daemon: true })
    const processes: string[][] = []
    for (const line of lines.slice(1)) {
      const fields = line.trim().split(/\s+/)
      // The last column (CMD/COMMAND) may contain spaces: keep it whole.
      const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]
      if (pids.has(Number(row[pidCol]))) processes.push(row)
    }
    return { Titles: titles, Processes: processes }
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const rec = this.find(ref)
    if (!rec.State.Running) throw new TockerError(`Container ${rec.Id} is not running`, { status: 409, daemon: true })
    this.opts.runtime.resize?.(rec, h, w)
  }

  // ---- logs / attach ----

  async logs(ref: string, q: LogsQuery, res: ServerResponse, req: IncomingMessage): Promise<void> {
    const rec = this.find(ref)
    const tty = !!rec.Config.Tty
    if (!q.stdout && !q.stderr) throw new TockerError('Bad parameters: you must choose at least one stream', { status: 400, daemon: true })
    res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' })
    const write = (e: LogEntry) => res.write(encodeEntry(e, tty, q.timestamps))
    const opts = { stdout: q.stdout, stderr: q.stderr, since: q.since, until: q.until, tail: q.tail }
    const now = readLog(rec.LogPath, opts)
    for (const e of now.entries) write(e)
    if (!q.follow || !rec.State.Running) return void res.end()
    const done = new Promise<void>((resolve) => {
      this.#onNextExit(rec.Id, resolve)
      req.on('close', resolve)
      res.on('close', resolve)
    })
    const f = followLog(rec.LogPath, now, { ...opts, tail: undefined }, write, done)
    await f.finished
    res.end()
  }

  async attachMode(ref: string): Promise<'raw' | 'multiplexed'> {
    return this.find(ref).Config.Tty ? 'raw' : 'multiplexed'
  }

  /**
   * Attach to the container's stdio: what it writes from now on (read from its log file, which
   * the shim writes even when nobody is attached) and, with stdin, the connection's bytes into
   * its stdin. Ends when the current (or, if not running, the next) run ends.
   */
  async attach(ref: string, conn: Hijacked, o: { stream: boolean; logs: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<void> {
    const rec = this.find(ref)
    const tty = !!rec.Config.Tty
    const opts = { stdout: o.stdout, stderr: o.stderr }
    const write = (e: LogEntry) => {
      if (!conn.destroyed) conn.write(encodeEntry(e, tty, false))
    }
    const now = readLog(rec.LogPath, { ...opts, tail: o.logs ? undefined : 0 })
    for (const e of now.entries) write(e)
    if (!o.stream) return void conn.end()
    const ended = new Promise<void>((resolve) => {
      this.#onNextExit(rec.Id, resolve)
      conn.on('close', resolve)
    })
    if (o.stdin && rec.Config.OpenStdin && this.opts.runtime.openStdin) {
      void this.#pipeStdin(rec, conn)
    } else {
      conn.resume() // discard
    }
    const f = followLog(rec.LogPath, now, opts, write, ended)
    await f.finished
    if (!conn.destroyed) conn.end()
  }

  async #pipeStdin(rec: ContainerRecord, conn: Hijacked): Promise<void> {
    // The client's bytes wait in the socket (paused) until the container's stdin can take them.
    conn.pause()
    const stdin = await this.opts.runtime.openStdin!(rec).catch(() => undefined)
    if (!stdin) return void conn.resume()
    conn.on('data', (d: Buffer) => stdin.write(d))
    const close = () => {
      // Docker's StdinOnce: the container's stdin closes when the attached client's does.
      if (rec.Config.StdinOnce) stdin.end()
    }
    conn.on('end', close)
    conn.on('close', close)
    stdin.on('error', () => {})
    conn.resume()
  }

  // ---- exec ----

  async execCreate(ref: string, body: ExecCreateBody): Promise<{ Id: string }> {
    const rec = this.find(ref)
    if (!rec.State.Running) throw new TockerError(`container ${rec.Id} is not running`, { status: 409, daemon: true })
    if (!body?.Cmd?.length) throw new TockerError('No exec command specified', { status: 400, daemon: true })
    const id = randomBytes(32).toString('hex')
    this.#execs.set(id, { id, containerId: rec.Id, body, running: false, exitCode: null, pid: 0 })
    return { Id: id }
  }

  #exec(id: string): ExecRecord {
    const e = this.#execs.get(id)
    if (!e) throw new TockerError(`No such exec instance: ${id}`, { status: 404, daemon: true })
    return e
  }

  execTty(id: string): boolean {
    return !!this.#exec(id).body.Tty
  }

  async execStart(id: string, conn: Hijacked | undefined): Promise<void> {
    const e = this.#exec(id)
    if (e.running || e.exitCode !== null) throw new TockerError(`Error: Exec command ${id} is already running`, { status: 409, daemon: true })
    const rec = this.find(e.containerId)
    if (!rec.State.Running) throw new TockerError(`container ${rec.Id} is not running`, { status: 409, daemon: true })
    const b = e.body
    const handle = await this.opts.runtime
      .exec(
        rec,
        {
          args: b.Cmd,
          env: mergeEnv(rec.Config.Env ?? [], b.Env ?? []),
          cwd: b.WorkingDir || rec.Config.WorkingDir || undefined,
          user: b.User || rec.Config.User || undefined,
          tty: !!b.Tty,
          stdin: !!b.AttachStdin && !!conn,
        },
        !!conn,
      )
      .catch((err) => {
        if (conn && !conn.destroyed) {
          // Already hijacked: Docker writes the error into the stream and the exit code is 126/127.
          const msg = Buffer.from(`${(err as Error).message}\r\n`)
          conn.write(b.Tty ? msg : frame(STREAM.stdout, msg))
          conn.end()
        }
        e.exitCode = (err as TockerError).exitCode ?? 126
        throw err
      })
    const tty = !!b.Tty
    e.running = true
    e.pid = handle.pid
    e.handle = handle
    const finished = handle.exited.then((code) => {
      e.running = false
      e.exitCode = code
      // Docker forgets a finished exec after a while; its exit code stays readable until then.
      setTimeout(() => this.#execs.delete(e.id), 5 * 60_000).unref()
    })
    if (!conn) return
    const pending: Promise<void>[] = []
    const pipeOut = (s: NodeJS.ReadableStream | undefined, stream: number) => {
      if (!s) return
      pending.push(
        new Promise((resolve) => {
          s.on('data', (d: Buffer) => {
            if (!conn.destroyed) conn.write(tty ? d : frame(stream, d))
          })
          s.on('end', resolve)
          s.on('error', () => resolve())
          s.on('close', resolve)
        }),
      )
    }
    pipeOut(handle.stdout, STREAM.stdout)
    pipeOut(handle.stderr, STREAM.stderr)
    if (e.size) handle.resize?.(e.size[0], e.size[1])
    if (handle.stdin && b.AttachStdin) {
      conn.on('data', (d: Buffer) => handle.stdin!.write(d))
      // With a TTY, stdin and output are one pty master: ending it would end the output too.
      conn.on('end', () => {
        if (!tty) handle.stdin!.end()
      })
      handle.stdin.on('error', () => {})
    } else {
      conn.resume()
    }
    conn.on('error', () => {})
    await finished
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 200))])
    if (!conn.destroyed) conn.end()
  }

  async execResize(id: string, h: number, w: number): Promise<void> {
    const e = this.#exec(id)
    // The client sends its size right after attaching, maybe before the process exists.
    e.size = [h, w]
    e.handle?.resize?.(h, w)
  }

  execInspect(id: string): ExecInspect {
    const e = this.#exec(id)
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { entrypoint: e.body.Cmd[0], arguments: e.body.Cmd.slice(1), tty: !!e.body.Tty, user: e.body.User ?? '', privileged: false },
      OpenStdin: !!e.body.AttachStdin,
      OpenStderr: !!e.body.AttachStderr,
      OpenStdout: !!e.body.AttachStdout,
      ContainerID: e.containerId,
      Pid: e.pid,
    }
  }

  // ---- images, version, info ----

  async listImages(_q: { all: boolean }): Promise<ImageSummary[]> {
    const images = await this.opts.images.list()
    return images.map((i) => ({ ...i, Containers: this.containersUsingImage(i.Id).length }))
  }

  version() {
    return {
      Platform: { Name: 'tocker' },
      Version: this.opts.version ?? '0.0.0',
      ApiVersion: API_VERSION,
      MinAPIVersion: '1.24',
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      KernelVersion: osRelease(),
      GoVersion: `node ${process.version}`,
      GitCommit: '',
      BuildTime: '',
      Components: [
        {
          Name: 'Engine',
          Version: this.opts.version ?? '0.0.0',
          Details: {
            ApiVersion: API_VERSION,
            MinAPIVersion: '1.24',
            GoVersion: `node ${process.version}`,
            Os: 'linux',
            Arch: process.arch === 'x64' ? 'amd64' : process.arch,
            KernelVersion: osRelease(),
            GitCommit: '',
            BuildTime: '',
            Experimental: 'false',
          },
        },
      ],
    }
  }

  info() {
    const recs = [...this.#records.values()]
    return {
      ID: 'tocker',
      Containers: recs.length,
      ContainersRunning: recs.filter((r) => r.State.Running).length,
      ContainersPaused: 0,
      ContainersStopped: recs.filter((r) => !r.State.Running).length,
      Driver: 'overlay2',
      DockerRootDir: this.opts.root,
      OperatingSystem: 'tocker',
      OSType: 'linux',
      Architecture: process.arch,
      KernelVersion: osRelease(),
      ServerVersion: this.opts.version ?? '0.0.0',
      LoggingDriver: 'json-file',
      CgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    }
  }
}

// ---- helpers ----

function familiarOf(image: string): string {
  try {
    return familiarString(withDefaultTag(parseReference(image)))
  } catch {
    return image
  }
}

/** Image env, then the user's: a user's KEY=… replaces the image's KEY. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>()
  for (const kv of [...base, ...over]) {
    const i = kv.indexOf('=')
    out.set(i < 0 ? kv : kv.slice(0, i), kv)
  }
  return [...out.values()]
}

function bindToMount(bind: string) {
  const [src, dst, mode = ''] = bind.split(':')
  return { Type: 'bind' as const, Source: src, Destination: dst, Mode: mode, RW: !mode.split(',').includes('ro'), Propagation: 'rprivate' }
}

function portsOf(r: ContainerRecord): Port[] {
  const out: Port[] = []
  // Docker lists no ports for a container that is not running.
  if (!r.State.Running) return out
  const published = r.NetworkSettings.Ports ?? {}
  const keys = new Set([...Object.keys(r.Config.ExposedPorts ?? {}), ...Object.keys(published)])
  for (const key of keys) {
    const [port, proto = 'tcp'] = key.split('/')
    const bindings = published[key]
    if (bindings && bindings.length) {
      for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto })
    } else {
      out.push({ PrivatePort: Number(port), Type: proto })
    }
  }
  return out
}

function matchesFilters(r: ContainerRecord, f: Record<string, string[]>): boolean {
  const any = (k: string, test: (v: string) => boolean) => !f[k]?.length || f[k].some(test)
  return (
    any('status', (v) => r.State.Status === v) &&
    any('name', (v) => {
      try {
        return new RegExp(v).test(r.Name) || new RegExp(v).test(`/${r.Name}`)
      } catch {
        return r.Name.includes(v)
      }
    }) &&
    any('id', (v) => r.Id.startsWith(v)) &&
    any('exited', (v) => r.State.Status === 'exited' && r.State.ExitCode === Number(v)) &&
    any('ancestor', (v) => r.Image === v || r.ImageID === v || r.ImageID.startsWith(`sha256:${v}`) || familiarOf(r.Image) === familiarOf(v)) &&
    any('label', (v) => {
      const [k, val] = v.split('=')
      const labels = r.Config.Labels ?? {}
      return val === undefined ? k in labels : labels[k] === val
    })
  )
}

/** The container's processes: its first process and every descendant (walking /proc's ppids). */
function containerPids(initPid: number): Set<number> {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(Number(d), Number(rest[1]))
    } catch {
      /* gone */
    }
  }
  const pids = new Set([initPid])
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, ppid] of parent) {
      if (!pids.has(pid) && pids.has(ppid)) {
        pids.add(pid)
        grew = true
      }
    }
  }
  return pids
}

/** One log entry as the logs/attach stream carries it: framed (no TTY) or raw (TTY). */
function encodeEntry(e: LogEntry, tty: boolean, timestamps: boolean): Buffer {
  let data = Buffer.from(e.log, 'utf8')
  if (timestamps) data = Buffer.concat([Buffer.from(`${fixedNano(e.time)} `), data])
  return tty ? data : frame(e.stream === 'stderr' ? STREAM.stderr : STREAM.stdout, data)
}

/** Docker prints log timestamps with exactly 9 fractional digits (RFC3339NanoFixed). */
function fixedNano(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-].*)$/.exec(time)
  if (!m) return time
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`
}

function frame(stream: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(data.length, 4)
  return Buffer.concat([header, data])
}

