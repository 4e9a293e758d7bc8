// The engine (tockerd's heart): the one owner of the containers' state, and the API's entry
// point. This file wires the parts together; each concern lives in its own module:
//   adoption.ts         start-up: re-adopt what runs, record what ended while the engine was away
//   container-table.ts  names and lookup, records on disk
//   lifecycle.ts        create, start, stop, kill, restart, wait, resize
//   exits.ts            the exit monitor (inotify + sweep), recording an exit once
//   removal.ts          rm, and a removal cut short by a killed engine
//   views.ts            inspect and ps (filters, ports)
//   streams.ts          logs and attach (output to an OutputSink; the wire framing is api/streams.ts)
//   container-files.ts  diff, commit, cp and export (a container's files)
//   execs.ts            the exec registry
//   system.ts           version and info
//   build/host.ts       what a build needs of the engine (its step containers)
// Containers run under detached shims (the runtime backend), so the engine can die and come back:
// init() re-adopts what still runs and records what ended meanwhile.
//
// Concurrency: operations on one container run one at a time (KeyedMutex); names are reserved
// synchronously before any await, so of two `run --name x` at once exactly one gets the name.
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { storeLayout, type StoreLayout } from '../store/layout.js'
import type {
  KernelChanges,
  KernelView,
  AuthConfig,
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  ExecCreateBody,
  ExecInspect,
  EndpointConfigBody,
} from '../api/types.js'
import type { ImageBackend, NetworkBackend, RuntimeBackend } from './backend.js'
import { ContainerTable } from './container-table.js'
import { ExecRegistry } from './execs.js'
import { ExitMonitor } from './exits.js'
import { Lifecycle } from './lifecycle.js'
import { KeyedMutex } from './mutex.js'
import { Trash } from './trash.js'
import { Removal } from './removal.js'
import type { ContainerRecord } from './state.js'
import { Streams, type AttachOptions, type ClientConnection, type LogsQuery, type OutputSink } from './streams.js'
import { ContainerEvents, EventBus, type EventQuery, type Subscription, type EventMessage } from './events.js'
import { ImageService } from './images/service.js'
import { diskUsage, info, version, writableLayerSize } from './system.js'
import { pruneContainers } from './prune.js'
import { inspectView, listView, type ListFilters } from './views.js'
import { VolumeService, type VolumeUser } from './volumes/service.js'
import { hostSnapshot, kernelChanges, kernelView, stepSnapshot, type KernelSnapshot } from './kernel-view.js'
import type { StepSubject } from '../trace/scope.js'
import { Builder, type BuildOutput, type BuildRequest } from './build/builder.js'
import { engineBuildHost } from './build/host.js'
import { adoptContainers } from './adoption.js'
import { applyChanges } from './commit.js'
import { ContainerFiles } from './container-files.js'
import type { ImportRequest } from './images/import.js'
import type { JSONMessage } from '../api/json-message.js'
import type { Readable } from 'node:stream'
import type { EngineNetwork } from './network-backend.js'

export type { AttachOptions, ClientConnection, LogsQuery, OutputSink } from './streams.js'

export interface EngineOptions {
  root: string
  /** What containers are created from: the image store under `root` unless given (a fake in unit tests). */
  images?: ImageBackend
  runtime: RuntimeBackend
  network?: NetworkBackend
  version?: string
  debug?: boolean
}

export class Engine {
  readonly layout: StoreLayout
  readonly #table: ContainerTable
  readonly #mutex = new KeyedMutex()
  readonly #trash: Trash
  readonly #exits: ExitMonitor
  readonly #removal: Removal
  readonly #lifecycle: Lifecycle
  readonly #execs: ExecRegistry
  readonly #streams: Streams
  /** Docker's event stream (GET /events): containers and images. */
  readonly events = new EventBus()
  readonly #containerEvents = new ContainerEvents(this.events)
  /** Every image operation; the one owner of the image store. */
  readonly images: ImageService
  /** Volumes (/volumes, and the mounts of containers). */
  readonly volumes: VolumeService
  /** A container's files: diff, commit, cp, export (container-files.ts). */
  readonly files: ContainerFiles

