// The shape of a CLI command: a yargs command module plus whether it needs root.
import type { Argv } from 'yargs'
import type { GlobalOptions } from './context.js'

export interface TockerCommand {
  command: string | string[] // yargs syntax, e.g. 'pull <name>'
  describe: string
  aliases?: string[]
  needsRoot?: boolean // default true: most commands touch the store or the kernel
  /** Exit code for errors this command does not classify itself (Docker: 125 for run/create/start). */
  errorExitCode?: number
  builder?: (y: Argv) => Argv
  /** Returns the exit code (default 0). */
  run: (args: Record<string, any>, g: GlobalOptions) => Promise<number | void>
  /** `tocker image ls` style groups: the subcommands of this command. */
  subcommands?: TockerCommand[]
}
