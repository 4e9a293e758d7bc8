// What every command receives: the global options, resolved once.
import { DEFAULT_ROOT } from '../api/socket.js'
import { TockerError } from '../errors.js'

export type ExplainMode = 'phases' | 'full'

export interface GlobalOptions {
  root: string // the store (--root, TOCKER_ROOT, default /var/lib/tocker)
  host?: string // the engine to talk to (-H, TOCKER_HOST)
  /** --explain[=phases|full]; undefined when not asked for. See explain.ts. */
  explain?: ExplainMode
  /** --step: pause after each explained phase. */
  step: boolean
  debug: boolean
}

export { DEFAULT_ROOT }

export function globalOptions(opts: Record<string, unknown>): GlobalOptions {
  const explain = opts.explain as string | undefined
  if (explain !== undefined && explain !== 'phases' && explain !== 'full') {
    throw new TockerError(`invalid argument "${explain}" for "--explain" flag: must be "phases" or "full"`, { code: 'EUSAGE_FLAG', exitCode: 125, status: 400 })
  }
  return {
    root: String(opts.root ?? process.env.TOCKER_ROOT ?? DEFAULT_ROOT),
    host: (opts.host as string | undefined) ?? process.env.TOCKER_HOST ?? undefined,
    explain: explain as ExplainMode | undefined ?? (opts.step ? 'phases' : undefined),
    step: Boolean(opts.step),
    debug: Boolean(opts.debug),
  }
}