  constructor(readonly opts: EngineOptions) {
    this.layout = storeLayout(opts.root)
    const { runtime, network } = opts
    const table = (this.#table = new ContainerTable(this.layout.containers, (msg) => this.#warn(msg)))
    const events = this.#containerEvents
    const warn = (msg: string) => this.#warn(msg)
    // The image lock (images.forCreate) keeps rmi from deleting what a create is about to use.
    const images = (this.images = new ImageService({
      root: opts.root,
      events: this.events,
      users: (imageId) => table.all().filter((r) => r.ImageID === imageId).map((r) => ({ id: r.Id, running: r.State.Running })),
    }))
    network?.bind?.({ find: (ref) => table.find(ref), all: () => table.all() }, this.events)
    this.volumes = new VolumeService({ root: opts.root, events: this.events, users: () => table.all().map(volumeUse) })
    this.#execs = new ExecRegistry(runtime, (id) => table.find(id), this.layout.containers, warn)
    this.#exits = new ExitMonitor(table, runtime, network, {
      ended: (rec) => {
        this.#execs.forgetFinished(rec.Id)
        if (rec.State.OOMKilled) events.container(rec, 'oom')
        events.container(rec, 'die', { exitCode: String(rec.State.ExitCode) })
      },
      recorded: (rec) => {
        if (rec.HostConfig.AutoRemove && table.has(rec.Id) && !this.#lifecycle.restarting(rec.Id)) {
          // `run --rm` is told once the container is gone, its directory included (removal.ts).
          void this.#mutex.run(rec.Id, () => this.#removal.remove(rec, { force: true, volumes: true, autoRemove: true })).catch((e) => warn(`--rm of ${rec.Id}: ${(e as Error).message}`))
        }
      },
      removalFollows: (rec) => (!!rec.HostConfig.AutoRemove && !this.#lifecycle.restarting(rec.Id)) || this.#removal.killing(rec.Id),
      log: warn,
    })
    this.#trash = new Trash(this.layout.trash, warn)
    this.#removal = new Removal(table, this.#exits, runtime, network, events, warn, (rec) => this.volumes.removeAnonymous(volumeUse(rec).anonymous, warn), this.#trash, (id) => this.#streams.attachesDone(id))
    this.#lifecycle = new Lifecycle({ table, mutex: this.#mutex, exits: this.#exits, removal: this.#removal, images: opts.images ?? images, runtime, network, volumes: this.volumes, events, warn })
    this.files = new ContainerFiles({ table, mutex: this.#mutex, runtime, images, events })
    this.#streams = new Streams(this.#exits, runtime, (msg) => opts.debug && process.stderr.write(`tockerd: ${msg}\n`))
  }

  // ---- start-up: re-adopt what runs, record what ended while the engine was away ----

  async init(): Promise<void> {
    this.volumes.load()
    this.#trash.sweep()
    await adoptContainers({ table: this.#table, removal: this.#removal, exits: this.#exits, execs: this.#execs, runtime: this.opts.runtime, network: this.opts.network, warn: (msg) => this.#warn(msg) })
  }

  async close(): Promise<void> {
    this.#exits.close()
    this.#execs.close()
    this.images.close()
    this.#table.close()
    await this.#table.flush() // records being written (off the main thread) land before the engine goes
    await this.#trash.flush() // and removed containers' files are deleted
  }

  /**
   * Something failed that the engine got past (a cleanup, a release): never dropped. It goes to
   * the engine's log (stderr: tockerd.log for an engine the CLI started) as a warning.
   */
  #warn(msg: string): void {
    process.stderr.write(`tockerd: warning: ${msg}\n`)
  }

  /** Docker's order: full ID, exact name, then a unique ID prefix. */
  find(ref: string): ContainerRecord {
    return this.#table.find(ref)
  }

  // ---- lifecycle ----

  create(body: ContainerCreateBody, name?: string): Promise<ContainerCreateResponse> {
    return this.#lifecycle.create(body, name)
  }

  /** false when it was already running (Docker's 304). */
  start(ref: string): Promise<boolean> {
    return this.#lifecycle.start(ref)
  }

  /** false when it was not running (Docker's 304). */
  stop(ref: string, timeout?: number, signal?: string): Promise<boolean> {
    return this.#lifecycle.stop(ref, timeout, signal)
  }

  kill(ref: string, signal: string): Promise<void> {
    return this.#lifecycle.kill(ref, signal)
  }

  restart(ref: string, timeout?: number): Promise<void> {
    return this.#lifecycle.restart(ref, timeout)
  }

  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed'): { ready: Promise<void>; result: Promise<ContainerWaitResponse> } {
    return this.#lifecycle.wait(ref, condition)
  }

  resize(ref: string, h: number, w: number): Promise<void> {
    return this.#lifecycle.resize(ref, h, w)
  }

  remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void> {
    const rec = this.#table.find(ref)
    return this.#mutex.run(rec.Id, () => this.#removal.remove(rec, o))
  }

  rename(ref: string, newName: string): Promise<void> {
    const rec = this.#table.find(ref)
    return this.#mutex.run(rec.Id, async () => {
      const oldName = rec.Name
      await this.#table.rename(rec, newName)
      // Other containers on its networks now find it by its new name only.
      await this.opts.network?.renamed?.(rec, oldName)
      await this.#table.saveOrDefer(rec)
      this.#containerEvents.container(rec, 'rename', { oldName: `/${oldName}` })
    })
  }

