// What the engine needs from the layers below it, as narrow interfaces: the image store (resolve
// a name, its layers and config, list images), the runtime (start a container under its shim,
// signal it, exec into it, clean up after it) and the network. runtime-backend.ts,
// images/service.ts and network-backend.ts implement them over src/runtime, src/image and
// src/network; keeping the seam here means the engine's logic reads without those details.
import type { ContainerRoot, RootWanted } from '../runtime/container-root.js'
import type { HostFacts } from '../runtime/host-facts.js'
import type { ProcessKernelView } from '../runtime/kernel-view.js'
import type { NetworkKernelView } from '../network/kernel-view.js'
import type { NetworkSettings } from '../api/types.js'
import type { ContainerConfig as ImageRunConfig } from '../image/types.js'
import type { ContainerRecord, ProcessIdentity } from './state.js'

export interface ResolvedImage {
  /** sha256:<config digest> */
  id: string
  /** Overlay lower dirs, top layer first. */
  layerDirs: string[]
  config: ImageRunConfig
}

export interface ImageBackend {
  /**
   * Resolve `name` (undefined when the store does not have it: the client then pulls it) and run
   * `fn`, which saves the container's record, while no rmi/prune can remove the image's layers.
   */
  forCreate<T>(name: string, fn: (image: ResolvedImage | undefined) => Promise<T>): Promise<T>
}

export interface StartedProcess {
  shim: ProcessIdentity
  init: ProcessIdentity
}

/** What the shim recorded when the container's first process ended. */
export interface ExitRecord {
  exitCode: number
  finishedAt: string
  oomKilled?: boolean
  error?: string
}

export interface ExecSpec {
  /** The exec instance's ID: the runtime records its exit status under it (readExecExit). */
  id?: string
  args: string[]
  env: string[]
  cwd?: string
  user?: string
  tty: boolean
  stdin: boolean
}

export interface ExecHandle {
  pid: number
  /** The shim that waits for the process and records its exit (it outlives the engine). */
  shim?: ProcessIdentity
  /** Present when attached: the process's stdio. */
  stdout?: NodeJS.ReadableStream
  stderr?: NodeJS.ReadableStream
  stdin?: NodeJS.WritableStream
  /** pty master for a TTY exec, resized through resize(). */
  resize?(rows: number, cols: number): void
  exited: Promise<number>
}

