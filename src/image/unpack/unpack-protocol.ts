// Messages between the main thread and the unpacking thread (unpack-thread.ts, unpack-worker.ts),
// and errors turned into plain data and back: structured clone keeps only an Error's message and
// name, while callers decide by its code (EBADLAYER, EDIFFID, ENOSPC, …).
import { codeOf, type ErrorCode, TockerError } from '../../errors.js'
import type { TraceEvent } from '../../trace/trace.js'
import type { DirTarStats } from '../diff/dir-tar.js'
import type { UnpackOptions, UnpackResult } from './unpack.js'

/** A layer made here: the thread itself reads `dir` as a layer tar (dir-tar.ts) instead of receiving bytes. */
export interface FromDir {
  dir: string
  /** Read it as an overlayfs upper directory (whiteouts, opaque directories). */
  overlay: boolean
}

export type ToWorker =
  | { type: 'start'; id: number; layerDir: string; opts: Omit<UnpackOptions, 'signal'>; trace: boolean; fromDir?: FromDir }
  /** Compressed bytes of the layer, in order (the ArrayBuffer is transferred). */
  | { type: 'data'; id: number; chunk: ArrayBuffer }
  | { type: 'end'; id: number }
  /** The stream failed on the main thread's side: stop and clean up. */
  | { type: 'fail'; id: number; message: string }

export type FromWorker =
  /** `bytes` of compressed data were taken in (the main thread may send that much more). */
  | { type: 'ack'; id: number; bytes: number }
  | { type: 'trace'; id: number; event: TraceEvent }
  | { type: 'done'; id: number; result: UnpackResult; dirStats?: DirTarStats }
  /** The unpack failed; everything it opened is closed, nothing is written any more. */
  | { type: 'error'; id: number; error: WireError }

export interface WireError {
  message: string
  name?: string
  stack?: string
  tocker?: { code: ErrorCode; status: number; exitCode?: number; hint?: string; daemon: boolean; internal: boolean }
  errno?: { code?: string; errno?: number; syscall?: string; path?: string }
}

export function errorToWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { message: String(err) }
  const wire: WireError = { message: err.message, name: err.name, stack: err.stack }
  if (err instanceof TockerError) {
    wire.tocker = { code: err.code, status: err.status, exitCode: err.exitCode, hint: err.hint, daemon: err.daemon, internal: err.internal }
  } else {
    const e = err as NodeJS.ErrnoException
    if (e.code !== undefined || e.syscall !== undefined) wire.errno = { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path }
  }
  return wire
}

export function errorFromWire(wire: WireError): Error {
  let err: Error
  if (wire.tocker) {
    err = new TockerError(wire.message, wire.tocker)
  } else {
    // Node's own error (an fs call's errno, or a bug): its code, errno, syscall and path come back
    // on an internal TockerError, where callers find them as on Node's (err.code === 'ENOSPC').
    err = new TockerError(wire.message, { code: codeOf(wire.errno, 'EUNPACKTHREAD'), internal: true })
    if (wire.errno) Object.assign(err, wire.errno)
  }
  if (wire.name) err.name = wire.name
  if (wire.stack) err.stack = `${wire.stack}\n    (in the unpacking thread)`
  return err
}