  // ---- networks (/networks) ----

  /** The network backend with its /networks API (the engine's real one). */
  get networks(): EngineNetwork {
    // Duck-typed: the network layer is loaded dynamically (api/daemon.ts), never imported here.
    const n = this.opts.network as Partial<EngineNetwork> | undefined
    if (!n || typeof n.list !== 'function' || typeof n.create !== 'function') throw new TockerError('networks are not available in this engine', { code: 'EINTERNAL', daemon: true })
    return n as EngineNetwork
  }

  /** POST /networks/{id}/connect: configured now, attached now if it runs. */
  connectNetwork(ref: string, containerRef: string, cfg: EndpointConfigBody): Promise<void> {
    const net = this.networks
    const rec = this.#table.find(containerRef)
    return this.#mutex.run(rec.Id, async () => {
      await net.connect(rec, ref, cfg)
      await this.#table.saveOrDefer(rec)
    })
  }

  /** POST /networks/{id}/disconnect */
  disconnectNetwork(ref: string, containerRef: string, force: boolean): Promise<void> {
    const net = this.networks
    const rec = this.#table.find(containerRef)
    return this.#mutex.run(rec.Id, async () => {
      await net.disconnect(rec, ref, force)
      await this.#table.saveOrDefer(rec)
    })
  }

  // ---- views ----

  inspect(ref: string): ContainerInspect {
    const rec = this.#table.find(ref)
    return inspectView(rec, this.layout.containers, this.#execs.runningIn(rec.Id))
  }

  list(q: { all: boolean; limit?: number; filters: ListFilters }): ContainerSummary[] {
    return listView(this.#table.all(), q)
  }

  /** Containers using an image (for rmi's conflict check): [containerId, …]. */
  containersUsingImage(imageId: string): string[] {
    return this.#table.all().filter((r) => r.ImageID === imageId).map((r) => r.Id)
  }

  async top(ref: string, psArgs = '-ef'): Promise<ContainerTopResponse> {
    const rec = this.#table.find(ref)
    if (!rec.State.Running || !rec.Init) throw new TockerError(`container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
    return this.opts.runtime.top(rec, psArgs)
  }

  /** GET /containers/{id}/kernel: what the kernel holds for a running container (kernel-view.ts). */
  async kernel(ref: string): Promise<KernelView> {
    const rec = this.#table.find(ref)
    const { runtime, network } = this.opts
    if (!rec.State.Running || !rec.Init || !runtime.kernel) throw new TockerError(`Container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
    const [proc, net] = await Promise.all([runtime.kernel(rec), network?.kernel?.(rec.Id, rec.Init.pid)])
    return kernelView({ id: rec.Id, name: rec.Name, mergedDir: join(this.#table.dir, rec.Id, 'rootfs'), proc, net })
  }

  /** What a --step pause shows (api/trace-sessions.ts): kernel snapshots and their difference. */
  stepProbe(): { baseline(): Promise<KernelSnapshot>; snapshot(s: StepSubject): Promise<KernelSnapshot>; changes(a: KernelSnapshot, b: KernelSnapshot): KernelChanges } {
    const network = this.opts.network
    return {
      baseline: hostSnapshot,
      snapshot: (subject) => stepSnapshot(subject, network?.kernel ? (id, pid) => network.kernel!(id, pid) : undefined),
      changes: kernelChanges,
    }
  }

  // ---- logs / attach ----

  /** `open(tty)` starts the response once the request is known to be valid. */
  async logs(ref: string, q: LogsQuery, open: (tty: boolean) => OutputSink): Promise<void> {
    return this.#streams.logs(this.#table.find(ref), q, open)
  }

  async attachMode(ref: string): Promise<'raw' | 'multiplexed'> {
    return this.#table.find(ref).Config.Tty ? 'raw' : 'multiplexed'
  }

  /** `connect` opens the client's connection once the stream's start is placed (see Streams.attach). */
  async attach(ref: string, connect: () => ClientConnection, o: AttachOptions): Promise<void> {
    return this.#streams.attach(this.#table.find(ref), connect, o)
  }

  // ---- exec ----

  async execCreate(ref: string, body: ExecCreateBody): Promise<{ Id: string }> {
    return this.#execs.create(this.#table.find(ref), body)
  }

  execTty(id: string): boolean {
    return this.#execs.tty(id)
  }

  execStart(id: string, conn: ClientConnection | undefined): Promise<void> {
    return this.#execs.start(id, conn)
  }

  async execResize(id: string, h: number, w: number): Promise<void> {
    this.#execs.resize(id, h, w)
  }

  execInspect(id: string): ExecInspect {
    return this.#execs.inspect(id)
  }

  // ---- import ----

  /** POST /images/create?fromSrc=-: the --change lines applied first (a bad one fails before the tar is read). */
  importImage(body: Readable, req: Omit<ImportRequest, 'config'> & { changes: string[] }, send: (m: JSONMessage) => void): Promise<void> {
    const { changes, ...rest } = req
    return this.images.import(body, { ...rest, config: applyChanges({}, changes) }, send)
  }

  // ---- build ----

  /** POST /build: a Docker classic build; `cancelled` resolves when the client goes away. */
  async build(req: BuildRequest, out: BuildOutput, cancelled: Promise<void>): Promise<string> {
    const builder = new Builder(engineBuildHost(this), req, out)
    void cancelled.then(() => builder.cancel())
    return builder.run()
  }

  /** POST /auth */
  checkLogin(auth: AuthConfig): Promise<void> {
    return this.images.login(auth)
  }

  // ---- events, system ----

  /** GET /events: past events asked for with `since`, then each new one until `until`. */
  subscribeEvents(q: EventQuery, onEvent: (e: EventMessage) => void): Subscription {
    return this.events.subscribe(q, onEvent)
  }

  #system() {
    return {
      root: this.opts.root,
      version: this.opts.version ?? '0.0.0',
      records: () => this.#table.all(),
      images: this.images,
      eventListeners: () => this.events.listeners,
      bridge: () => this.opts.network?.bridge?.(),
      host: () => this.opts.runtime.hostFacts(),
    }
  }

  version() {
    return version(this.#system())
  }

  info() {
    return info(this.#system())
  }

  async diskUsage() {
    const du = await diskUsage(this.#system(), listView(this.#table.all(), { all: true, filters: {} }))
    return { ...du, Volumes: await this.volumes.diskUsage() }
  }

  /** POST /containers/prune: every container that is not running (filters: until, label). */
  pruneContainers(filters: string | null | undefined) {
    return pruneContainers(this.#table.all(), filters, {
      remove: (rec) => this.#mutex.run(rec.Id, () => this.#removal.remove(rec, { force: false, volumes: false })),
      sizeOf: (rec) => writableLayerSize(join(this.layout.containers, rec.Id, 'upper')),
      event: (reclaimed) => this.events.emit('container', 'prune', '', { reclaimed: String(reclaimed) }),
    })
  }
}

/** Which volumes a container's record mounts, and which of them were made for it alone. */
function volumeUse(rec: ContainerRecord): VolumeUser {
  const plans = (rec.MountPlans ?? []).filter((p) => p.Type === 'volume')
  return { id: rec.Id, volumes: plans.map((p) => p.Source), anonymous: plans.filter((p) => p.Anonymous).map((p) => p.Source) }
}
