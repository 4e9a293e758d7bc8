// Sending a signal to a container's first process through the runtime backend. (Parsing signal
// names is sys/signals.ts.)
import type { RuntimeBackend } from './backend.js'
import type { ContainerRecord } from './state.js'

/** Signal the container's first process; one that is already gone (ESRCH) is not an error. */
export function signalContainer(runtime: RuntimeBackend, rec: ContainerRecord, sig: number): void {
  try {
    runtime.signal(rec, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}
