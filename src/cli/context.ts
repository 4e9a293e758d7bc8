// What every command receives: the global options, resolved once.
export interface GlobalOptions {
  root: string // the store (--root, TOCKER_ROOT, default /var/lib/tocker)
  host?: string // the engine to talk to (-H, TOCKER_HOST)
  explain: boolean
  debug: boolean
}

export const DEFAULT_ROOT = '/var/lib/tocker'

export function globalOptions(argv: Record<string, unknown>): GlobalOptions {
  return {
    root: String(argv.root ?? process.env.TOCKER_ROOT ?? DEFAULT_ROOT),
    host: (argv.host as string | undefined) ?? process.env.TOCKER_HOST ?? undefined,
    explain: Boolean(argv.explain),
    debug: Boolean(argv.debug),
  }
}
