// The CLI's one error printer. Docker's English line always comes first (so a search finds it);
// then the error's own hint; then the catalogue's hint for its code or message (src/i18n/hints.ts:
// a learner's hint in both languages, a Korean explanation with a Korean locale).
import { isTockerError, isUserFacing } from '../errors.js'
import { hintForError, hintLines, lang } from '../i18n/index.js'
import { isWithHelp } from './with-help.js'
import { ArgsError, FlagError, UnknownCommandError, formatUnknownCommand, formatUsageError } from './usage-error.js'

export interface ReportContext {
  /** The words naming the command (['container', 'run']); [] at the root. */
  path: string[]
  /** Its usage line (after the path). */
  usage?: string
  debug?: boolean
  /** Exit code when the error carries none. */
  defaultExit?: number
}

/** The lines for one error, without the usage parts (also used by commands that go on after one). */
export function errorText(err: unknown, debug = false): string {
  let out: string
  if (isUserFacing(err)) {
    out = `${err.daemon ? 'Error response from daemon: ' : ''}${err.message}\n`
    if (err.hint) out += `${err.hint}\n`
    out += extraHints(err.code, err.message, err.hint)
  } else {
    const e = err as Error
    out = `Error: ${e?.message ?? String(err)}\n`
    out += extraHints(undefined, e?.message ?? '')
  }
  if (debug && (err as Error)?.stack) out += `${(err as Error).stack}\n`
  return out
}

function extraHints(code: string | undefined, message: string, own?: string): string {
  const lines = hintLines(hintForError(code, message), lang()).filter((l) => l !== own)
  return lines.map((l) => `${l}\n`).join('')
}

/** Print `err` as Docker's CLI would for this command; returns the exit code. */
export function reportError(err: unknown, ctx: ReportContext): number {
  let out: string
  if (err instanceof FlagError || err instanceof ArgsError) {
    out = formatUsageError(err, ctx.path, ctx.usage ?? '') + extraHints(err.code, err.message)
  } else if (err instanceof UnknownCommandError) {
    out = formatUnknownCommand(err, ctx.path, ctx.path.length ? '' : undefined) + extraHints(err.code, err.message)
  } else if (isWithHelp(err)) {
    const cmd = ['tocker', ...ctx.path].join(' ')
    out = `tocker: ${errorText(err, ctx.debug)}\nRun '${cmd} --help' for more information\n`
  } else {
    out = errorText(err, ctx.debug)
  }
  process.stderr.write(out)
  return (isTockerError(err) ? err.exitCode : undefined) ?? ctx.defaultExit ?? 1
}

export { withHelp } from './with-help.js'
