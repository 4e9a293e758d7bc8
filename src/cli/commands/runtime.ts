// tocker runtime …: the low-level runtime on its own, with runc's commands and semantics, on OCI
// bundles (a directory with config.json and a root filesystem):
//   tocker runtime spec                      write a default config.json (Docker's defaults)
//   tocker runtime create [-b DIR] ID        set the container up; its PID 1 waits at a gate
//   tocker runtime start ID                  release it: the user's program runs
//   tocker runtime state ID                  the runtime spec's state JSON
//   tocker runtime kill ID [SIGNAL]          default SIGTERM, like runc
//   tocker runtime delete [-f] ID            remove it (a running one only with --force)
//   tocker runtime run [-b DIR] [-d] ID      create + start (+ wait + delete); exits with its code
//   tocker runtime exec ID CMD [ARG...]      another process in all its namespaces
//   tocker runtime list                      ID PID STATUS BUNDLE CREATED OWNER
//
// runc calls the state directory `--root`; in tocker the global --root is the image store, so
// the runtime's is `--state-root DIR` (env TOCKER_RUNTIME_ROOT, default /run/tocker/runtime),
// accepted before or after the subcommand.
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Argv } from 'yargs'
import { TockerError } from '../../errors.js'
import type { TockerCommand } from '../command.js'
import { table } from '../output.js'

const DEFAULT_STATE_ROOT = '/run/tocker/runtime'

const lib = () => import('../../runtime/index.js')

function stateRoot(a: Record<string, any>): string {
  return String(a['state-root'] ?? process.env.TOCKER_RUNTIME_ROOT ?? DEFAULT_STATE_ROOT)
}

const withId = (y: Argv): Argv => y.positional('id', { type: 'string', describe: 'Container ID' })
const withBundle = (y: Argv): Argv =>
  y
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'Path to the bundle directory (config.json and the root filesystem)' })
    .option('pid-file', { type: 'string', describe: 'Write the PID of the container process to this file' })

function writePidFile(file: string | undefined, pid: number): void {
  if (file) writeFileSync(file, String(pid))
}

const spec: TockerCommand = {
  command: 'spec',
  describe: 'Create a new config.json (runc spec, with Docker\'s defaults)',
  needsRoot: false,
  builder: (y) => y.option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'Where to write config.json' }),
  async run(a) {
    const { defaultSpec } = await lib()
    const file = resolve(a.bundle, 'config.json')
    if (existsSync(file)) throw new TockerError('File config.json exists. Remove it first')
    writeFileSync(file, JSON.stringify(defaultSpec(), null, 2) + '\n')
  },
}

const create: TockerCommand = {
  command: 'create <id>',
  describe: 'Create a container (its process waits for start)',
  builder: (y) => withBundle(withId(y)),
  async run(a) {
    const { createContainer } = await lib()
    const c = await createContainer({ id: a.id, bundle: a.bundle, stateRoot: stateRoot(a) })
    writePidFile(a['pid-file'], c.pid)
    c.detach()
  },
}

const start: TockerCommand = {
  command: 'start <id>',
  describe: 'Start a created container',
  builder: withId,
  async run(a) {
    const { startContainer } = await lib()
    await startContainer(a.id, { stateRoot: stateRoot(a) })
  },
}

const state: TockerCommand = {
  command: 'state <id>',
  describe: 'Output the state of a container',
  builder: withId,
  async run(a) {
    const { containerState } = await lib()
    process.stdout.write(JSON.stringify(containerState(a.id, { stateRoot: stateRoot(a) }), null, 2) + '\n')
  },
}