export interface RuntimeBackend {
  /** What `docker info` reports of the host: cgroups, the store's filesystem, sysctls (runtime/host-facts.ts). */
  hostFacts(): HostFacts
  /** Refuse resource limits this host cannot enforce, at create time as Docker does. */
  checkLimits(hc: ContainerRecord['HostConfig']): void
  /** The container's files (bundle, rootfs dirs, hostname/hosts/resolv.conf) before its first start. */
  prepare(rec: ContainerRecord, image: ResolvedImage): Promise<void>
  /**
   * Create the container under a detached shim: namespaces, rootfs, the first process waiting at
   * its gate (the network is attached to it before it runs anything).
   */
  create(rec: ContainerRecord): Promise<StartedProcess>
  /** Release the gate: the user's program runs. Throws (exitCode 126/127) when it cannot. */
  begin(rec: ContainerRecord): Promise<void>
  /**
   * Between create and begin: throw the gate's refusal of the process, if it refused it (create
   * does not wait for the gate's word: the network is attached while the gate prepares).
   */
  check?(rec: ContainerRecord): void
  /**
   * When the gate was released (begin went through), or undefined while it still waits (or the
   * container is gone): what an engine restarted in the middle of a start needs to know.
   */
  releasedAt?(rec: ContainerRecord): string | undefined
  /**
   * The shim and PID 1 the runtime's state names (undefined: no state, or none named yet): how a
   * restarted engine finds a container whose start it did not live to record.
   */
  processes?(rec: ContainerRecord): StartedProcess | undefined
  /** Whether the runtime holds anything of the container (its state directory exists). */
  hasState?(rec: ContainerRecord): boolean
  /**
   * Call `onChange` when the shim's exit record may have appeared (inotify on its state
   * directory); undefined when it cannot be watched (the engine's sweep timer covers it then).
   */
  watchExit(rec: ContainerRecord, onChange: () => void): { close(): void } | undefined
  /** Is this still the very process we started (not gone, not a recycled pid)? */
  isRunning(id: ProcessIdentity | undefined): boolean
  /** The exit the shim recorded for the current run (its state dir is made anew by every start). */
  readExit(rec: ContainerRecord): ExitRecord | undefined
  /** `docker top`: `ps` with `psArgs`, only the container's processes (it is running). */
  top(rec: ContainerRecord, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }>
  /** Signal the container's first process (in the host's pid namespace). */
  signal(rec: ContainerRecord, signal: number): void
  /** After the process ended: unmount the rootfs, remove the cgroup (idempotent). */
  cleanup(rec: ContainerRecord): Promise<void>
  /** Remove everything the runtime made for the container (after cleanup). */
  destroy(rec: ContainerRecord): Promise<void>
  exec(rec: ContainerRecord, spec: ExecSpec, attached: boolean): Promise<ExecHandle>
  /** The exit the shim recorded for the exec `execId` (started with spec.id); undefined while it runs. */
  readExecExit?(rec: ContainerRecord, execId: string): ExitRecord | undefined
  /** The exec is forgotten: what the runtime kept of it goes. */
  forgetExec?(rec: ContainerRecord, execId: string): void
  /** Set the TTY window size of the container's pty (-t). */
  resize?(rec: ContainerRecord, rows: number, cols: number): void
  /** What /proc says of the running container's first process (`tocker kernel`). */
  kernel?(rec: ContainerRecord): Promise<ProcessKernelView>
  /**
   * The container's "/" for cp and export (runtime/container-root.ts): its PID 1's root while it
   * runs ('live', 'write'), else its overlay mounted in a private mount namespace ('rootfs' always).
   */
  openRoot?(rec: ContainerRecord, want: RootWanted): Promise<ContainerRoot>
  /** Open the container's stdin (OpenStdin) for writing; closing it is the container's EOF. */
  openStdin?(rec: ContainerRecord): Promise<NodeJS.WritableStream | undefined>
}

export interface NetworkBackend {
  /** At create: which networks the container is on (rec.Networks), checked; throws Docker's 4xx. */
  configure?(rec: ContainerRecord, body: import('../api/types.js').ContainerCreateBody): void
  /** Before the container's first process is made: what its spec needs (legacy links' variables). */
  prepareStart?(rec: ContainerRecord): Promise<void>
  /** The engine's containers and events (the engine is made after its backends). */
  bind?(containers: { find(ref: string): ContainerRecord; all(): ContainerRecord[] }, events: import('./events.js').EventBus): void
  /** After a rename: the container's DNS names. */
  renamed?(rec: ContainerRecord, oldName: string): Promise<void>
  /** Give a started container its network (veth, IP, port rules); returns inspect's settings. */
  /**
   * `portRulesLater`: resolve without waiting for the published ports' rules, whose promise goes
   * there (the caller awaits it before it answers; on its failure it releases the network).
   */
  attach(rec: ContainerRecord, opts?: { portRulesLater?: (added: Promise<void>) => void }): Promise<NetworkSettings | undefined>
  /**
   * Release what attach made (idempotent). `afterwards`: resolve once the container's address,
   * ports and names are free, and delete its veths and rules after that (the network's later
   * operations wait for them); their failure goes to `afterwards`.
   */
  release(rec: ContainerRecord, opts?: { afterwards?: (err: Error) => void }): Promise<void>
  /** inspect's settings of an attached container, from the network's own state (recovery). */
  settingsOf?(rec: ContainerRecord): NetworkSettings | undefined
  /** At engine start: drop rules/leases of containers that no longer run; what it could not do. */
  reconcile(running: ContainerRecord[]): Promise<{ warnings: string[] } | void>
  /** The default bridge: its name, and its subnet and gateway once chosen. */
  bridge?(): { name: string; subnet?: string; gateway?: string }
  /** The container's interfaces, veth and rules as the kernel has them; `pid` undefined once it stopped. */
  kernel?(containerId: string, pid: number | undefined): Promise<NetworkKernelView | undefined>
}
