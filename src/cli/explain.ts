// The one place where `--explain[=phases|full]` and `--step` arrive (before or after the command's
// name, for every command). Today both modes print the complete trace, one line per kernel-level
// action: what this process does itself (pull, load) and what the engine reports over
// GET /tocker/trace while this command runs. The phased renderer (issue 10) plugs in here: it gets
// the mode, whether to step, and every event from both sources, and returns its stop function.
import type { TraceEvent } from '../trace/trace.js'
import type { GlobalOptions } from './context.js'

export interface ExplainSession {
  /** An event the engine reported (the CLI prints them marked "[engine]"). */
  engineEvent(e: TraceEvent): void
  /** End of the command: flush, stop listening. */
  stop(): void
}

/** Start explaining for this command, or undefined when --explain was not given. */
export async function beginExplain(g: GlobalOptions): Promise<ExplainSession | undefined> {
  if (!g.explain) return undefined
  const { startExplain, formatEvent } = await import('../trace/explain.js')
  const stopLocal = startExplain()
  return {
    engineEvent: (e) => process.stderr.write(`[engine] ${formatEvent(e)}\n`),
    stop: stopLocal,
  }
}

let current: ExplainSession | undefined

export function setExplainSession(s: ExplainSession | undefined): void {
  current = s
}

/** The session of this command (engine.ts forwards the engine's events to it). */
export function explainSession(): ExplainSession | undefined {
  return current
}
