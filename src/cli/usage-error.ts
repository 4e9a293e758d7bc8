// Usage errors, worded and numbered as Docker 28's CLI does (measured with its binary):
//
//   unknown flag: --foo                       exit 125, then the usage and
//                                             "Run 'tocker run --help' for more information"
//   tocker: 'tocker run' requires at least 1 argument          exit 1, usage, "See '…' …"
//   tocker: 'tocker ps' accepts no arguments                   exit 1, usage, "Run '…' …"
//   tocker: unknown command: tocker foo                        exit 1, "Run 'tocker --help' …"
//
// The parser throws these without knowing the command's name; main.ts adds the name and usage.
import { TockerError } from '../errors.js'
import { editDistance } from '../edit-distance.js'

/** A bad option (unknown, missing value, wrong type): Docker exits 125. */
export class FlagError extends TockerError {
  constructor(message: string) {
    super(message, { code: 'EUSAGE_FLAG', exitCode: 125, status: 400 })
  }
}

/** Wrong number of arguments: Docker exits 1. `see`: the footer says "See" (Docker's min-args). */
export class ArgsError extends TockerError {
  readonly see: boolean
  constructor(message: string, see: boolean) {
    super(message, { code: 'EUSAGE_ARGS', exitCode: 1 })
    this.see = see
  }
}

export class UnknownCommandError extends TockerError {
  readonly suggestions: string[]
  constructor(message: string, suggestions: string[]) {
    super(message, { code: 'EUSAGE_COMMAND', exitCode: 1 })
    this.suggestions = suggestions
  }
}

export function isUsageError(err: unknown): err is FlagError | ArgsError | UnknownCommandError {
  return err instanceof FlagError || err instanceof ArgsError || err instanceof UnknownCommandError
}

/** The lines Docker prints for a usage error of `tocker <path>` (whose usage line is `usage`). */
export function formatUsageError(err: FlagError | ArgsError, path: string[], usage: string): string {
  const cmd = ['tocker', ...path].join(' ')
  const usageLine = `Usage:  ${cmd}${usage ? ' ' + usage : ''}`
  if (err instanceof ArgsError) {
    return `tocker: '${cmd}' ${err.message}\n\n${usageLine}\n\n${err.see ? 'See' : 'Run'} '${cmd} --help' for more information\n`
  }
  return `${err.message}\n\n${usageLine}\n\nRun '${cmd} --help' for more information\n`
}

/** Docker 28's unknown command, with cobra's "Did you mean this?" (Docker turned those off). */
export function formatUnknownCommand(err: UnknownCommandError, parent: string[], parentUsage?: string): string {
  const cmd = ['tocker', ...parent].join(' ')
  let out = `tocker: ${err.message}\n`
  if (err.suggestions.length) out += `\nDid you mean this?\n${err.suggestions.map((s) => `\t${s}\n`).join('')}`
  if (parentUsage !== undefined) out += `\nUsage:  ${cmd}${parentUsage ? ' ' + parentUsage : ''}\n`
  return out + `\nRun '${cmd} --help' for more information\n`
}

/** The closest names (within 2 edits, or starting with what was typed); only the closest ones. */
export function suggest(typed: string, names: string[]): string[] {
  const t = typed.toLowerCase()
  const scored = names.map((n) => ({ n, d: t.length > 1 && n.toLowerCase().startsWith(t) ? 0 : editDistance(t, n.toLowerCase()) })).filter((x) => x.d <= 2)
  const best = Math.min(...scored.map((x) => x.d))
  return scored.filter((x) => x.d === best).map((x) => x.n)
}
