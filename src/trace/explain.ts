// The learner-facing printer for `--explain`: one line per kernel-level action, on stderr.
import { onTrace, type TraceEvent } from './trace.js'

const LABEL: Record<TraceEvent['kind'], string> = {
  syscall: 'syscall',
  mount: 'mount',
  fs: 'fs',
  cgroup: 'cgroup',
  net: 'net',
  registry: 'registry',
  exec: 'exec',
}

export function formatEvent(e: TraceEvent): string {
  const took = e.ms === undefined ? '' : ` (${e.ms < 1 ? e.ms.toFixed(2) : e.ms.toFixed(1)} ms)`
  const result = e.result === undefined ? '' : ` = ${e.result}`
  return `[${LABEL[e.kind]}] ${e.op}(${e.detail})${result}${took}`
}

export function startExplain(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): () => void {
  return onTrace((e) => write(formatEvent(e)))
}
