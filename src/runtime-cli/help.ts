// Help in urfave/cli's layout (what `runc --help` and `runc delete --help` print), from the tables.
import type { OptionDef } from '../cli/spec.js'
import type { RuntimeCommand } from './command.js'

const PROGRAM = 'tocker-runtime'

function flagLine(o: OptionDef): string {
  const names = [`--${o.name}${o.type === 'bool' ? '' : ' value'}`, ...(o.short ? [`-${o.short}${o.type === 'bool' ? '' : ' value'}`] : [])].join(', ')
  const def = o.default !== undefined && o.type !== 'bool' && o.default !== '' ? ` (default: ${JSON.stringify(o.default)})` : ''
  return [names, o.description.en + def]
    .join('\t')
}

function columns(lines: string[]): string {
  const rows = lines.map((l) => l.split('\t'))
  const width = Math.max(...rows.map((r) => r[0].length))
  return rows.map((r) => `   ${r[0].padEnd(width)}  ${r[1] ?? ''}`.trimEnd() + '\n').join('')
}

export function appHelp(commands: RuntimeCommand[], globals: OptionDef[]): string {
  return (
    `NAME:\n   ${PROGRAM} - Open Container Initiative runtime (tocker's, with runc's command line)\n\n` +
    `tocker-runtime runs OCI bundles (a directory with config.json and a root filesystem) the way runc\n` +
    `does, so that podman (--runtime) and containerd (ctr run --runc-binary, or a runtime's BinaryName)\n` +
    `can use it. The container's processes become direct children of the process supervisor.\n\n` +
    `USAGE:\n   ${PROGRAM} [global options] command [command options] [arguments...]\n\n` +
    `COMMANDS:\n${columns(commands.map((c) => `${c.name}\t${c.summary}`))}   help, h\tShows a list of commands or help for one command\n\n`.replace(
      /   help, h\t/,
      `   ${'help, h'.padEnd(Math.max(...commands.map((c) => c.name.length)))}  `,
    ) +
    `GLOBAL OPTIONS:\n${columns(globals.filter((o) => !o.hidden).map(flagLine))}`
  )
}

export function commandHelp(cmd: RuntimeCommand): string {
  let out = `NAME:\n   ${PROGRAM} ${cmd.name} - ${cmd.summary}\n\nUSAGE:\n   ${PROGRAM} ${cmd.name}${cmd.options.length ? ' [command options]' : ''} ${cmd.usage}\n`
  if (cmd.description) out += `\n${cmd.description}\n`
  const visible = cmd.options.filter((o) => !o.hidden)
  if (visible.length) out += `\nOPTIONS:\n${columns(visible.map(flagLine))}`
  return out
}
