// The exit monitor: notices that a container's first process ended (inotify on the shim's state
// directory, through the runtime backend, plus a slow sweep for a shim that died without writing
// its exit file), records the exit once, cleans up after it and tells whoever waits.
import type { ExitRecord, NetworkBackend, RuntimeBackend } from './backend.js'
import type { ContainerTable } from './container-table.js'
import { signalName } from '../sys/signals.js'
import { currentScope, runInScopeOnly, type TraceScope } from '../trace/scope.js'
import { isTracing, note } from '../trace/trace.js'
import { stepPause } from '../trace/step.js'
import type { ContainerRecord } from './state.js'

const EXIT_SHIM_GONE = 255 // Docker's code for a container whose state was lost (reboot, crashed shim)

export interface ExitHooks {
  /** The run has ended and is being recorded (before the network and rootfs are released). */
  ended(rec: ContainerRecord): void
  /** The exit is recorded and every waiter told (--rm removes the container here). */
  recorded(rec: ContainerRecord): void
  /**
   * A removal follows this exit (--rm, rm -f): nobody needs its veths and rules gone before the
   * answer, so the network deletes them after (see NetworkBackend.release's `afterwards`).
   */
  removalFollows?(rec: ContainerRecord): boolean
  log(msg: string): void
}

export class ExitMonitor {
  readonly #listeners = new Map<string, Set<() => void>>()
  /** Told as soon as the exit is known (onNextExit's 'ended'), before the release and cleanup. */
  readonly #endListeners = new Map<string, Set<() => void>>()
  readonly #watchers = new Map<string, { close(): void }>()
  readonly #exiting = new Map<string, Promise<void>>()
  /**
   * Whose --explain session sees the end of a run (trace/scope.ts): the latest waiter's (`stop`,
   * `wait`), else the session that started it (`run` waiting for its --rm). Nobody's once both
   * are gone: the cleanup runs outside any session.
   */
  readonly #waiterScope = new Map<string, TraceScope>()
  readonly #startScope = new Map<string, TraceScope>()
  #sweep: NodeJS.Timeout | undefined

  constructor(
    readonly table: ContainerTable,
    readonly runtime: RuntimeBackend,
    readonly network: NetworkBackend | undefined,
    readonly hooks: ExitHooks,
  ) {}

  /** A slow safety net besides inotify: a shim that died without writing its exit file. */
  startSweep(): void {
    this.#sweep = setInterval(() => this.#sweepExits(), 2000)
    this.#sweep.unref()
  }

  close(): void {
    if (this.#sweep) clearInterval(this.#sweep)
    for (const w of this.#watchers.values()) w.close()
    this.#watchers.clear()
  }

  /** The exit being recorded now, if any (resolves once it is). */
  pending(id: string): Promise<void> | undefined {
    return this.#exiting.get(id)
  }

  /**
   * Call `fn` when the current (or, if not running, the next) run has ended and been recorded;
   * with 'ended', as soon as its end is known (its exit file read), before its network and runtime
   * are released: a log follower's last look (the shim wrote the log before the exit file) then
   * goes on while the runtime is deleted, not after it, on `run --rm`'s way to its answer.
   */
  onNextExit(id: string, fn: () => void, when: 'ended' | 'recorded' = 'recorded'): () => void {
    const scope = currentScope()
    if (scope) this.#waiterScope.set(id, scope)
    const listeners = when === 'ended' ? this.#endListeners : this.#listeners
    let set = listeners.get(id)
    if (!set) listeners.set(id, set = new Set())
    set.add(fn)
    return () => set!.delete(fn)
  }

  /** Tell every waiter now (the container is gone: removed). */
  release(id: string): void {
    const listeners = this.#listeners.get(id)
    this.#listeners.delete(id)
    this.#waiterScope.delete(id)
    this.#tellEnded(id)
    for (const fn of listeners ?? []) fn()
  }

  #tellEnded(id: string): void {
    const listeners = this.#endListeners.get(id)
    this.#endListeners.delete(id)
    for (const fn of listeners ?? []) fn()
  }

  /** Resolves true once the current run has ended and been recorded, false after `ms`. */
  waitExit(rec: ContainerRecord, ms: number): Promise<boolean> {
    if (!rec.State.Running) return (this.#exiting.get(rec.Id) ?? Promise.resolve()).then(() => true)
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const done = () => {
        if (timer) clearTimeout(timer)
        resolve(true)
      }
      this.onNextExit(rec.Id, done)
      if (ms !== Infinity) {
        timer = setTimeout(() => {
          this.#listeners.get(rec.Id)?.delete(done)
          resolve(false)
        }, ms)
      }
      this.#checkExit(rec) // in case it ended before we listened
    })
  }

