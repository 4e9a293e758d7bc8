// The shape of a tocker-runtime command: one declarative option table each (the same OptionDef
// rows and parser as every tocker command, src/cli/spec.ts and parse.ts), runc's argument rules
// and help text.
import type { OptionDef } from '../cli/spec.js'
import type { RuntimeLog } from './log.js'

/** The global options, resolved (runc's, plus crun's --cgroup-manager that podman passes). */
export interface RuntimeGlobals {
  /** --root: the state directory (runc: /run/runc; tocker-runtime: /run/tocker-runtime). */
  root: string
  debug: boolean
  systemdCgroup: boolean
  rootless: 'auto' | 'true' | 'false'
  /** crun's --cgroup-manager (podman --cgroups=disabled passes "disabled"). */
  cgroupManager: 'cgroupfs' | 'systemd' | 'disabled'
  criu: string
  /**
   * Who speaks: bin/tocker-runtime (runc's words, for engines) or `tocker runtime` (a person at a
   * shell; tocker-dialect.ts says what differs).
   */
  dialect: 'runc' | 'tocker'
}

export interface RuntimeContext {
  opts: Record<string, any>
  args: string[]
  g: RuntimeGlobals
  log: RuntimeLog
}

export interface RuntimeCommand {
  name: string
  /** runc's one-line summary ("create a container"). */
  summary: string
  /** What follows "[command options]" in USAGE ("<container-id>"). */
  usage: string
  /** The paragraph after USAGE. */
  description?: string
  options: OptionDef[]
  /** runc's checkArgs: exactly / a minimum of / a maximum of N argument(s). */
  args?: { exact?: number; min?: number; max?: number }
  /** false: options end at the first argument (exec: the process's own argv). Default true. */
  interspersed?: boolean
  /** Exit code of a failure (runc: 1; exec: 255). */
  errorExitCode?: number
  /** Prefix of a failure's message ("runc create failed: …"): 'create failed', ... */
  failurePrefix?: string
  run(ctx: RuntimeContext): Promise<number | void>
}

/** An option row in runc's words (English only: runc's help is English). */
export function opt(name: string, type: OptionDef['type'], description: string, extra: Partial<OptionDef> = {}): OptionDef {
  return { name, type, description: { en: description }, ...extra }
}
