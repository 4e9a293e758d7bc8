// Waiting for something the kernel will change soon (a killed process gone, a lock let go) without
// blocking the event loop: look again after a turn of the loop a few times, then back off.
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The pause before look number `tries` (from 0): the first `eager` looks come after one turn of the
 * event loop (the change is usually a few microseconds away), then 1, 2, 4 … ms, at most 50.
 */
export function pollPause(tries: number, eager: number): Promise<unknown> {
  return tries < eager ? new Promise((r) => setImmediate(r)) : sleep(Math.min(2 ** (tries - eager), 50))
}
