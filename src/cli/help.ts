// `--help`, laid out as Docker's (cobra's template, pflag's FlagUsagesWrapped): "Usage:  tocker
// ps [OPTIONS]", the summary, "Aliases:", "Options:" with the flag column padded and descriptions
// wrapped to the terminal's width (80 when not a terminal), " (default …)" as pflag adds it.
// With a Korean locale the summaries, descriptions and headings are Korean.
import { fstatSync } from 'node:fs'
import { displayWidth, t, text } from '../i18n/index.js'
import type { Command, CommandEntry, OptionDef } from './spec.js'

const TYPE_WORD: Record<OptionDef['type'], string> = { bool: '', string: 'string', list: 'list', filter: 'filter', int: 'int', decimal: 'decimal' }

/**
 * The terminal's width, 80 when stdout is not a terminal. Only a character device can be one: a
 * pipe or a file is told by fstat, without making process.stdout (on a pipe a net.Socket, which
 * loads node:net and node:stream for help that is then written by writeStdout).
 */
function width(): number {
  if (!fstatSync(1).isCharacterDevice()) return 80
  return (process.stdout.isTTY && process.stdout.columns) || 80
}

function defaultText(o: OptionDef): string {
  if (o.default === undefined || o.default === false || o.default === '' || o.bareValue !== undefined) return ''
  return ' ' + t('help.default', { value: typeof o.default === 'string' ? `"${o.default}"` : String(o.default) })
}

/** pflag's wrapN: cut at the last blank before `w` columns, unless the rest fits within `slop`. */
function wrapN(w: number, slop: number, s: string): [string, string] {
  if (w + slop > displayWidth(s)) return [s, '']
  let cols = 0
  let cut = -1
  let nl = -1
  let i = 0
  for (const ch of s) {
    if (cols >= w) break
    if (ch === ' ' || ch === '\t') cut = i
    if (ch === '\n') {
      cut = i
      nl = i
    }
    cols += displayWidth(ch)
    i += ch.length
  }
  if (cut <= 0) return [s, '']
  if (nl > 0 && nl < cut) return [s.slice(0, nl), s.slice(nl + 1)]
  return [s.slice(0, cut), s.slice(cut + 1)]
}

/** pflag's wrap: `s` indented by `indent` columns within a line of `w` columns. */
export function wrap(indent: number, w: number, s: string): string {
  let room = w - indent
  let out = ''
  if (room < 24) {
    indent = 16
    room = w - indent
    out += '\n' + ' '.repeat(indent)
  }
  if (room < 24) return out + s.replace(/\n/g, '\n' + ' '.repeat(indent))
  const slop = 5
  room -= slop
  let [line, rest] = wrapN(room, slop, s)
  out += line.replace(/\n/g, '\n' + ' '.repeat(indent))
  while (rest !== '') {
    ;[line, rest] = wrapN(room, slop, rest)
    out += '\n' + ' '.repeat(indent) + line.replace(/\n/g, '\n' + ' '.repeat(indent))
  }
  return out
}

/** The "Options:" block: pflag's FlagUsagesWrapped(width - 1). */
export function optionLines(options: OptionDef[], cols = width()): string {
  const rows: [string, string][] = []
  for (const o of options) {
    if (o.hidden) continue
    let left = o.short ? `  -${o.short}, --${o.name}` : `      --${o.name}`
    const word = o.valueName ?? TYPE_WORD[o.type]
    if (word) left += ` ${word}`
    if (o.bareValue !== undefined) left += `[="${o.bareValue}"]`
    rows.push([left, text(o.description) + defaultText(o)])
  }
  const maxlen = Math.max(0, ...rows.map(([l]) => l.length)) + 1
  return rows.map(([l, d]) => `${l} ${' '.repeat(maxlen - l.length)} ${wrap(maxlen + 2, cols - 1, d)}`.trimEnd()).join('\n')
}

function commandLines(entries: CommandEntry[]): string {
  const shown = entries.filter((e) => !e.hidden)
  const pad = Math.max(11, ...shown.map((e) => e.name.length))
  return shown.map((e) => `  ${e.name.padEnd(pad)} ${text(e.summary)}`).join('\n')
}

/** Help of a command (or a group, which lists its subcommands). */
export function commandHelp(path: string[], entry: CommandEntry, cmd: Command): string {
  const full = ['tocker', ...path].join(' ')
  const parts: string[] = []
  if (cmd.subcommands) {
    const own = cmd.options.filter((o) => !o.hidden)
    parts.push(`${t('help.usage')}  ${full}${own.length ? ' [OPTIONS]' : ''} COMMAND`, text(entry.summary))
  } else {
    parts.push(`${t('help.usage')}  ${full}${cmd.usage ? ' ' + cmd.usage : ''}`, text(entry.summary))
  }
  if (cmd.paths?.length) parts.push(`${t('help.aliases')}\n  ${cmd.paths.map((p) => `tocker ${p}`).join(', ')}`)
  const opts = optionLines(cmd.options)
  if (opts) parts.push(`${t('help.options')}\n${opts}`)
  if (cmd.subcommands) {
    parts.push(`${t('help.commands')}\n${commandLines(cmd.subcommands)}`, t('help.more', { cmd: full }))
  }
  return parts.join('\n\n') + '\n'
}

/** `tocker --help`: the commands by category, then the global options. */
export function rootHelp(entries: CommandEntry[], globals: OptionDef[]): string {
  const by = (c: CommandEntry['category']) => entries.filter((e) => (e.category ?? 'other') === c)
  return (
    [
      `${t('help.usage')}  tocker [OPTIONS] COMMAND`,
      t('help.root'),
      `${t('help.common')}\n${commandLines(by('common'))}`,
      `${t('help.management')}\n${commandLines(by('management'))}`,
      `${t('help.commands')}\n${commandLines(by('other'))}`,
      `${t('help.global')}\n${optionLines(globals)}`,
      t('help.more', { cmd: 'tocker' }),
      t('help.guide'),
    ].join('\n\n') + '\n'
  )
}
