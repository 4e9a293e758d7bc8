// The shim's message bytes on its control and start sockets, and its trace reports (trace.c) as
// trace events: what ShimChannel reads on the control socket and what `start` reads on the start
// socket (parseStartReply).
import { isTracing, type TraceEvent } from '../trace/trace.js'
import { capabilityNames } from './caps.js'
import { parseError, type GateError } from './gate-error.js'

export const MSG = { pid: 0x50, ready: 0x52, cgroupns: 0x43, mount: 0x4d, hooks: 0x48, chroot: 0x4a, spec: 0x53, saved: 0x44, go: 0x47, ok: 0x4b, error: 0x45, trace: 0x54 } // 'P' 'R' ...

/** The shim's arguments that make it report its steps (trace.c), when somebody listens here. */
export function shimTraceArgs(): string[] {
  return isTracing() ? ['--trace', '1'] : []
}

/**
 * A T message (the shim's, the gate's or exec's process's own step, see native-shims/shim/trace.c)
 * as a trace event: "<op>\0<detail>\0<result>\0<errno>\0<usec>\0<who>". Capability masks are
 * named; `describe` replaces the detail when the runtime knows better (a mount target it sent as
 * an fd path).
 */
export function shimTraceEvent(payload: Buffer, describe?: string): TraceEvent {
  const [op = '?', detail = '', result = '', errno = '0', usec = '0', who = 'shim'] = payload.toString().split('\0')
  const kind: TraceEvent['kind'] = op === 'mount' ? 'mount' : op === 'fork' || op === 'clone3' || op === 'execve' ? 'exec' : 'syscall'
  return {
    kind,
    op,
    detail: describe ?? detail.replace(/caps=0x([0-9a-f]+)/g, (_, hex: string) => `${hex.replace(/^0+(?=.)/, '0x')} (${capabilitySummary(BigInt(`0x${hex}`))})`),
    result,
    failed: errno !== '0' || undefined,
    ms: Number(usec) > 0 ? Number(usec) / 1000 : undefined,
    by: who,
  }
}

function capabilitySummary(mask: bigint): string {
  const names = capabilityNames(mask)
  return names.length ? `${names.length}: ${names.map((n) => n.replace(/^CAP_/, '')).join(' ')}` : 'none'
}

/**
 * The start socket's answer (a stream: the gate frames its trace reports there as 'T', 8 hex
 * digits of length, payload): the reports as events, in order, and the error if it did not run.
 * An execve report is completed with the outcome, as ShimChannel does on the control socket.
 */
export function parseStartReply(reply: Buffer): { events: TraceEvent[]; error?: GateError } {
  const events: TraceEvent[] = []
  let at = 0
  while (at + 9 <= reply.length && reply[at] === MSG.trace) {
    const len = parseInt(reply.subarray(at + 1, at + 9).toString(), 16)
    if (!Number.isFinite(len) || at + 9 + len > reply.length) break
    events.push(shimTraceEvent(reply.subarray(at + 9, at + 9 + len)))
    at += 9 + len
  }
  const rest = reply.subarray(at)
  const error = rest.length > 0 && rest[0] === MSG.error ? parseError(rest) : undefined
  for (const e of events) {
    if (e.op === 'execve' && !e.failed) Object.assign(e, error ? { result: error.message, failed: true } : { result: 'ok (the process is now the program)' })
  }
  return { events, error }
}

export const GO_BYTE = MSG.go
export const ERROR_BYTE = MSG.error
