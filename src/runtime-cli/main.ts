// bin/tocker-runtime: tocker's low-level runtime behind runc's command line, so that engines built
// for runc (podman through conmon, containerd through containerd-shim-runc-v2, and so Kubernetes)
// can run containers with it: `podman --runtime /path/to/tocker-runtime`, `ctr run --runc-binary`.
//
//   tocker-runtime [global options] command [command options] [arguments...]
//
// runc's global flags (--root is the state directory here, as in runc), commands, flags, exit
// codes and error wording (runc 1.1, measured with Debian 12's runc 1.1.5): errors go to the log
// (logrus lines, text or json) and exit 1; `exec` failures exit 255; `run` exits with the
// container's code. Flags are read by tocker's one parser (src/cli/parse.ts) from each command's
// table, after two of Go's habits are turned into its syntax: `-flag` (one dash, a long name) and
// flags after the arguments (urfave/cli reorders them; exec keeps its argv untouched).
import { basename } from 'node:path'
import { compileTable, parseWith, withDefaults } from '../cli/parse.js'
import type { OptionDef } from '../cli/spec.js'
import { TockerError } from '../errors.js'
import { COMMANDS } from './commands/index.js'
import { opt, type RuntimeCommand, type RuntimeGlobals } from './command.js'
import { appHelp, commandHelp } from './help.js'
import { RuntimeLog } from './log.js'
import { describeError } from './errors.js'

// `tocker runtime …` loads this bundle and runs its commands through these (tocker-dialect.ts).
export { runAsTocker, tockerRuntimeCommand } from './tocker-dialect.js'

export const PROGRAM = 'tocker-runtime'
export const DEFAULT_RUNTIME_ROOT = '/run/tocker-runtime'

export const GLOBAL_OPTIONS: OptionDef[] = [
  opt('debug', 'bool', 'enable debug logging'),
  opt('log', 'string', "set the log file to write runc logs to (default is '/dev/stderr')"),
  opt('log-format', 'string', "set the log format ('text' (default), or 'json')", { default: 'text' }),
  opt('root', 'string', 'root directory for storage of container state (this should be located in tmpfs)', { default: DEFAULT_RUNTIME_ROOT }),
  opt('criu', 'string', 'path to the criu binary used for checkpoint and restore (checkpoint and restore are not supported)', { default: 'criu' }),
  opt('systemd-cgroup', 'bool', 'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name" for e.g. "system.slice:runc:434234"'),
  opt('rootless', 'string', "ignore cgroup permission errors ('true', 'false', or 'auto')", { default: 'auto' }),
  opt('cgroup-manager', 'string', "crun's flag, which podman passes with --cgroups=disabled: 'cgroupfs' (default), 'systemd' or 'disabled' (no cgroup; resources are ignored with a warning)"),
  opt('help', 'bool', 'show help', { short: 'h' }),
  opt('version', 'bool', 'print the version', { short: 'v' }),
]

/**
 * Go's flag package takes `-root` as well as `--root`: rewrite a one-dash long name to two dashes
 * (only names of the table, and only before the first argument when options stop there).
 */
export function goStyleFlags(argv: string[], options: OptionDef[], interspersed: boolean): string[] {
  const byName = new Map(options.map((o) => [o.name, o]))
  const out = [...argv]
  for (let i = 0; i < out.length; i++) {
    const w = out[i]
    if (w === '--') break
    if (!w.startsWith('-') || w === '-') {
      if (!interspersed) break
      continue
    }
    const long = w.startsWith('--')
    const name = w.slice(long ? 2 : 1).split('=')[0]
    const def = byName.get(name)
    if (!long && name.length > 1 && def) out[i] = '-' + w
    // A value in the next word is the flag's, whatever it looks like.
    if (def && def.type !== 'bool' && !w.includes('=')) i++
    else if (!def && !long && name.length === 1) {
      const short = options.find((o) => o.short === name)
      if (short && short.type !== 'bool' && !w.includes('=') && w.length === 2) i++
    }
  }
  return out
}

/** A usage error: urfave/cli's "Incorrect Usage: …" and the help, then the error, exit 1. */
class UsageError extends TockerError {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message, { code: 'EUSAGE', exitCode: 1 })
  }
}

function checkArgs(cmd: RuntimeCommand, n: number): string | undefined {
  const a = cmd.args
  if (!a) return undefined
  if (a.exact !== undefined && n !== a.exact) return `${PROGRAM}: "${cmd.name}" requires exactly ${a.exact} argument(s)`
  if (a.min !== undefined && n < a.min) return `${PROGRAM}: "${cmd.name}" requires a minimum of ${a.min} argument(s)`
  if (a.max !== undefined && n > a.max) return `${PROGRAM}: "${cmd.name}" requires a maximum of ${a.max} argument(s)`
  return undefined
}

function parseFlagError(err: unknown): string {
  const m = (err as Error).message
  const unknown = /^unknown (?:shorthand )?flag: (?:'(\w)' in )?(-{1,2}[\w-]+)/.exec(m)
  if (unknown) return `flag provided but not defined: -${unknown[2].replace(/^-+/, '')}`
  return m
}

