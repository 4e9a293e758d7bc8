// The shape of a command: one declarative table per command drives parsing (parse.ts), `--help`
// (help.ts), usage errors (usage.ts) and shell completion (completion.ts). Nothing else describes a
// command's options: adding a flag is adding one row here.
import type { GlobalOptions } from './context.js'

/** Text for learners in English and (where written) Korean; English is the fallback. */
export interface Text {
  en: string
  ko?: string
}

/**
 * How a value is read, and the type word Docker's help prints after the flag ("--name string").
 *   bool    a switch (`--rm`, `--rm=false`)
 *   string  one value, the last one wins
 *   list    repeatable (`-e A=1 -e B=2`), collected in order
 *   int     a whole number (negative ones too: `-n -1`)
 *   decimal a number with a fraction (`--cpus 0.5`)
 */
/** 'filter': a list of `name=value` checked as Docker's --filter is (cli/filters.ts). */
export type OptionType = 'bool' | 'string' | 'list' | 'filter' | 'int' | 'decimal'

export interface OptionDef {
  /** The long name, without dashes: `publish` for --publish. */
  name: string
  /** One letter: `p` for -p. */
  short?: string
  type: OptionType
  /** The type word in help when it is not the type's own ("filter", "bytes", "list"). */
  valueName?: string
  default?: string | number | boolean
  /** A flag that may stand alone or take `=value` (pflag's NoOptDefVal): `--explain[=full]`. */
  bareValue?: string
  description: Text
  hidden?: boolean
}

/** Docker's argument rules (cobra's Args validators), checked before the command runs. */
export interface ArgRule {
  min?: number
  max?: number
}

export interface ParsedArgs {
  /** Option values by long name, with defaults filled in. */
  opts: Record<string, any>
  /** Positional arguments; for a command that stops at its first one, it and everything after it. */
  args: string[]
}

export interface CommandContext extends ParsedArgs {
  g: GlobalOptions
  /** The words that named this command, e.g. ['container', 'ls'] (for messages). */
  path: string[]
}

/** A command's name and summary: what the root help, suggestions and completion need, cheaply. */
export interface CommandEntry {
  /** The command word. */
  name: string
  /** Other words for it under the same parent (`ls` → `ps`, `list`). */
  aliases?: string[]
  summary: Text
  /** Shown in root help under this heading. */
  category?: 'common' | 'management' | 'other'
  hidden?: boolean
  /** The rest of the command, loaded only when it runs or shows its help. */
  load: () => Promise<Command>
}

export interface Command {
  /** What follows the command path in "Usage:", e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string
  /** Docker's "Aliases:" line: every path that reaches this command ("container ls", "ps"). */
  paths?: string[]
  options: OptionDef[]
  args?: ArgRule
  /**
   * false (Docker's SetInterspersed(false), for run/exec): options end at the first argument, so
   * the container's own command passes through untouched (`run busybox ls -la`).
   */
  interspersed?: boolean
  /** Default true: most commands talk to the engine or the kernel. */
  needsRoot?: boolean
  /** Exit code for errors the command does not classify (Docker: 125 for run/create). */
  errorExitCode?: number
  /** What completion offers for the arguments. */
  complete?: 'containers' | 'images' | 'files'
  /** Returns the exit code (default 0). Absent for a group, which has subcommands. */
  run?: (ctx: CommandContext) => Promise<number | void>
  /** A group (`container`, `image`, `runtime`): its subcommands. Its options apply to them too. */
  subcommands?: CommandEntry[]
}

/** The table every command accepts too, before or after its name (Docker: before only). */
export const GLOBAL_OPTIONS: OptionDef[] = [
  {
    name: 'root',
    type: 'string',
    description: { en: 'Root of the image and container store (env TOCKER_ROOT) (default "/var/lib/tocker")', ko: '이미지와 컨테이너 저장소의 위치 (환경 변수 TOCKER_ROOT, 기본값 "/var/lib/tocker")' },
  },
  {
    name: 'host',
    short: 'H',
    type: 'string',
    description: { en: 'Engine socket to connect to, unix://PATH (env TOCKER_HOST)', ko: '연결할 엔진 소켓, unix://경로 (환경 변수 TOCKER_HOST)' },
  },
  {
    name: 'explain',
    type: 'string',
    bareValue: 'phases',
    description: {
      en: 'Show what the kernel does, phase by phase ("phases", the default), or every traced action ("full")',
      ko: '커널이 하는 일을 단계별로 보여 줍니다 ("phases", 기본값) 또는 추적한 모든 동작 ("full")',
    },
  },
  {
    name: 'step',
    type: 'bool',
    description: { en: 'With --explain: pause after each phase and show what it changed (needs a terminal)', ko: '--explain과 함께: 단계마다 멈추고 무엇이 바뀌었는지 보여 줍니다 (터미널 필요)' },
  },
  { name: 'debug', short: 'D', type: 'bool', description: { en: 'Enable debug mode (stack traces for errors)', ko: '디버그 모드 (오류의 스택 트레이스 출력)' } },
  { name: 'log-level', short: 'l', type: 'string', hidden: true, description: { en: 'Set the logging level (accepted for Docker compatibility)' } },
]

export const HELP_OPTION: OptionDef = { name: 'help', type: 'bool', description: { en: 'Print usage', ko: '사용법 출력' } }

/** Docker's --format help for list commands (ps, images). */
export const LIST_FORMAT_HELP: Text = {
  en:
    "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
  ko: "출력 형식:\n'table':            머리글이 있는 표 (기본값)\n'table TEMPLATE':   Go 템플릿으로 만든 표\n'json':             JSON\n'TEMPLATE':         Go 템플릿 (예: '{{.ID}} {{.Names}}')",
}

/** Docker's --format help for single objects (version, info, inspect). */
export const OBJECT_FORMAT_HELP: Text = {
  en:
    "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
  ko: "출력 형식:\n'json':             JSON\n'TEMPLATE':         Go 템플릿 (예: '{{.State.Status}}')",
}
