// A recording fake of the engine's runtime backend (src/engine/backend.ts), for unit tests of the
// engine without root: no namespaces, no shim, no processes. It records every call (`calls`), hands
// out made-up pids that are "alive" until the container exits, and lets a test end a container
// (`exit`) or write its output into the json-file log (`output`) the way the shim would. A signal
// ends the container with 128+signal, unless the test made it ignore that signal.
import { appendFileSync } from 'node:fs'
import type { ExecHandle, ExitRecord, ImageBackend, ResolvedImage, RuntimeBackend, StartedProcess } from '../../../src/engine/backend.js'
import type { ContainerRecord, ProcessIdentity } from '../../../src/engine/state.js'
import { TockerError } from '../../../src/errors.js'
import type { HostFacts } from '../../../src/runtime/host-facts.js'

export class FakeRuntime implements RuntimeBackend {
  /** "create <id12>", "signal <id12> 15", "cleanup <id12>", … in order. */
  readonly calls: string[] = []
  /** Signals the container's first process ignores (as sh as PID 1 ignores SIGTERM). */
  readonly ignored = new Set<number>()
  readonly #alive = new Set<number>()
  readonly #exits = new Map<string, ExitRecord>()
  readonly #watchers = new Map<string, () => void>()
  readonly #procs = new Map<string, { shim: number; init: number }>()
  /** Containers the runtime holds state of (create until cleanup), and whose gate was released. */
  readonly #state = new Set<string>()
  readonly #released = new Set<string>()
  /** begin releases the gate and then never returns (an engine killed right after it). */
  hangBegin = false
  /** cleanup (the runtime's delete) waits for this, as the real one waits for the shim to be gone. */
  cleanupHold: Promise<void> | undefined
  #nextPid = 4000

  #call(what: string, rec: ContainerRecord, ...more: (string | number)[]): void {
    this.calls.push([what, rec.Id.slice(0, 12), ...more].join(' '))
  }

  /** A cgroup v2 host on ext4 with forwarding on: fixed, so tests of `info` read no /proc. */
  hostFacts(): HostFacts {
    return {
      cgroupVersion: '2',
      cgroups: { usable: true, controllers: ['cpu', 'memory', 'pids'], v1Mounts: [] },
      backingFilesystem: 'extfs',
      ipv4Forwarding: true,
      bridgeNfIptables: false,
      bridgeNfIp6tables: false,
      openFds: 10,
    }
  }
  checkLimits(): void {}
  async prepare(rec: ContainerRecord, _image: ResolvedImage): Promise<void> {
    this.#call('prepare', rec)
  }
  async create(rec: ContainerRecord): Promise<StartedProcess> {
    this.#call('create', rec)
    this.#exits.delete(rec.Id)
    const shim = this.#nextPid++
    const init = this.#nextPid++
    this.#alive.add(shim).add(init)
    this.#procs.set(rec.Id, { shim, init })
    this.#state.add(rec.Id)
    this.#released.delete(rec.Id)
    return { shim: { pid: shim, startTime: 1 }, init: { pid: init, startTime: 1 } }
  }
  async begin(rec: ContainerRecord): Promise<void> {
    this.#call('begin', rec)
    this.#released.add(rec.Id)
    if (this.hangBegin) await new Promise<never>(() => {})
  }
  processes(rec: ContainerRecord): StartedProcess | undefined {
    const p = this.#procs.get(rec.Id)
    return p && this.#state.has(rec.Id) ? { shim: { pid: p.shim, startTime: 1 }, init: { pid: p.init, startTime: 1 } } : undefined
  }
  releasedAt(rec: ContainerRecord): string | undefined {
    const p = this.#procs.get(rec.Id)
    return p && this.#released.has(rec.Id) && this.#alive.has(p.init) ? new Date().toISOString() : undefined
  }
  hasState(rec: ContainerRecord): boolean {
    return this.#state.has(rec.Id)
  }
  watchExit(rec: ContainerRecord, onChange: () => void): { close(): void } {
    this.#watchers.set(rec.Id, onChange)
    return { close: () => this.#watchers.delete(rec.Id) }
  }
  async top(rec: ContainerRecord): Promise<{ Titles: string[]; Processes: string[][] }> {
    return { Titles: ['PID', 'CMD'], Processes: [[String(rec.Init!.pid), [rec.Path, ...rec.Args].join(' ')]] }
  }
  isRunning(id: ProcessIdentity | undefined): boolean {
    return !!id && this.#alive.has(id.pid)
  }
  readExit(rec: ContainerRecord): ExitRecord | undefined {
    return this.#exits.get(rec.Id)
  }
  signal(rec: ContainerRecord, signal: number): void {
    this.#call('signal', rec, signal)
    const p = this.#procs.get(rec.Id)
    if (!p || !this.#alive.has(p.init)) throw new TockerError('no such process', { code: 'ESRCH', internal: true })
    // The shim writes the exit a moment later, as the real one does.
    if (!this.ignored.has(signal)) setImmediate(() => this.exit(rec.Id, 128 + signal))
  }
  async cleanup(rec: ContainerRecord): Promise<void> {
    this.#call('cleanup', rec)
    await this.cleanupHold
    this.#state.delete(rec.Id)
  }
  async destroy(rec: ContainerRecord): Promise<void> {
    this.#call('destroy', rec)
  }
  async exec(): Promise<ExecHandle> {
    throw new TockerError('exec is not faked', { code: 'EINTERNAL' })
  }

  /** The container's first process ends with `code`; its shim records it and exits. */
  exit(id: string, code: number): void {
    const p = this.#procs.get(id)
    if (!p || !this.#alive.has(p.init)) return
    this.#alive.delete(p.init)
    this.#alive.delete(p.shim)
    this.#exits.set(id, { exitCode: code, finishedAt: new Date().toISOString() })
    this.#watchers.get(id)?.()
  }

  /** The shim dies without writing an exit (kill -9 of the shim, a reboot). */
  vanish(id: string): void {
    const p = this.#procs.get(id)
    if (!p) return
    this.#alive.delete(p.init)
    this.#alive.delete(p.shim)
  }

  /** A line of output, as the shim appends it to the json-file log. */
  output(rec: { LogPath: string }, stream: 'stdout' | 'stderr', log: string, time = new Date().toISOString()): void {
    appendFileSync(rec.LogPath, JSON.stringify({ log, stream, time }) + '\n')
  }
}

/** One image, "busybox", with the config a test gives. */
export function fakeImages(config: ResolvedImage['config'] = { Cmd: ['sh'], Env: ['PATH=/usr/bin:/bin'] }): ImageBackend {
  const image: ResolvedImage = { id: `sha256:${'b'.repeat(64)}`, layerDirs: [], config }
  return {
    async forCreate(name, fn) {
      return fn(name === 'busybox' || name === 'busybox:latest' ? image : undefined)
    },
  }
}
