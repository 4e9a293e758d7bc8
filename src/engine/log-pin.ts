// The pin that asks the shim to keep a container's rotated log files for attach: while
// <log>.attached exists, the shim's rotation keeps the names attach's follower looks at
// (ATTACH_PIN_FILES, engine/logs.ts, given to the shim at create; native-shims/shim/json-log.c says
// why). One file per log, however many attaches read it: the
// engine, the one owner of the container's directory, counts them here.
import { closeSync, constants, openSync, unlinkSync } from 'node:fs'
import { TockerError } from '../errors.js'

const pins = new Map<string, number>()

/** Pin the log `path` while an attach reads it; returns the unpin (idempotent). */
export function pinLog(path: string): () => void {
  const n = pins.get(path) ?? 0
  // Created in the engine's own directory (the container's), not a path the container controls.
  if (n === 0) {
    try {
      closeSync(openSync(`${path}.attached`, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600))
    } catch (cause) {
      throw new TockerError(`cannot pin the container's log ${path}: ${(cause as Error).message}`, { code: 'ESTATE', cause })
    }
  }
  pins.set(path, n + 1)
  let pinned = true
  return () => {
    if (!pinned) return
    pinned = false
    const left = pins.get(path)! - 1
    if (left > 0) return void pins.set(path, left)
    pins.delete(path)
    removePinFile(path)
  }
}

/**
 * At engine start: a pin no follower of this engine made (one that died with its attaches) goes,
 * or that log would keep its extra files for as long as the container runs.
 */
export function dropStalePin(path: string): void {
  if (!pins.has(path)) removePinFile(path)
}

/** ENOENT is fine: none was left, or the container's directory went first (rm -f while attached). */
function removePinFile(path: string): void {
  try {
    unlinkSync(`${path}.attached`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
