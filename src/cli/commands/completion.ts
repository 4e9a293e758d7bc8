// tocker completion bash: a bash completion script made from the same tables the parser reads
// (commands, subcommands, each command's flags, which flags take a value, what the arguments are:
// container names and image names are asked from tocker itself when TAB is pressed).
//   source <(tocker completion bash)     or    tocker completion bash > /etc/bash_completion.d/tocker
import { TockerError } from '../../errors.js'
import type { Command, CommandEntry, OptionDef } from '../spec.js'
import { GLOBAL_OPTIONS } from '../spec.js'

/** `commands`: the command table (index.ts passes it in, so this module never imports it back). */
export const completionCommand = (commands: CommandEntry[]): Command => ({
  usage: 'SHELL',
  args: { min: 1, max: 1 },
  needsRoot: false,
  options: [],
  async run({ args }) {
    if (args[0] !== 'bash') throw new TockerError(`unsupported shell "${args[0]}": tocker completes bash only`, { code: 'ENOTIMPLEMENTED' })
    process.stdout.write(await bashScript(commands))
  },
})

const flagWords = (opts: OptionDef[]) => opts.filter((o) => !o.hidden).flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])])
const valueWords = (opts: OptionDef[]) => opts.filter((o) => o.type !== 'bool' && o.bareValue === undefined).flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])])
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export async function bashScript(commands: CommandEntry[]): Promise<string> {
  const flags: string[] = []
  const values: string[] = []
  const argKinds: string[] = []
  const subs: string[] = []
  const walk = async (path: string[], entries: CommandEntry[]) => {
    for (const e of entries) {
      if (e.hidden) continue
      const cmd = await e.load()
      for (const name of [e.name, ...(e.aliases ?? [])]) {
        const key = [...path, name].join(' ')
        flags.push(`[${q(key)}]=${q(flagWords(cmd.options).join(' '))}`)
        values.push(`[${q(key)}]=${q(valueWords(cmd.options).join(' '))}`)
        if (cmd.complete) argKinds.push(`[${q(key)}]=${cmd.complete}`)
        if (cmd.subcommands) {
          subs.push(`[${q(key)}]=${q(cmd.subcommands.filter((s) => !s.hidden).map((s) => s.name).join(' '))}`)
          await walk([...path, name], cmd.subcommands)
        }
      }
    }
  }
  await walk([], commands)
  return `# bash completion for tocker (made by 'tocker completion bash' from its option tables)
declare -A __tocker_flags=(${flags.join(' ')})
declare -A __tocker_values=(${values.join(' ')})
declare -A __tocker_args=(${argKinds.join(' ')})
declare -A __tocker_subs=(${subs.join(' ')})
__tocker_commands=${q(commands.filter((c) => !c.hidden).map((c) => c.name).join(' '))}
__tocker_global_flags=${q(flagWords(GLOBAL_OPTIONS).join(' '))}
__tocker_global_values=${q(valueWords(GLOBAL_OPTIONS).join(' '))}

_tocker() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local key="" nargs=0 i w takes
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ $w == -* ]]; then
      takes="$__tocker_global_values \${__tocker_values[$key]}"
      [[ $w != *=* && " $takes " == *" $w "* ]] && ((i++))
      continue
    fi
    if [[ -z $key ]]; then key=$w
    elif [[ -n \${__tocker_subs[$key]} && $nargs -eq 0 ]]; then key="$key $w"
    else ((nargs++))
    fi
  done
  takes="$__tocker_global_values \${__tocker_values[$key]}"
  if [[ $prev == -* && " $takes " == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "\${__tocker_flags[$key]} $__tocker_global_flags --help" -- "$cur")); return
  fi
  if [[ -z $key ]]; then
    COMPREPLY=($(compgen -W "$__tocker_commands" -- "$cur")); return
  fi
  if [[ -n \${__tocker_subs[$key]} && $nargs -eq 0 ]]; then
    COMPREPLY=($(compgen -W "\${__tocker_subs[$key]}" -- "$cur")); return
  fi
  case \${__tocker_args[$key]} in
    containers) COMPREPLY=($(compgen -W "$(tocker ps -a --format '{{.Names}}' 2>/dev/null)" -- "$cur")) ;;
    images) ((nargs > 0)) && { COMPREPLY=($(compgen -f -- "$cur")); return; }
      COMPREPLY=($(compgen -W "$(tocker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>')" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _tocker tocker
`
}