function globalsOf(o: Record<string, any>): RuntimeGlobals {
  const rootless = String(o.rootless)
  if (!['auto', 'true', 'false'].includes(rootless)) throw new TockerError(`invalid value "${rootless}" for flag -rootless: must be 'true', 'false' or 'auto'`, { code: 'EINVALID' })
  const manager = o['cgroup-manager'] === undefined ? (o['systemd-cgroup'] ? 'systemd' : 'cgroupfs') : String(o['cgroup-manager'])
  if (!['cgroupfs', 'systemd', 'disabled'].includes(manager)) throw new TockerError(`unknown cgroup manager ${JSON.stringify(manager)}: use cgroupfs, systemd or disabled`, { code: 'EINVALID' })
  return {
    root: String(o.root),
    debug: !!o.debug,
    systemdCgroup: !!o['systemd-cgroup'] || manager === 'systemd',
    rootless: rootless as RuntimeGlobals['rootless'],
    cgroupManager: manager as RuntimeGlobals['cgroupManager'],
    criu: String(o.criu),
    dialect: 'runc',
  }
}

/** Run the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let log = new RuntimeLog({ format: 'text', debug: false })
  let globals: Record<string, any>
  let rest: string[]
  try {
    const parsed = parseWith(compileTable(GLOBAL_OPTIONS), goStyleFlags(argv, GLOBAL_OPTIONS, false), { interspersed: false })
    globals = withDefaults(parsed.opts, GLOBAL_OPTIONS)
    rest = parsed.args
  } catch (err) {
    process.stdout.write(`Incorrect Usage: ${parseFlagError(err)}\n\n${appHelp(COMMANDS, GLOBAL_OPTIONS)}`)
    log.fatal(parseFlagError(err))
    return 1
  }
  const format = String(globals['log-format'])
  if (format !== 'text' && format !== 'json') {
    log.fatal(`unknown log-format ${JSON.stringify(format)}`)
    return 1
  }
  log = new RuntimeLog({ file: globals.log, format, debug: !!globals.debug })
  try {
    if (globals.version) {
      process.stdout.write(await versionText())
      return 0
    }
    const [name, ...args] = rest
    if (globals.help || name === undefined || name === 'help' || name === 'h') {
      const topic = name === 'help' || name === 'h' ? args[0] : undefined
      const cmd = topic ? COMMANDS.find((c) => c.name === topic) : undefined
      if (topic && !cmd) {
        process.stdout.write(`No help topic for '${topic}'\n`)
        return 3
      }
      process.stdout.write(cmd ? commandHelp(cmd) : appHelp(COMMANDS, GLOBAL_OPTIONS))
      return 0
    }
    const cmd = COMMANDS.find((c) => c.name === name)
    if (!cmd) {
      process.stdout.write(`No help topic for '${name}'\n`)
      log.fatal(`No help topic for '${name}'\n`)
      return 3
    }
    return await runCommand(cmd, args, globals, log)
  } finally {
    log.close()
  }
}

async function runCommand(cmd: RuntimeCommand, argv: string[], globals: Record<string, any>, log: RuntimeLog): Promise<number> {
  const options = [...cmd.options, opt('help', 'bool', 'show help', { short: 'h' })]
  let parsed
  try {
    parsed = parseWith(compileTable(options), goStyleFlags(argv, options, cmd.interspersed !== false), { interspersed: cmd.interspersed !== false })
    if (parsed.opts.help) {
      process.stdout.write(commandHelp(cmd))
      return 0
    }
    const bad = checkArgs(cmd, parsed.args.length)
    if (bad) throw new UsageError(bad, commandHelp(cmd))
  } catch (err) {
    if (err instanceof UsageError) process.stdout.write(`Incorrect Usage.\n\n${err.help}`)
    else process.stdout.write(`Incorrect Usage: ${parseFlagError(err)}\n\n${commandHelp(cmd)}`)
    log.fatal(err instanceof UsageError ? err.message : parseFlagError(err))
    return 1
  }
  let g: RuntimeGlobals
  try {
    g = globalsOf(globals)
  } catch (err) {
    log.fatal((err as Error).message)
    return 1
  }
  try {
    return (await cmd.run({ opts: withDefaults(parsed.opts, cmd.options), args: parsed.args, g, log })) ?? 0
  } catch (err) {
    const message = describeError(err)
    log.fatal(cmd.failurePrefix ? `${PROGRAM} ${cmd.failurePrefix}: ${message}` : message)
    if (g.debug && err instanceof Error && err.stack) log.debug(err.stack)
    return cmd.errorExitCode ?? 1
  }
}

/** runc's --version: the program's version, then commit, spec, and the libraries that matter. */
async function versionText(): Promise<string> {
  const { OCI_VERSION } = await import('../runtime/spec.js')
  const { packageRoot, packageVersion } = await import('../package-root.js')
  const { gitCommit } = await import('./git-commit.js')
  const pkg = { version: packageVersion() }
  const { libseccompVersion } = await import('./features.js')
  return (
    `${basename(PROGRAM)} version ${pkg.version}\n` +
    `commit: ${gitCommit(packageRoot()) ?? 'unknown'}\n` +
    `spec: ${OCI_VERSION}\n` +
    `node: ${process.version}\n` +
    `libseccomp: ${libseccompVersion()}\n`
  )
}
