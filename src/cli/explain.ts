// The one place where `--explain[=phases|full]` and `--step` arrive (before or after the command's
// name, for every command). The events come from two places: this process (a `tocker runtime …`
// command does its kernel work here) and the engine, which reports the work it does for our
// requests on a trace session of ours (GET /tocker/trace?session=1, see api/trace-sessions.ts).
// Both go to one renderer (trace/explain.ts): phases by default, every event with =full.
//
// --step: the engine pauses our work after each phase and says what the phase changed in the
// kernel; we show it and wait for Enter, then tell the engine to go on. It needs a terminal; -i
// would compete with it for the keyboard. Ctrl-C during a pause ends the command, and the engine
// undoes the half-made container (our trace connection closes).
import type { EngineClient, TraceControl } from '../api/client.js'
import { TockerError } from '../errors.js'
import { text } from '../i18n/index.js'
import type { TraceEvent } from '../trace/trace.js'
import type { GlobalOptions } from './context.js'

export interface ExplainSession {
  /** Follow the engine's work for this client (once per engine). */
  follow(client: EngineClient): Promise<void>
  /**
   * Watch for the end of one of our requests (its path matching) on the engine's trace; call before
   * sending it. The function returned waits until it was seen, so everything the request did is
   * printed (at most SYNC_TIMEOUT_MS from the call: the trace may be gone).
   */
  requestDone(path: RegExp): () => Promise<void>
  /** End of the command: wait until the engine's trace has caught up, print the rest, stop listening. */
  stop(): Promise<void>
}

/** How long the end of a command waits for the engine's trace to catch up. */
const SYNC_TIMEOUT_MS = 3000

/** --step needs a keyboard: refuse before anything is done, as Docker refuses -t without a TTY. */
export function refuseStepWithoutTerminal(g: GlobalOptions, interactive = false): void {
  if (!g.step) return
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new TockerError('the input device is not a TTY: --step waits for Enter after each phase, run it in a terminal', {
      code: 'ENOTTY',
      exitCode: 1,
      hint: text({ en: 'Without --step, --explain prints the same phases without stopping.', ko: '--step 없이 --explain만 쓰면 같은 단계를 멈추지 않고 보여 줍니다.' }),
    })
  }
  if (interactive) {
    throw new TockerError('--step cannot be used with -i/--interactive: the keyboard answers the pauses', { code: 'EUSAGE_FLAG', exitCode: 125 })
  }
}

/**
 * Start explaining for this command, or undefined when --explain was not given. `interactive`: the
 * command's -i (its stdin goes to the container: --step could not read Enter).
 */
export async function beginExplain(g: GlobalOptions, o: { interactive?: boolean } = {}): Promise<ExplainSession | undefined> {
  if (!g.explain) return undefined
  refuseStepWithoutTerminal(g, o.interactive)
  const { ExplainRenderer, startExplain } = await import('../trace/explain.js')
  const renderer = new ExplainRenderer({ mode: g.explain, root: g.root, write: (l) => process.stderr.write(l + '\n') })
  const stopLocal = startExplain(renderer)
  const followed: { client: EngineClient }[] = []
  const watched = new Set<{ path: RegExp; seen: () => void }>()

  const onEvent = (e: TraceEvent): void => {
    renderer.event(e, true)
    if (e.kind === 'api') { for (const w of watched) if (w.path.test(e.detail ?? '')) w.seen() }
  }
  const requestDone = (path: RegExp): () => Promise<void> => {
    let seen!: () => void
    const done = new Promise<void>((resolve) => (seen = resolve))
    const w = { path, seen }
    watched.add(w)
    return async () => {
      // (The timer keeps this process alive meanwhile: the trace connection does not.)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, SYNC_TIMEOUT_MS)))])
      clearTimeout(timer)
      watched.delete(w)
    }
  }

  return {
    async follow(client) {
      if (followed.some((f) => f.client.socketPath === client.socketPath)) {
        client.traceSession = followed.find((f) => f.client.socketPath === client.socketPath)!.client.traceSession
        return
      }
      followed.push({ client })
      const onControl = (c: TraceControl): void => {
        if ('pause' in c) void pauseHere(renderer, client, c.pause, g.root)
      }
      await client.followTrace(onEvent, { session: true, step: g.step, onControl })
    },
    requestDone,
    async stop() {
      // Everything the engine did for us is on the trace stream before the answer to a ping we
      // send now (one stream, in order): wait for that ping's own `api` event.
      for (const { client } of followed) {
        const pinged = requestDone(/^\/_ping$/)
        try {
          await client.ping()
        } catch {
          continue // the engine is gone: print what we have
        }
        await pinged()
      }
      renderer.end()
      stopLocal()
    },
  }
}

/** --step: show what the phase changed, wait for Enter, let the engine go on. */
async function pauseHere(renderer: import('../trace/explain.js').ExplainRenderer, client: EngineClient, pause: { n: number; phase: string; changes: unknown }, root: string): Promise<void> {
  renderer.flush()
  const { formatChanges } = await import('./format/kernel.js')
  for (const line of formatChanges(pause.phase, pause.changes, root)) process.stderr.write(line + '\n')
  process.stderr.write(text({ en: '  ⏎ Enter to continue (Ctrl-C stops and undoes) ', ko: '  ⏎ 계속하려면 Enter (Ctrl-C: 멈추고 되돌립니다) ' }))
  await readLine()
  await client.continueStep(pause.n)
}

let lineReader: import('node:readline').Interface | undefined

/** One line from the terminal; Ctrl-C while waiting ends the command (130, as a shell says it). */
async function readLine(): Promise<void> {
  const { createInterface } = await import('node:readline')
  lineReader ??= createInterface({ input: process.stdin, terminal: false })
  const onInt = (): never => process.exit(130)
  process.on('SIGINT', onInt)
  try {
    await new Promise<void>((resolve) => lineReader!.once('line', () => resolve()))
  } finally {
    process.off('SIGINT', onInt)
    if (lineReader.listenerCount('line') === 0) {
      lineReader.close()
      lineReader = undefined
    }
  }
}

let current: ExplainSession | undefined

export function setExplainSession(s: ExplainSession | undefined): void {
  current = s
}

/** The session of this command (engine.ts has the engine report to it). */
export function explainSession(): ExplainSession | undefined {
  return current
}
