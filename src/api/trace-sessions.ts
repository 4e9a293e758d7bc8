// Trace sessions: how `tocker --explain` and `--step` follow their own work in the engine.
//
//   GET /tocker/trace                 every event of the engine, one JSON object per line (as before)
//   GET /tocker/trace?session=1       a session: the first line is {"session": "<id>", "step": false};
//                                     then only the events of requests that carry the header
//                                     X-Tocker-Session: <id>, each request ending with an `api` event
//   GET /tocker/trace?session=1&step=1  the same, and the engine pauses that client's work at each
//                                     phase boundary: a line {"pause": {"n", "phase", "changes"}}
//                                     (what the phase changed in the kernel), and the work goes on
//                                     after POST /tocker/sessions/<id>/continue?n=<n>.
//
// A --step pause can never leave a container half-made: the work waits with Node's main thread at
// home (never inside a container's namespaces, see runtime/container.ts), and when the client goes
// away (its trace connection closes) or does not answer for STEP_TIMEOUT_MS, a pause in work that
// makes something fails, and that work undoes itself as any failure does (the gate is killed, the
// network released, the cgroup and state removed); a pause in work that takes things apart (the
// cleanup after an exit, a removal) simply goes on. The engine itself never blocks on a client.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { TockerError } from '../errors.js'
import { runInScopeOnly, type StepSubject, type Stepper, type TraceScope } from '../trace/scope.js'
import { onTrace } from '../trace/trace.js'

export const SESSION_HEADER = 'x-tocker-session'

/** How long the engine waits for a --step client's "go on" before it gives up on it. */
export const STEP_TIMEOUT_MS = Number(process.env.TOCKER_STEP_TIMEOUT_MS) || 10 * 60_000

/** What a pause shows: computed by the engine from two kernel snapshots of the container. */
export interface StepProbe<S> {
  /** The host as the engine sees it: what the first pause compares with. */
  baseline(): Promise<S>
  snapshot(subject: StepSubject): Promise<S>
  changes(before: S, after: S): unknown
}

interface Pending {
  n: number
  resolve(): void
  reject(err: Error): void
  abortable: boolean
}

class Session implements Stepper {
  closed = false
  #n = 0
  #pending: Pending | undefined
  #last: unknown

  constructor(
    readonly id: string,
    readonly write: (obj: unknown) => void,
    readonly probe: StepProbe<unknown> | undefined,
  ) {}

  async pause(phase: string, subject: StepSubject, abortable: boolean): Promise<void> {
    if (this.closed) {
      if (abortable) throw stepAborted()
      return
    }
    let changes: unknown
    if (this.probe) {
      // Outside the session's scope: the probe's own commands (ip, iptables-save) are not part of
      // what the learner asked for, and are not reported to it.
      const probe = this.probe
      try {
        changes = await runInScopeOnly(undefined, async () => {
          const before = this.#last ?? (await probe.baseline())
          const now = await probe.snapshot(subject)
          this.#last = now
          return probe.changes(before, now)
        })
      } catch (err) {
        changes = { Error: (err as Error).message }
      }
    }
    if (this.closed) {
      if (abortable) throw stepAborted()
      return
    }
    const n = ++this.#n
    this.write({ pause: { n, phase, changes } })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(n, abortable ? stepAborted('no answer from the --step client') : undefined), STEP_TIMEOUT_MS)
      timer.unref()
      this.#pending = {
        n,
        abortable,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      }
    })
  }

  #settle(n: number, err?: Error): void {
    const p = this.#pending
    if (!p || p.n !== n) return
    this.#pending = undefined
    if (err) p.reject(err)
    else p.resolve()
  }

  /** The client's "go on" for pause n; false when no such pause waits. */
  continue(n: number): boolean {
    if (!this.#pending || this.#pending.n !== n) return false
    this.#settle(n)
    return true
  }

  close(): void {
    this.closed = true
    const p = this.#pending
    if (p) this.#settle(p.n, p.abortable ? stepAborted() : undefined)
  }
}

function stepAborted(why = 'the --step client went away'): TockerError {
  return new TockerError(`${why}: the operation was stopped and undone`, { code: 'ESTEPABORTED' })
}

export class TraceSessions {
  readonly #sessions = new Map<string, { session: Session; step: boolean }>()

  constructor(readonly probe?: StepProbe<unknown>) {}

  /** The scope of a request, from its X-Tocker-Session header (an unknown id: no scope). */
  scopeOf(req: IncomingMessage): TraceScope | undefined {
    const id = req.headers[SESSION_HEADER]
    if (typeof id !== 'string') return undefined
    const s = this.#sessions.get(id)
    return s ? { session: id, stepper: s.step ? s.session : undefined } : undefined
  }

  /** GET /tocker/trace: stream events (of one session, or all) until the client goes away. */
  async follow(req: IncomingMessage, res: ServerResponse, o: { session: boolean; step: boolean }): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' })
    res.flushHeaders()
    const write = (obj: unknown): void => void res.write(JSON.stringify(obj) + '\n')
    let session: Session | undefined
    if (o.session) {
      const id = randomBytes(8).toString('hex')
      session = new Session(id, write, o.step ? this.probe : undefined)
      this.#sessions.set(id, { session, step: o.step })
      write({ session: id, step: o.step })
    }
    const stop = onTrace(write, { session: session?.id })
    await new Promise<void>((resolve) => {
      req.on('close', resolve)
      res.on('close', resolve)
    })
    stop()
    if (session) {
      session.close()
      this.#sessions.delete(session.id)
    }
  }

  /** POST /tocker/sessions/<id>/continue?n=N */
  continue(id: string, n: number): void {
    const s = this.#sessions.get(id)
    if (!s) throw new TockerError(`no such trace session: ${id}`, { code: 'ENOTFOUND' })
    if (!s.session.continue(n)) throw new TockerError(`trace session ${id} has no pause ${n} waiting`, { code: 'ECONFLICT' })
  }
}
