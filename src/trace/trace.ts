// The one narrow layer every kernel-level action passes through (syscall, mount, cgroup file write,
// ip/iptables command, registry request). Nobody listening costs one array-length check per call;
// `tocker --explain` subscribes and prints the stream as it happens.
//
// Scopes (scope.ts): the engine runs each API request of an explaining client inside that client's
// trace session (AsyncLocalStorage), so a listener can follow one client's work only: its events,
// not those of another terminal's `tocker ps` loop. A listener without a session sees everything.
import { t, type MessageKey } from '../i18n/index.js'
import { currentScope } from './scope.js'

export type TraceKind =
  | 'syscall' // a libc call / raw syscall made through FFI
  | 'mount' // mount, umount, pivot_root
  | 'fs' // special-file work Node cannot do alone (mknod, xattrs)
  | 'cgroup' // a write to a cgroup v2 file
  | 'net' // an ip / iptables change
  | 'registry' // an HTTP request to an image registry
  | 'exec' // a process we start
  | 'api' // an engine API request of the explaining client ended (a boundary between its steps)
  | 'note' // a fact the runtime observed rather than did (e.g. a namespace that vanished with its last process)

export interface TraceEvent {
  kind: TraceKind
  op: string // e.g. "unshare", "mount", "GET"
  detail: string // human-readable arguments, flags already decoded
  result?: string // e.g. "ok", "fd 7", "200", "EPERM (Operation not permitted)"
  failed?: boolean
  ms?: number // how long it took
  /** Who did it when it was not the runtime itself: "shim", "PID 1", "process" (exec's), reported by the C helper. */
  by?: string
  /**
   * A note's sentence as a catalogue key and its values (src/i18n/explain-messages.ts): the CLI
   * prints it in the learner's language; `detail` is its English text.
   */
  msg?: { key: string; vars?: Record<string, string | number> }
}

export type TraceListener = (event: TraceEvent) => void

interface Subscription {
  listener: TraceListener
  /** Only events reported inside this session's scope (see scope.ts); undefined: every event. */
  session?: string
}

/**
 * One list per process, not per copy of this module: the `tocker` CLI is one bundled file that
 * runs `tocker runtime …` from tocker-runtime's bundle (src/cli/commands/runtime.ts), so two
 * copies of this module live in that process. Kept in a module-level array, `--explain`
 * subscribed to the CLI's copy and heard nothing the runtime's copy reported.
 */
const LISTENERS = Symbol.for('tocker.trace.listeners')
const listeners: Subscription[] = ((globalThis as { [LISTENERS]?: Subscription[] })[LISTENERS] ??= [])

/** Listen to every event, or (with `session`) only to those reported in that session's scope. */
export function onTrace(listener: TraceListener, opts: { session?: string } = {}): () => void {
  const sub: Subscription = { listener, session: opts.session }
  listeners.push(sub)
  return () => {
    const i = listeners.indexOf(sub)
    if (i >= 0) listeners.splice(i, 1)
  }
}

/** Does anyone listen to what happens here and now (in the current scope)? */
export function isTracing(): boolean {
  if (listeners.length === 0) return false
  let session: string | undefined | null = null
  for (const l of listeners) {
    if (l.session === undefined) return true
    if (session === null) session = currentScope()?.session
    if (l.session === session) return true
  }
  return false
}

export function report(event: TraceEvent): void {
  if (listeners.length === 0) return
  let session: string | undefined | null = null
  for (const l of [...listeners]) {
    if (l.session !== undefined) {
      if (session === null) session = currentScope()?.session
      if (l.session !== session) continue
    }
    l.listener(event)
  }
}

/** Report a fact the engine observed (kind 'note'), as a catalogued sentence with its values. */
export function note(op: string, key: MessageKey, vars: Record<string, string | number> = {}): void {
  if (listeners.length === 0) return
  report({ kind: 'note', op, detail: t(key, vars, 'en'), msg: { key, vars } })
}

/**
 * Run `fn` and report it. `detail` is a function so that building the description costs nothing
 * when nobody listens. `describeResult` turns the return value into the reported result.
 */
export function traced<T>(
  kind: TraceKind,
  op: string,
  detail: () => string,
  fn: () => T,
  describeResult: (value: T) => string = () => 'ok',
): T {
  if (!isTracing()) return fn()
  const start = performance.now()
  try {
    const value = fn()
    report({ kind, op, detail: detail(), result: describeResult(value), ms: performance.now() - start })
    return value
  } catch (err) {
    report({ kind, op, detail: detail(), result: errorSummary(err), failed: true, ms: performance.now() - start })
    throw err
  }
}

/** The async twin of `traced`, for registry requests and spawned commands. */
export async function tracedAsync<T>(
  kind: TraceKind,
  op: string,
  detail: () => string,
  fn: () => Promise<T>,
  describeResult: (value: T) => string = () => 'ok',
): Promise<T> {
  if (!isTracing()) return fn()
  const start = performance.now()
  try {
    const value = await fn()
    report({ kind, op, detail: detail(), result: describeResult(value), ms: performance.now() - start })
    return value
  } catch (err) {
    report({ kind, op, detail: detail(), result: errorSummary(err), failed: true, ms: performance.now() - start })
    throw err
  }
}

function errorSummary(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return `${(err as { code: string }).code} (${(err as unknown as Error).message})`
  }
  return err instanceof Error ? err.message : String(err)
}

/** Decode a bit mask into "A|B|0x40" using a table of named bits. */
export function decodeFlags(value: number | bigint, table: Record<string, number | bigint>): string {
  let rest = BigInt(value)
  const names: string[] = []
  for (const [name, bit] of Object.entries(table)) {
    const b = BigInt(bit)
    if (b !== 0n && (rest & b) === b) {
      names.push(name)
      rest &= ~b
    }
  }
  if (rest !== 0n) names.push('0x' + rest.toString(16))
  return names.length ? names.join('|') : '0'
}
