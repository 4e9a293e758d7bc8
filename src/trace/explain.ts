// The learner-facing printer for `--explain`, on stderr, in two modes:
//   phases (the default): the events of each step of the command (an API request of the CLI, or a
//     --step pause) grouped into the phases of phases.ts, in the table's order: one header with
//     the phase's title and why, then its few essential lines, paths shortened (<root>, 12-hex ids).
//   full: every event as it happens, one line each, complete, with a header whenever the phase
//     changes.
// Titles, whys, the engine's notes and the explanations on the lines are in Korean under a Korean
// locale (LANG=ko_KR.UTF-8): the words are in src/i18n/explain-messages.ts.
//
// Grouping: an API request's events are printed in the table's order when it ends. A request that
// takes a container down and then up again (restart) is printed in that order: the first event
// that brings a container up after events that took one down flushes what came before.
import { lang, t, text, type Lang } from '../i18n/index.js'
import { PHASE_BY_ID, PHASES, type PhaseId } from './phases.js'
import { phaseOf } from './phase-rules.js'
import { onTrace, type TraceEvent } from './trace.js'

const LABEL: Record<TraceEvent['kind'], string> = {
  syscall: 'syscall',
  mount: 'mount',
  fs: 'fs',
  cgroup: 'cgroup',
  net: 'net',
  registry: 'registry',
  exec: 'exec',
  api: 'api',
  note: 'note',
}

/** One event as one complete line (--explain=full). */
export function formatEvent(e: TraceEvent): string {
  if (e.kind === 'note') return `[note] ${e.detail}`
  if (e.kind === 'api') return `[api] ${e.op} ${e.detail} → ${e.result ?? ''}`
  const took = e.ms === undefined ? '' : ` (${e.ms < 1 ? e.ms.toFixed(2) : e.ms.toFixed(1)} ms)`
  const result = e.result === undefined ? '' : ` = ${e.result}`
  return `[${LABEL[e.kind]}] ${e.op}(${e.detail})${result}${took}${e.by ? ` [${e.by}]` : ''}`
}

export type ExplainMode = 'phases' | 'full'

export interface ExplainOptions {
  mode: ExplainMode
  write(line: string): void
  /** The store's directory, shown as <root> (--root). */
  root?: string
  lang?: Lang
}

/** Long paths made readable: the store's directory as <root>, 64-hex ids as their first 12 digits. */
export function shortenPaths(s: string, root?: string): string {
  let out = s
  if (root && root.length > 1) out = out.split(root.replace(/\/+$/, '')).join('<root>')
  return out.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1')
}

/** Phases that bring a container up, and those that take it down (see the grouping above). */
const UP = new Set<PhaseId>(['create', 'cgroup', 'namespaces', 'rootfs', 'pid1', 'dev', 'volumes', 'pivot', 'join', 'security', 'network', 'start'])
const DOWN = new Set<PhaseId>(['stop', 'cleanup', 'remove'])

/** Renders a stream of events (the engine's and this process's) in one of the two modes. */
export class ExplainRenderer {
  #buffer: { phase: PhaseId; e: TraceEvent }[] = []
  #lastPhase: PhaseId | undefined
  /** The phase printed last (phases mode): a step that goes on with it adds lines, not a header. */
  #lastPrinted: PhaseId | undefined
  #events = 0
  #lines = 0
  #phaseLines = 0

  constructor(readonly o: ExplainOptions) {}

  /** How many lines have been written so far. */
  get lines(): number {
    return this.#lines
  }

  #write(line: string): void {
    this.#lines++
    this.o.write(line)
  }

  /** An event; `engine`: reported by the engine rather than this process (full mode says so). */
  event(e: TraceEvent, engine = false): void {
    const placed = phaseOf(e)
    if (e.kind === 'api') {
      if (this.o.mode === 'full') this.#write(`${engine ? '[engine] ' : ''}${formatEvent(e)}`)
      else this.flush() // a request of ours is over: what it did is one step
      return
    }
    this.#events++
    const phase = placed === null ? undefined : (placed ?? this.#lastPhase)
    if (this.o.mode === 'full') {
      if (phase && phase !== this.#lastPhase) this.#write(`── ${text(PHASE_BY_ID.get(phase)!.title, undefined, this.#lang)} ──`)
      if (phase) this.#lastPhase = phase
      this.#write(`${engine ? '[engine] ' : ''}${formatEvent(e)}`)
      return
    }
    if (!phase) return
    this.#lastPhase = phase
    if (UP.has(phase) && this.#buffer.some((b) => DOWN.has(b.phase))) this.flush()
    this.#buffer.push({ phase, e })
  }

  /** Print what is buffered, phase by phase (phases mode; full mode prints as it goes). */
  flush(): void {
    const buffered = this.#buffer
    this.#buffer = []
    if (this.o.mode !== 'phases' || buffered.length === 0) return
    for (const phase of PHASES) {
      const events = buffered.filter((b) => b.phase === phase.id).map((b) => b.e)
      if (events.length === 0) continue
      const lines = phase.essentials(events, this.#lang)
      if (lines.length === 0) continue
      if (phase.id !== this.#lastPrinted) this.#write(`▸ ${text(phase.title, undefined, this.#lang)} — ${text(phase.why, undefined, this.#lang)}`)
      this.#lastPrinted = phase.id
      for (const l of lines) {
        this.#phaseLines++
        this.#write(`    ${shortenPaths(l, this.o.root)}`)
      }
    }
  }

  /** The end of the command: flush, and in phases mode say how to see everything. */
  end(): void {
    this.flush()
    if (this.o.mode !== 'phases') return
    if (this.#events === 0) this.#write(t('explain.none', {}, this.#lang))
    else if (this.#phaseLines > 0) this.#write(t(this.#events === 1 ? 'explain.total.one' : 'explain.total', { n: this.#events }, this.#lang))
  }

  get #lang(): Lang {
    return this.o.lang ?? lang()
  }
}

/** Render this process's own events (pull or load without an engine, `tocker runtime …`). */
export function startExplain(renderer: ExplainRenderer): () => void {
  return onTrace((e) => renderer.event(e))
}
