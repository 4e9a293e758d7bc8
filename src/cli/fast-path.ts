// The hot commands, `ps` and `images` (and their `container ls` / `image ls` spellings) and the
// plain `runtime` subcommands,
// without yargs: loading yargs costs about as much CPU as starting Node itself, and these two are
// what a learner types most. Only plain invocations take this path; anything it does not know
// (--help, --explain, an unknown flag) returns false and the full CLI handles it as usual.
import { isTockerError } from '../errors.js'
import { parseInterspersed, type OptionSpec } from './argv.js'
import type { TockerCommand } from './command.js'
import { globalOptions } from './context.js'

const PS: OptionSpec = {
  all: { kind: 'boolean', alias: ['a'] },
  quiet: { kind: 'boolean', alias: ['q'] },
  'no-trunc': { kind: 'boolean' },
  last: { kind: 'number', alias: ['n'] },
  latest: { kind: 'boolean', alias: ['l'] },
  filter: { kind: 'array', alias: ['f'] },
  format: { kind: 'string' },
  size: { kind: 'boolean', alias: ['s'] },
}

const IMAGES: OptionSpec = {
  all: { kind: 'boolean', alias: ['a'] },
  quiet: { kind: 'boolean', alias: ['q'] },
  digests: { kind: 'boolean' },
  'no-trunc': { kind: 'boolean' },
  filter: { kind: 'array', alias: ['f'] },
  format: { kind: 'string' },
}

const GLOBAL_VALUE = new Set(['--root', '-H', '--host'])

export async function fastPath(argv: string[]): Promise<boolean> {
  const globals: Record<string, unknown> = {}
  let i = 0
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i]
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(0, eq) : a
    if (GLOBAL_VALUE.has(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i]
      if (value === undefined) return false
      globals[name === '--root' ? 'root' : 'host'] = value
    } else if (a === '--debug' || a === '-D') {
      globals.debug = true
    } else {
      return false
    }
  }
  const words = argv.slice(i)
  // `tocker runtime …` (the OCI runtime, timed against crun): its own yargs-free parser.
  if (words[0] === 'runtime' && globals.root === undefined && globals.host === undefined) {
    return (await import('./commands/runtime.js')).runtimeFastPath(words.slice(1), { debug: !!globals.debug })
  }
  // `tocker run …`: the command a learner types most after ps. run.ts parses its own raw argv with
  // parseInterspersed already; yargs would only dispatch. Plain invocations only (an image given,
  // no --help): anything else goes to the full CLI, which prints yargs's usage errors.
  const runWords = words[0] === 'run' ? 1 : words[0] === 'container' && words[1] === 'run' ? 2 : 0
  if (runWords > 0) {
    if (process.getuid?.() !== 0) return false
    const rest = words.slice(runWords)
    const [{ parseInterspersed: parse }, { RUN_OPTIONS }] = await Promise.all([import('./argv.js'), import('./container-options.js')])
    try {
      const parsed = parse(rest, RUN_OPTIONS)
      if (parsed.positional.length === 0 || rest.includes('--help') || rest.includes('-h')) return false
    } catch {
      return false
    }
    const { run } = await import('./commands/run.js')
    await runFast(run, { ...globals }, run.errorExitCode ?? 1)
    return true
  }
  let which: 'ps' | 'images' | undefined
  let rest: string[] = []
  if (words[0] === 'ps') [which, rest] = ['ps', words.slice(1)]
  else if (words[0] === 'container' && ['ls', 'ps', 'list'].includes(words[1])) [which, rest] = ['ps', words.slice(2)]
  else if (words[0] === 'images') [which, rest] = ['images', words.slice(1)]
  else if (words[0] === 'image' && ['ls', 'list'].includes(words[1])) [which, rest] = ['images', words.slice(2)]
  if (!which || process.getuid?.() !== 0) return false

  let parsed
  try {
    parsed = parseInterspersed(rest, which === 'ps' ? PS : IMAGES)
  } catch {
    return false
  }
  const max = which === 'ps' ? 0 : 1
  if (parsed.positional.length > max || parsed.positional.some((p) => p.startsWith('-'))) return false
  const args: Record<string, unknown> = { ...parsed.options, ...globals }
  if (which === 'images' && parsed.positional[0]) args.repository = parsed.positional[0]

  const cmd: TockerCommand = which === 'ps' ? (await import('./commands/ps.js')).ps : (await import('./commands/images.js')).images
  await runFast(cmd, args, 1)
  return true
}

/** Run a command as main.ts would, printing errors as its reportError does (that module loads yargs). */
async function runFast(cmd: TockerCommand, args: Record<string, unknown>, defaultExit: number): Promise<void> {
  const g = globalOptions(args)
  try {
    process.exitCode = (await cmd.run(args, g)) ?? 0
  } catch (err) {
    const e = err as Error
    process.stderr.write(`${isTockerError(err) && err.daemon ? 'Error response from daemon: ' : isTockerError(err) ? '' : 'Error: '}${e?.message ?? String(err)}\n`)
    if (isTockerError(err) && err.hint) process.stderr.write(`${err.hint}\n`)
    if (g.debug && e?.stack) process.stderr.write(e.stack + '\n')
    process.exitCode = isTockerError(err) ? (err.exitCode ?? defaultExit) : defaultExit
  }
}