const kill: TockerCommand = {
  command: 'kill <id> [signal]',
  describe: 'Send a signal (default SIGTERM) to the container\'s process',
  builder: (y) =>
    withId(y)
      .positional('signal', { type: 'string', default: 'SIGTERM', describe: 'Signal name or number' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Send the signal to all processes in the container' }),
  async run(a) {
    const { killContainer, parseSignal } = await lib()
    killContainer(a.id, parseSignal(a.signal), { stateRoot: stateRoot(a), all: a.all })
  },
}

const del: TockerCommand = {
  command: 'delete <id>',
  describe: 'Delete a container and everything the runtime made for it',
  builder: (y) => withId(y).option('force', { alias: 'f', type: 'boolean', describe: 'Kill the container first if it is running' }),
  async run(a) {
    const { deleteContainer } = await lib()
    await deleteContainer(a.id, { stateRoot: stateRoot(a), force: a.force })
  },
}

const run: TockerCommand = {
  command: 'run <id>',
  describe: 'Create and start a container, wait for it and delete it; exit with its exit code',
  errorExitCode: 125,
  builder: (y) => withBundle(withId(y)).option('detach', { alias: 'd', type: 'boolean', describe: 'Do not wait: leave the container running' }),
  async run(a) {
    const { createContainer, deleteContainer } = await lib()
    const opts = { stateRoot: stateRoot(a) }
    const c = await createContainer({ id: a.id, bundle: a.bundle, ...opts })
    try {
      await c.start()
    } catch (err) {
      await deleteContainer(a.id, { ...opts, force: true })
      throw err
    }
    writePidFile(a['pid-file'], c.pid)
    if (a.detach) {
      c.detach()
      return 0
    }
    const stop = forwardSignals(c.pid)
    try {
      return await c.wait()
    } finally {
      stop()
      await deleteContainer(a.id, { ...opts, force: true })
    }
  },
}

const EXEC_VALUE_OPTIONS: Record<string, string> = { '--cwd': 'cwd', '--env': 'env', '-e': 'env', '--user': 'user', '-u': 'user', '--state-root': 'state-root' }

/**
 * runc's exec syntax: options, the id, then the process's argv untouched (`exec ID sh -c 'ls -l'`).
 * yargs cannot stop parsing at the id for one subcommand, so the raw arguments are re-read here.
 */
export function parseExecArgs(raw: string[]): { id?: string; command: string[]; options: Record<string, any> } {
  const start = raw.indexOf('exec', raw.indexOf('runtime') + 1)
  const options: Record<string, any> = {}
  let i = start + 1
  for (; i < raw.length; i++) {
    const a = raw[i]
    if (a === '--') {
      i++
      break
    }
    if (!a.startsWith('-')) break
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const name = EXEC_VALUE_OPTIONS[flag]
    if (name) {
      const value = inline ?? raw[++i]
      if (name === 'env') (options.env ??= []).push(value)
      else options[name] = value
    } else if (flag === '-d' || flag === '--detach') options.detach = true
    else throw new TockerError(`unknown flag: ${flag}`, { exitCode: 125 })
  }
  if (i < raw.length && raw[i - 1] !== '--' && raw[i] === '--') i++
  return { id: raw[i], command: raw.slice(i + 1).filter((a, k) => !(k === 0 && a === '--')), options }
}

const exec: TockerCommand = {
  command: 'exec <id> <command..>',
  describe: 'Run another process inside a running container',
  errorExitCode: 125,
  builder: (y) =>
    withId(y)
      .parserConfiguration({ 'unknown-options-as-args': true })
      .strictOptions(false)
      .positional('command', { type: 'string', array: true })
      .option('cwd', { type: 'string', describe: 'Working directory in the container' })
      .option('env', { alias: 'e', type: 'string', array: true, describe: 'Set an environment variable (NAME=value)' })
      .option('user', { alias: 'u', type: 'string', describe: 'UID[:GID] or NAME[:GROUP] (default: the container\'s user)' })
      .option('detach', { alias: 'd', type: 'boolean', describe: 'Do not wait for the process' }),
  async run(a) {
    const { execProcess } = await lib()
    const { id, command, options: o } = parseExecArgs(process.argv.slice(2))
    if (!id || command.length === 0) throw new TockerError('"tocker runtime exec" requires a container id and a command', { exitCode: 125 })
    const p = await execProcess(id, { stateRoot: stateRoot({ ...a, ...o }), args: command, env: o.env, cwd: o.cwd, user: o.user })
    if (o.detach) {
      p.detach()
      return 0
    }
    const stop = forwardSignals(p.pid)
    try {
      return await p.wait()
    } finally {
      stop()
    }
  },
}

const list: TockerCommand = {
  command: 'list',
  aliases: ['ls'],
  describe: 'List containers',
  builder: (y) =>
    y
      .option('format', { alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'Output format' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Display only container IDs' }),
  async run(a) {
    const { listContainers } = await lib()
    const all = listContainers({ stateRoot: stateRoot(a) })
    if (a.quiet) process.stdout.write(all.map((s) => s.id + '\n').join(''))
    else if (a.format === 'json') process.stdout.write(JSON.stringify(all) + '\n')
    else process.stdout.write(table(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])))
  },
}

/** In the foreground, ^C and friends go to the container's process (we are its caller, not its parent). */
function forwardSignals(pid: number): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']
  const handler = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig)
    } catch {
      // already gone
    }
  }
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}

