// The `tocker` command line: Docker's syntax (`tocker [OPTIONS] COMMAND [ARG...]`). The words are
// read by one parser (parse.ts) against each command's table (spec.ts, commands/): the global
// options, then the command's name (and a group's subcommand), then the command's own options and
// arguments. Global options are accepted after the command's name too (`tocker run --explain …`).
// Only the command that runs is loaded: `tocker ps` reads the registry, ps.ts and what ps needs.
import { TockerError } from '../errors.js'
import { COMMANDS } from './commands/index.js'
import { globalOptions, type GlobalOptions } from './context.js'
import { checkArgs, compileTable, parseWith, withDefaults } from './parse.js'
import { GLOBAL_OPTIONS, HELP_OPTION, type Command, type CommandEntry, type OptionDef } from './spec.js'
import { ArgsError, UnknownCommandError, suggest } from './usage-error.js'
import { writeStdout } from './output.js'

/** The error printer, loaded only when there is something to print. */
async function reportError(err: unknown, ctx: import('./report.js').ReportContext): Promise<number> {
  return (await import('./report.js')).reportError(err, ctx)
}

const ROOT_OPTIONS: OptionDef[] = [
  ...GLOBAL_OPTIONS,
  { ...HELP_OPTION, short: 'h', hidden: true },
  { name: 'version', short: 'v', type: 'bool', description: { en: 'Print version information and quit', ko: '버전 정보를 출력하고 끝냅니다' } },
]

/** Run the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  quietOnBrokenPipe()
  let root
  try {
    root = parseWith(compileTable(ROOT_OPTIONS), argv, { interspersed: false })
  } catch (err) {
    return reportError(err, { path: [], usage: '[OPTIONS] COMMAND' })
  }
  if (root.opts.version) {
    writeStdout(`tocker version ${await packageVersion()}\n`)
    return 0
  }
  const [name, ...rest] = root.args
  if (name === undefined || (root.opts.help && name === undefined)) return printRootHelp()
  if (root.opts.help) return runEntry([name], lookup(COMMANDS, name), ['--help', ...rest], root.opts, GLOBAL_OPTIONS, [])
  if (name === 'help') return helpFor(rest)
  const entry = lookup(COMMANDS, name)
  if (!entry) return reportError(unknownCommand([], name, COMMANDS), { path: [] })
  return runEntry([name], entry, rest, root.opts, GLOBAL_OPTIONS, [])
}

function lookup(entries: CommandEntry[], word: string): CommandEntry | undefined {
  return entries.find((e) => e.name === word || e.aliases?.includes(word))
}

function unknownCommand(parent: string[], word: string, entries: CommandEntry[]): UnknownCommandError {
  const names = entries.filter((e) => !e.hidden).map((e) => e.name)
  return new UnknownCommandError(`unknown command: ${['tocker', ...parent, word].join(' ')}`, suggest(word, names))
}

async function printRootHelp(): Promise<number> {
  const { rootHelp } = await import('./help.js')
  writeStdout(rootHelp(COMMANDS, GLOBAL_OPTIONS))
  return 0
}

/** `tocker help [COMMAND...]`: cobra's help command. */
async function helpFor(words: string[]): Promise<number> {
  if (!words.length) return printRootHelp()
  let entries = COMMANDS
  const path: string[] = []
  let entry: CommandEntry | undefined
  let cmd: Command | undefined
  for (const w of words) {
    entry = lookup(entries, w)
    if (!entry) {
      process.stderr.write(`unknown help topic: ${[...path, w].join(' ')}\n`)
      return 1
    }
    path.push(entry.name)
    cmd = await entry.load()
    entries = cmd.subcommands ?? []
  }
  const { commandHelp } = await import('./help.js')
  writeStdout(commandHelp(path, entry!, cmd!))
  return 0
}

/**
 * Parse and run one command. `inherited`: option values read before its name (globals, a group's
 * own options); `inheritedDefs`: their tables, which it accepts after its name too.
 */
