// The `tocker` command line: Docker's syntax (`tocker <command> [options]`), parsed by yargs.
// Each command lives in its own module under commands/; this file only wires globals and errors.
import { readFileSync } from 'node:fs'
import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { isTockerError } from '../errors.js'
import { startExplain } from '../trace/explain.js'
import type { TockerCommand } from './command.js'
import { commands } from './commands/index.js'
import { DEFAULT_ROOT, globalOptions } from './context.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

function register(y: Argv, cmd: TockerCommand): Argv {
  return y.command({
    command: cmd.command,
    describe: cmd.describe,
    aliases: cmd.aliases,
    builder: (sub: Argv) => {
      let b = cmd.builder ? cmd.builder(sub) : sub
      if (cmd.subcommands) {
        for (const s of cmd.subcommands) b = register(b, s)
        b = b.demandCommand(1, `"tocker ${firstWord(cmd.command)}" requires a subcommand; see 'tocker ${firstWord(cmd.command)} --help'`)
      }
      return b
    },
    handler: async (argv: Record<string, any>) => {
      if (cmd.subcommands) return
      const g = globalOptions(argv)
      if ((cmd.needsRoot ?? true) && process.getuid?.() !== 0) {
        process.stderr.write('tocker must be run as root (try sudo)\n')
        process.exitCode = 1
        return
      }
      const stopExplain = g.explain ? startExplain() : undefined
      try {
        const code = await cmd.run(argv, g)
        process.exitCode = code ?? 0
      } catch (err) {
        process.exitCode = reportError(err, g.debug, cmd.errorExitCode ?? 1)
      } finally {
        stopExplain?.()
      }
    },
  })
}

function firstWord(command: string | string[]): string {
  return (Array.isArray(command) ? command[0] : command).split(' ')[0]
}

/** Print an error the way Docker's CLI does: one line on stderr; return the exit code. */
export function reportError(err: unknown, debug: boolean, defaultExit: number): number {
  if (isTockerError(err)) {
    process.stderr.write(`${err.daemon ? 'Error response from daemon: ' : ''}${err.message}\n`)
    if (err.hint) process.stderr.write(`${err.hint}\n`)
    if (debug && err.stack) process.stderr.write(err.stack + '\n')
    return err.exitCode ?? defaultExit
  }
  const e = err as Error
  process.stderr.write(`Error: ${e?.message ?? String(err)}\n`)
  if (debug && e?.stack) process.stderr.write(e.stack + '\n')
  return defaultExit
}

export async function main(args: string[]): Promise<void> {
  let y: Argv<any> = yargs(args)
    .scriptName('tocker')
    .usage('Usage:  tocker [OPTIONS] COMMAND\n\nA container runtime for learning how Docker really works')
    .option('root', { type: 'string', describe: `Root of the image and container store (env TOCKER_ROOT)`, defaultDescription: DEFAULT_ROOT })
    .option('host', { alias: 'H', type: 'string', describe: 'Engine socket to connect to, unix://PATH (env TOCKER_HOST)' })
    .option('explain', { type: 'boolean', describe: 'Print every kernel-level action (syscalls, mounts, cgroup writes, network and registry requests) as it happens' })
    .option('debug', { alias: 'D', type: 'boolean', describe: 'Print stack traces for errors' })
    .version(`tocker version ${VERSION}`)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .strictCommands()
    .strictOptions()
    .demandCommand(1, "tocker: 'tocker' requires a command.")
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .parserConfiguration({ 'halt-at-non-option': false })
    .fail((msg, err, yi) => {
      if (err) throw err
      process.stderr.write(`${msg}\nSee 'tocker --help'.\n`)
      process.exit(125)
    })
  for (const cmd of commands) y = register(y, cmd)
  await y.parseAsync()
}

export { hideBin }
