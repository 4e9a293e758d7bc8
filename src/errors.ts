// Errors that reach a person. `message` is one line saying what was wrong (Docker's wording where
// Docker has one); `hint` says what to do; `exitCode` follows Docker (1 for most commands,
// 125 for tocker's own failure in run/create/start, 126/127 for a command that cannot run).

export class TockerError extends Error {
  readonly code: string
  /** Set only where it must differ from the command's own default (1, or 125 for run/create/start). */
  readonly exitCode?: number
  readonly hint?: string
  /** HTTP status for the engine's API (404 no such thing, 409 conflict, 400 bad input, 500 other). */
  readonly status: number
  /** Docker prints engine-side errors as "Error response from daemon: …"; set where Docker does. */
  readonly daemon: boolean

  constructor(message: string, opts: { code?: string; exitCode?: number; hint?: string; status?: number; daemon?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'TockerError'
    this.code = opts.code ?? 'ETOCKER'
    this.exitCode = opts.exitCode
    this.hint = opts.hint
    this.status = opts.status ?? 500
    this.daemon = opts.daemon ?? false
  }
}

export function isTockerError(err: unknown): err is TockerError {
  return err instanceof TockerError
}