async function runEntry(
  path: string[],
  entry: CommandEntry | undefined,
  argv: string[],
  inherited: Record<string, any>,
  inheritedDefs: OptionDef[],
  parentDefs: OptionDef[],
): Promise<number> {
  if (!entry) return reportError(unknownCommand(path.slice(0, -1), path[path.length - 1], COMMANDS), { path: [] })
  const cmd = await entry.load()
  const help = { ...HELP_OPTION, hidden: true, short: cmd.options.some((o) => o.short === 'h') ? undefined : 'h' }
  const table = compileTable([...cmd.options, ...inheritedDefs, help])
  const ctx = { path, usage: cmd.subcommands ? 'COMMAND' : cmd.usage }
  let parsed
  try {
    parsed = parseWith(table, argv, { interspersed: cmd.subcommands ? false : cmd.interspersed })
  } catch (err) {
    return reportError(err, ctx)
  }
  const opts = mergeOptions(inherited, parsed.opts)
  if (opts.help) {
    const { commandHelp } = await import('./help.js')
    writeStdout(commandHelp(path, entry, cmd))
    return 0
  }
  if (cmd.subcommands) {
    const [sub, ...rest] = parsed.args
    if (sub === undefined) {
      const { commandHelp } = await import('./help.js')
      writeStdout(commandHelp(path, entry, cmd))
      return 0
    }
    const subEntry = lookup(cmd.subcommands, sub)
    if (!subEntry) return reportError(unknownCommand(path, sub, cmd.subcommands), { path })
    return runEntry([...path, subEntry.name], subEntry, rest, opts, [...cmd.options, ...inheritedDefs], cmd.options)
  }
  const bad = checkArgs(cmd.args, parsed.args.length)
  if (bad) return reportError(new ArgsError(bad.message, bad.see), ctx)
  withDefaults(opts, [...cmd.options, ...parentDefs])
  let g
  try {
    g = globalOptions(opts)
  } catch (err) {
    return reportError(err, ctx)
  }
  const reportCtx = { path, usage: cmd.usage, debug: g.debug, defaultExit: cmd.errorExitCode ?? 1 }
  if ((cmd.needsRoot ?? true) && process.getuid?.() !== 0) {
    return reportError(new TockerError('tocker must be run as root (try sudo)', { code: 'ENOTROOT' }), reportCtx)
  }
  const explain = g.explain ? await import('./explain.js') : undefined
  let session
  try {
    session = await explain?.beginExplain(g, { interactive: !!opts.interactive })
  } catch (err) {
    return reportError(err, reportCtx)
  }
  explain?.setExplainSession(session)
  try {
    return (await cmd.run!({ opts, args: parsed.args, g, path })) ?? 0
  } catch (err) {
    await session?.stop()
    session = undefined
    return reportError(await didYouMean(err, g), reportCtx)
  } finally {
    await session?.stop()
  }
}

/** A container name that is not there: the closest ones that are (asked of the engine only then). */
async function didYouMean(err: unknown, g: GlobalOptions): Promise<unknown> {
  if (!(err instanceof Error) || !/^No such (container|object): /.test(err.message)) return err
  const [{ engineClient }, { withContainerSuggestion }] = await Promise.all([import('./engine.js'), import('./did-you-mean.js')])
  return withContainerSuggestion(err, await engineClient(g))
}

/** Values read later (closer to the command) win; repeatable ones add up. */
function mergeOptions(before: Record<string, any>, after: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...before }
  for (const [k, v] of Object.entries(after)) out[k] = Array.isArray(v) && Array.isArray(out[k]) ? [...out[k], ...v] : v
  return out
}

/**
 * `tocker ps | head -1`: when the reader goes away, end quietly as Docker's CLI does (Go dies of
 * SIGPIPE; Node ignores SIGPIPE and reports EPIPE as an error event, which would print a stack
 * trace). 141 = 128 + SIGPIPE, the status a shell shows for Docker's CLI in the same pipe.
 */
function quietOnBrokenPipe(): void {
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141)
    throw err
  }
  // Node makes each stream at its first use (a file, pipe or terminal writer: ~0.7 ms and ~12 KB of
  // V8's young generation for two, more for a terminal), and `run … true` never writes: the
  // listener goes on at that first use instead, through Node's own getter, which keeps the stream.
  for (const name of ['stdout', 'stderr'] as const) {
    const own = Object.getOwnPropertyDescriptor(process, name)
    if (!own?.get || !own.configurable) {
      process[name].on('error', onError)
      continue
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: own.enumerable,
      get() {
        Object.defineProperty(process, name, own)
        return (process[name] as NodeJS.WriteStream).on('error', onError)
      },
    })
  }
}

async function packageVersion(): Promise<string> {
  return (await import('../package-root.js')).packageVersion()
}
