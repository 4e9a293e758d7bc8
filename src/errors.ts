// tocker's one error type, for every layer. `code` names the failure ("ENETCOMMAND", "EBADLAYER",
// an errno name such as "EPERM" for a failed system call); `message` is one line saying what was
// wrong (Docker's wording where Docker has one); `hint` says what to do; `cause` is what went wrong
// underneath; `exitCode` follows Docker (1 for most commands, 125 for tocker's own failure in
// run/create/start, 126/127 for a command that cannot run).
//
// The rules (ESLint enforces the first: eslint.config.js, no `new Error(` in src/ or native-shims/
// outside this file):
// - Everything src/ and native-shims/ throw is a TockerError or a subclass of it, with a code.
//   Errors made by Node or a library (fs's ENOENT, JSON.parse's SyntaxError) are not re-thrown bare
//   across a layer: the layer that meets one words it and keeps it as the `cause`.
// - A subclass exists only where a caller must tell it apart (`instanceof GateError`) or read
//   fields of its own (SyscallError's errno, NetworkCommandError's stderr, StackError's path).
// - The kernel's errno: a failed libc call throws a SyscallError (native-shims/libc.ts), a
//   TockerError subclass with code = the errno's name ("EPERM"), `errno`, `syscall` and `path`, as
//   Node's own ErrnoException has them, so `err.code === 'ENOENT'` reads the same for both. It is
//   `internal`: the layer above says what it was doing ("error mounting … to rootfs at …: mount
//   …: EPERM (Operation not permitted)") with the SyscallError as its `cause`; the errno stays
//   reachable down the cause chain. Why a subclass and not the cause of a generic error: the errno
//   *is* the failure at that level, and code/errno/syscall are what callers test (EEXIST → fine).
// - A failure to read state is an error (code "ESTATE", the read's error as cause), never "absent":
//   only ENOENT means a thing is not there.
//
// An `internal` error is a layer's low-level failure (a tool's exit status, a malformed tar stream,
// a registry's HTTP answer, a system call's errno): the layer above words it for people, usually
// with it as the cause. isUserFacing() tells the two apart; where an internal error reaches a
// person unworded, it is printed as a plain "Error: …" line (and the API answers 500 with its
// message).
//
// `instanceof TockerError` holds for a TockerError made by another copy of this module too (a brand
// in the global symbol registry): bin/tocker runs the CLI from a bundle (dist/bundle/) while the
// commands it leaves out (daemon, runtime, dashboard) run from the compiled tree (dist/src/), so one
// process can hold two copies of this class. A subclass (`instanceof GateError`) keeps the
// ordinary prototype check.
const BRAND = Symbol.for('tocker.TockerError')

export class TockerError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TockerError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  readonly code: string
  /** Set only where it must differ from the command's own default (1, or 125 for run/create/start). */
  readonly exitCode?: number
  readonly hint?: string
  /** HTTP status for the engine's API (404 no such thing, 409 conflict, 400 bad input, 500 other). */
  readonly status: number
  /** Docker prints engine-side errors as "Error response from daemon: …"; set where Docker does. */
  readonly daemon: boolean
  /** A low-level failure for the layer above to word (see the top of this file). */
  readonly internal: boolean

  constructor(message: string, opts: TockerErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'TockerError'
    this.code = opts.code ?? 'ETOCKER'
    this.exitCode = opts.exitCode
    this.hint = opts.hint
    this.status = opts.status ?? 500
    this.daemon = opts.daemon ?? false
    this.internal = opts.internal ?? false
    Object.defineProperty(this, BRAND, { value: true })
  }
}

export interface TockerErrorOptions {
  code?: string
  exitCode?: number
  hint?: string
  status?: number
  daemon?: boolean
  internal?: boolean
  cause?: unknown
}

export function isTockerError(err: unknown): err is TockerError {
  return err instanceof TockerError
}

/** A TockerError worded for people (not `internal`): pass it on as it is. */
export function isUserFacing(err: unknown): err is TockerError {
  return err instanceof TockerError && !err.internal
}
