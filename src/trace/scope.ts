// Whose work is this? The engine serves many clients at once; an explaining client (`tocker
// --explain …`) opens a trace session and sends its id with every request, and the API server runs
// the request inside that session's scope. Node's AsyncLocalStorage carries the scope through every
// await, timer and watcher started from there (the exit watcher set up by `start` included), so an
// event reported anywhere below knows which session it belongs to, and a --step pause knows whom
// to ask (step.ts). Outside any session the scope is undefined and nothing changes.
import { AsyncLocalStorage } from 'node:async_hooks'

export interface TraceScope {
  /** The trace session's id (GET /tocker/trace?session=1 hands it out). */
  session: string
  /** --step: pause here until the client says go on (see step.ts); undefined when not stepping. */
  stepper?: Stepper
}

/** What a --step session does at a phase boundary (implemented by the API layer, which can ask the client). */
export interface Stepper {
  /**
   * The phase `phase` just ended; `subject` says which container (its first process's pid, its
   * cgroup) so the stepper can show what changed in the kernel. Resolves when the client says go on;
   * rejects when the client has gone away and `abortable` (the operation then undoes itself).
   */
  pause(phase: string, subject: StepSubject, abortable: boolean): Promise<void>
}

export interface StepSubject {
  /** The container's first process, as the host sees it. */
  pid?: number
  /** Its cgroup v2 directory, when it has one. */
  cgroupPath?: string
  /** The engine's container id (the network part of a snapshot is found by it). */
  containerId?: string
}

// One per process, as trace.ts's listener list (two copies of this module can be loaded: see there).
const STORAGE = Symbol.for('tocker.trace.scope')
const storage: AsyncLocalStorage<TraceScope> = ((globalThis as { [STORAGE]?: AsyncLocalStorage<TraceScope> })[STORAGE] ??= new AsyncLocalStorage<TraceScope>())

export function currentScope(): TraceScope | undefined {
  return storage.getStore()
}

/** Run `fn` (and everything it starts) inside `scope` (undefined: in the caller's). */
export function runInScope<T>(scope: TraceScope | undefined, fn: () => T): T {
  return scope ? storage.run(scope, fn) : fn()
}

/** Run `fn` inside `scope` exactly: undefined means outside every session, whatever the caller's. */
export function runInScopeOnly<T>(scope: TraceScope | undefined, fn: () => T): T {
  return scope ? storage.run(scope, fn) : storage.exit(fn)
}