  /** Watch a running container for the end of its run. */
  watch(rec: ContainerRecord): void {
    const scope = currentScope()
    if (scope) this.#startScope.set(rec.Id, scope)
    else this.#startScope.delete(rec.Id)
    this.#watchers.get(rec.Id)?.close()
    const w = this.runtime.watchExit(rec, () => this.#checkExit(rec))
    if (w) this.#watchers.set(rec.Id, w) // else: the sweep timer covers it
    this.#checkExit(rec)
  }

  #sweepExits(): void {
    for (const rec of this.table.all()) if (rec.State.Running) this.#checkExit(rec)
  }

  #checkExit(rec: ContainerRecord): void {
    if (!rec.State.Running || this.#exiting.has(rec.Id)) return
    // (The exit read here is the one recorded: each read parses state.json and the cgroup's files.)
    const exit = this.runtime.readExit(rec)
    if (exit !== undefined || !this.runtime.isRunning(rec.Shim)) void this.processExit(rec, exit)
  }

  /** Record the end of the current run (idempotent), clean up, tell the waiters. `read`: its exit, if just read. */
  processExit(rec: ContainerRecord, read?: ExitRecord): Promise<void> {
    const existing = this.#exiting.get(rec.Id)
    if (existing) return existing
    const scope = this.#waiterScope.get(rec.Id) ?? this.#startScope.get(rec.Id)
    this.#startScope.delete(rec.Id)
    return runInScopeOnly(scope, () => this.#processExit(rec, read))
  }

  #processExit(rec: ContainerRecord, read: ExitRecord | undefined): Promise<void> {
    const p = (async () => {
      this.#watchers.get(rec.Id)?.close()
      this.#watchers.delete(rec.Id)
      // The shim writes its exit file after its last log line, and exits right after: give a
      // shim that is still alive a moment to finish, so that the exit code is the real one.
      let exit = read ?? this.runtime.readExit(rec)
      for (let i = 0; !exit && i < 20 && this.runtime.isRunning(rec.Shim); i++) {
        await new Promise((r) => setTimeout(r, 25))
        exit = this.runtime.readExit(rec)
      }
      rec.State = {
        ...rec.State,
        Status: 'exited',
        Running: false,
        Pid: 0,
        ExitCode: exit?.exitCode ?? EXIT_SHIM_GONE,
        OOMKilled: exit?.oomKilled ?? false,
        Error: exit?.error ?? (exit ? '' : "the container's shim is gone (host rebooted or shim killed): exit status unknown"),
        FinishedAt: exit?.finishedAt ?? new Date().toISOString(),
      }
      rec.Shim = undefined
      rec.Init = undefined
      const code = rec.State.ExitCode
      if (!exit) note('exit', 'explain.note.exit.unknown', { code })
      else if (rec.State.OOMKilled) note('exit', 'explain.note.exit.oom', { path: rec.Path, code })
      else if (code > 128 && code < 160) note('exit', 'explain.note.exit.signal', { path: rec.Path, code, n: code - 128, signal: signalName(code - 128) })
      else note('exit', 'explain.note.exit', { path: rec.Path, code })
      this.hooks.ended(rec)
      this.#tellEnded(rec.Id)
      const removalFollows = !!this.hooks.removalFollows?.(rec)
      const releaseFailed = (e: Error) => this.hooks.log(`network release of ${rec.Id}: ${e.message}`)
      // A removal follows: its veths and rules may go after the answer. Not when somebody traces
      // it (--explain, --step): that client stops listening once answered, and a learner must see
      // the DNAT rule and the veth go.
      const releaseAfter = removalFollows && !isTracing()
      await this.network?.release(rec, releaseAfter ? { afterwards: releaseFailed } : {}).catch(releaseFailed)
      const cleanup = () => this.runtime.cleanup(rec).catch((e) => this.hooks.log(`cleanup ${rec.Id}: ${(e as Error).message}`))
      // The runtime's state (exit.json) is the exit's only copy on disk until the record is
      // written: on a full disk it stays, so that an engine restarted meanwhile finds the same
      // exit code; it goes once the record is written (unless a new run has begun by then).
      // --rm and rm -f: the record is not written (a write the answer would wait for) since the
      // removal follows at once. An engine that dies before the removal is done finds the record
      // as the start left it ("running", its shim gone): init records the exit then (and removes
      // an --rm one).
      const written = !this.table.has(rec.Id) || !!rec.HostConfig.AutoRemove || removalFollows || (await this.table.saveOrDefer(rec, () => void (rec.Shim ? undefined : cleanup())))
      if (written) await cleanup()
      // --step: what the exit took down (never holds the cleanup back: a client gone, it goes on).
      await stepPause('cleanup', { containerId: rec.Id }, false)
    })()
    this.#exiting.set(rec.Id, p)
    return p.finally(() => {
      this.#exiting.delete(rec.Id)
      this.release(rec.Id)
      this.hooks.recorded(rec)
    })
  }
}