export const runtime: TockerCommand = {
  command: 'runtime',
  describe: 'Run OCI bundles with the low-level runtime (runc\'s commands)',
  builder: (y) =>
    y.option('state-root', {
      type: 'string',
      describe: 'Directory for the containers\' state (runc\'s --root; env TOCKER_RUNTIME_ROOT)',
      defaultDescription: DEFAULT_STATE_ROOT,
    }),
  run: async () => {},
  subcommands: [spec, create, start, state, kill, del, run, exec, list],
}

// ---------------------------------------------------------------------------------------------
// Without yargs: loading yargs and every command costs about 90 ms before anything happens, more
// than the container itself. The plain spellings of the runtime's subcommands are parsed here
// (src/cli/fast-path.ts hands `tocker runtime ...` over); anything else (--help, an unknown
// flag) returns false and the full CLI takes over, with its usual messages.

const FAST_FLAGS: Record<string, { name: string; value: boolean }> = {
  '--state-root': { name: 'state-root', value: true },
  '--bundle': { name: 'bundle', value: true },
  '-b': { name: 'bundle', value: true },
  '--pid-file': { name: 'pid-file', value: true },
  '--detach': { name: 'detach', value: false },
  '-d': { name: 'detach', value: false },
  '--force': { name: 'force', value: false },
  '--all': { name: 'all', value: false },
  '-a': { name: 'all', value: false },
}

const FAST: Record<string, { cmd: TockerCommand; positional: string[]; flags: string[] }> = {
  run: { cmd: run, positional: ['id'], flags: ['state-root', 'bundle', 'pid-file', 'detach'] },
  create: { cmd: create, positional: ['id'], flags: ['state-root', 'bundle', 'pid-file'] },
  start: { cmd: start, positional: ['id'], flags: ['state-root'] },
  state: { cmd: state, positional: ['id'], flags: ['state-root'] },
  kill: { cmd: kill, positional: ['id', 'signal'], flags: ['state-root', 'all'] },
  delete: { cmd: del, positional: ['id'], flags: ['state-root', 'force'] },
  list: { cmd: list, positional: [], flags: ['state-root'] },
}

/** `args`: what follows `runtime`. Returns false when the full CLI must handle it. */
export async function runtimeFastPath(args: string[], globals: { debug?: boolean } = {}): Promise<boolean> {
  const a: Record<string, any> = { bundle: '.', signal: 'SIGTERM', format: 'table' }
  const positional: string[] = []
  let sub: (typeof FAST)[string] | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=')
      const flag = FAST_FLAGS[eq > 0 ? arg.slice(0, eq) : arg]
      if (!flag || (flag.name !== 'state-root' && !sub?.flags.includes(flag.name))) return false
      if (!flag.value) {
        if (eq > 0) return false
        a[flag.name] = true
        continue
      }
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i]
      if (value === undefined) return false
      a[flag.name] = value
    } else if (!sub) {
      sub = FAST[arg]
      if (!sub) return false
    } else positional.push(arg)
  }
  if (!sub || positional.length < (sub.positional[0] === 'id' ? 1 : 0) || positional.length > sub.positional.length) return false
  sub.positional.forEach((name, k) => positional[k] !== undefined && (a[name] = positional[k]))
  if (process.getuid?.() !== 0) return false // the full CLI says "must be run as root"
  try {
    process.exitCode = (await sub.cmd.run(a, { root: '', explain: false, debug: !!globals.debug })) ?? 0
  } catch (err) {
    const e = err as Error & { exitCode?: number; hint?: string }
    process.stderr.write(`${e instanceof TockerError ? '' : 'Error: '}${e.message}\n`)
    if (e instanceof TockerError && e.hint) process.stderr.write(`${e.hint}\n`)
    if (globals.debug && e.stack) process.stderr.write(e.stack + '\n')
    process.exitCode = (e instanceof TockerError ? e.exitCode : undefined) ?? sub.cmd.errorExitCode ?? 1
  }
  return true
}
