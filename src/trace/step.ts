// --step's pauses, as the layers below the API see them: `await stepPause(phase, subject)` at a
// phase boundary. Outside a --step session it costs one AsyncLocalStorage lookup and never yields
// (no await happens at all when `stepping()` is false, which matters to code that must not let
// other work run in between, see runtime/container.ts). The pause itself, the kernel snapshot it
// shows and what happens when the client goes away are the API layer's (api/trace-sessions.ts).
import type { PhaseId } from './phases.js'
import { currentScope, type StepSubject } from './scope.js'

/** Is a --step client waiting at the phase boundaries of the current work? */
export function stepping(): boolean {
  return currentScope()?.stepper !== undefined
}

/**
 * The phase `phase` just ended: wait for the --step client's go-ahead. Call it only with Node's
 * main thread at home (never inside a container's namespaces). `abortable`: work that makes
 * something throws when the client has gone away (and undoes itself, as after any failure); work
 * that takes things apart (an exit's cleanup) goes on.
 */
export async function stepPause(phase: PhaseId, subject: StepSubject, abortable = true): Promise<void> {
  const stepper = currentScope()?.stepper
  if (stepper) await stepper.pause(phase, subject, abortable)
}
