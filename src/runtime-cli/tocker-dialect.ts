// `tocker runtime …`: the commands of bin/tocker-runtime (one implementation of the low-level
// runtime's command line), run for tocker's command line, which loads this bundle
// (src/cli/commands/runtime.ts): tocker's parser reads their flags, its help shows them, and
// `--explain` works as for any tocker command. What differs from bin/tocker-runtime (runc's words,
// for engines):
//   - the state directory is `--state-root` (env TOCKER_RUNTIME_ROOT, default /run/tocker/runtime):
//     tocker's `--root` names the image store;
//   - a failure is told as tocker tells any (Docker's line first, then a learner's hint) and exits
//     125 when the runtime failed, 126/127 when the program could not run (Docker's codes), not
//     with runc's log line and exit 1 (255 for exec);
//   - `create` and `run -d` leave PID 1 under tocker's shim, which waits for it and records its
//     exit status (runc hands it to the caller, an engine that supervises it; a person at a shell
//     has no supervisor);
//   - `spec` writes Docker's defaults (what `tocker run` gives a container), not runc's.
import type { OptionDef } from '../cli/spec.js'
import { DEFAULT_STATE_ROOT } from '../runtime/state.js'
import { COMMANDS } from './commands/index.js'
import type { RuntimeCommand, RuntimeGlobals } from './command.js'
import { RuntimeLog } from './log.js'

/** What tocker's parser and help need of one command. */
export interface TockerRuntimeCommand {
  usage: string
  options: OptionDef[]
  args: { min?: number; max?: number }
  interspersed: boolean
}

/** Exit code of a failure that carries none: `run` and `exec` say the runtime failed as Docker does. */
const FAILURE_EXIT: Record<string, number> = { run: 125, exec: 125 }

function find(name: string): RuntimeCommand | undefined {
  return COMMANDS.find((c) => c.name === name)
}

/** The command `name` as tocker's command line declares it (undefined: there is none). */
export function tockerRuntimeCommand(name: string): TockerRuntimeCommand | undefined {
  const cmd = find(name)
  if (!cmd) return undefined
  const a = cmd.args ?? {}
  return {
    usage: `${cmd.options.length ? '[OPTIONS] ' : ''}${cmd.usage}`.trim(),
    options: cmd.options,
    args: a.exact !== undefined ? { min: a.exact, max: a.exact } : { min: a.min, max: a.max },
    interspersed: cmd.interspersed !== false,
  }
}

/**
 * Run `tocker runtime NAME` with the options and arguments tocker's parser read; resolves with the
 * exit code. A failure is printed here (this bundle's error type is not the caller's).
 */
export async function runAsTocker(name: string, opts: Record<string, any>, args: string[], o: { stateRoot?: string; debug: boolean }): Promise<number> {
  const cmd = find(name)!
  const g: RuntimeGlobals = {
    root: o.stateRoot ?? process.env.TOCKER_RUNTIME_ROOT ?? DEFAULT_STATE_ROOT,
    debug: o.debug,
    systemdCgroup: false,
    rootless: 'auto',
    cgroupManager: 'cgroupfs',
    criu: 'criu',
    dialect: 'tocker',
  }
  const log = new RuntimeLog({ format: 'text', debug: o.debug })
  try {
    return (await cmd.run({ opts, args, g, log })) ?? 0
  } catch (err) {
    const { reportError } = await import('../cli/report.js')
    return reportError(err, { path: ['runtime', name], usage: tockerRuntimeCommand(name)!.usage, debug: o.debug, defaultExit: FAILURE_EXIT[name] ?? 1 })
  } finally {
    log.close()
  }
}
