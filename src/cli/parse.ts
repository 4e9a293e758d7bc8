// The one argument parser: the command line read against a command's table (spec.ts) the way
// Node's util.parseArgs reads it (tokens mode, strict off; tokenize() below does what Node 20's
// argsToTokens), plus what Docker's parser (spf13/pflag) does differently:
//   - options end at the first argument for run/exec/create (SetInterspersed(false)): everything
//     from the image on is the container's, even `-d` or `--rm` (`run busybox top -d 1`);
//   - `-e=K=V`, `-d=false`: a short flag with "=" (parseArgs would read "=K=V", or split
//     "-d=false" into the letters d, =, f, a, l, s, e);
//   - typed values with pflag's messages ("invalid argument … for "-n, --last" flag: …");
//   - the error wording of unknown and incomplete flags ("unknown shorthand flag: 'x' in -x").
// The token rules are parseArgs' own: `-it`, `-itd`, `-p8080:80`, `--name=x`, `--`, values that
// look like options or negative numbers (`-n -1`, `-e -x`). Not parseArgs itself: it validates the
// whole table on every call (three checks an option, each with its own message string) and looks a
// short letter up by listing the table, ~1 ms and ~60 KB of young garbage for run's ~110 options
// before its first request; test/unit/cli/parse.test.ts holds this tokenizer to parseArgs' tokens.
import type { ArgRule, OptionDef, ParsedArgs } from './spec.js'
import { filterError } from './filters.js'
import { FlagError } from './usage-error.js'

export interface ParseOptions {
  /** false: stop at the first argument (it and the rest are returned untouched). Default true. */
  interspersed?: boolean
}

/** The table with lookups by long and short name. */
export interface CompiledTable {
  byName: Map<string, OptionDef>
  byShort: Map<string, OptionDef>
}

export function compileTable(options: OptionDef[]): CompiledTable {
  const byName = new Map<string, OptionDef>()
  const byShort = new Map<string, OptionDef>()
  for (const o of options) {
    // The first definition of a name or letter wins: a command's own -h (hostname) or -l (label)
    // over a global flag's.
    if (byName.has(o.name)) continue
    byName.set(o.name, o)
    if (o.short && !byShort.has(o.short)) byShort.set(o.short, o)
  }
  return { byName, byShort }
}

/** One word (or part of a -abc group) of the command line, as util.parseArgs' tokens say it. */
export type Token =
  | { kind: 'option'; name: string; rawName: string; index: number; value: string | undefined; inlineValue: boolean | undefined }
  | { kind: 'positional'; index: number; value: string }
  | { kind: 'option-terminator'; index: number }

/**
 * Node 20's argsToTokens (lib/internal/util/parse_args/parse_args.js) over our table: a flag takes
 * a value when the table says it does, which is not for bools and flags with an optional value
 * (their "=value" arrives inline); an unknown letter is its own name.
 */
export function tokenize(args: string[], table: CompiledTable): Token[] {
  const longOf = (letter: string) => table.byShort.get(letter)?.name ?? letter
  const takesValue = (name: string) => {
    const def = table.byName.get(name)
    return def !== undefined && def.type !== 'bool' && def.bareValue === undefined
  }
  const tokens: Token[] = []
  const rest = [...args]
  let index = -1
  let groupCount = 0
  while (rest.length > 0) {
    const arg = rest.shift()!
    const next = rest[0]
    if (groupCount > 0) groupCount--
    else index++
    if (arg === '--') {
      tokens.push({ kind: 'option-terminator', index })
      for (const value of rest) tokens.push({ kind: 'positional', index: ++index, value })
      break
    }
    const short = arg.length >= 2 && arg[0] === '-' && arg[1] !== '-'
    if (short && arg.length === 2) {
      // -f, or -f VALUE
      const name = longOf(arg[1])
      const value = takesValue(name) && next !== undefined ? rest.shift() : undefined
      tokens.push({ kind: 'option', name, rawName: arg, index, value, inlineValue: value === undefined ? undefined : false })
      if (value !== undefined) index++
      continue
    }
    if (short && !takesValue(longOf(arg[1]))) {
      // -abc: -a -b -c, and a letter that takes a value takes the rest (-abfFILE: -a -b -fFILE)
      const expanded: string[] = []
      for (let i = 1; i < arg.length; i++) {
        if (!takesValue(longOf(arg[i])) || i === arg.length - 1) expanded.push(`-${arg[i]}`)
        else {
          expanded.push(`-${arg.slice(i)}`)
          break
        }
      }
      rest.unshift(...expanded)
      groupCount = expanded.length
      continue
    }
    if (short) {
      // -fFILE
      tokens.push({ kind: 'option', name: longOf(arg[1]), rawName: `-${arg[1]}`, index, value: arg.slice(2), inlineValue: true })
      continue
    }
    if (arg.length > 2 && arg.startsWith('--')) {
      const eq = arg.indexOf('=', 3)
      if (eq < 0) {
        // --foo, or --foo VALUE
        const name = arg.slice(2)
        const value = takesValue(name) && next !== undefined ? rest.shift() : undefined
        tokens.push({ kind: 'option', name, rawName: arg, index, value, inlineValue: value === undefined ? undefined : false })
        if (value !== undefined) index++
      } else {
        // --foo=bar
        const name = arg.slice(2, eq)
        tokens.push({ kind: 'option', name, rawName: `--${name}`, index, value: arg.slice(eq + 1), inlineValue: true })
      }
      continue
    }
    tokens.push({ kind: 'positional', index, value: arg })
  }
  return tokens
}

/** Parse `argv` (the words after the command's name) against a compiled table. */
export function parseWith(table: CompiledTable, argv: string[], o: ParseOptions = {}): ParsedArgs {
  const args = [...argv]
  for (;;) {
    const tokens = tokenize(args, table)
    const fixAt = shortWithEquals(tokens, args, table)
    if (fixAt >= 0) {
      // -X=value → --long=value, then read the line again (everything before it is unchanged).
      args[fixAt] = `--${table.byShort.get(args[fixAt][1])!.name}=${args[fixAt].slice(3)}`
      continue
    }
    return collect(tokens, args, table, o.interspersed !== false)
  }
}

/** The index of the first option word of the form -X=… with a known X (before any cut), or -1. */
function shortWithEquals(tokens: Token[], args: string[], table: CompiledTable): number {
  for (const t of tokens) {
    if (t.kind === 'positional' || t.kind === 'option-terminator') return -1
    const raw = args[t.index]
    if (t.kind === 'option' && t.rawName === raw.slice(0, 2) && raw[1] !== '-' && raw[2] === '=' && table.byShort.has(raw[1])) return t.index
  }
  return -1
}

function collect(tokens: Token[], args: string[], table: CompiledTable, interspersed: boolean): ParsedArgs {
  const opts: Record<string, any> = {}
  const positionals: string[] = []
  for (const t of tokens) {
    if (t.kind === 'option-terminator') {
      positionals.push(...args.slice(t.index + 1))
      break
    }
    if (t.kind === 'positional') {
      if (!interspersed) {
        positionals.push(...args.slice(t.index))
        break
      }
      positionals.push(t.value)
      continue
    }
    const def = t.rawName.startsWith('--') ? table.byName.get(t.name) : table.byShort.get(t.rawName.slice(1))
    if (!def || (t.rawName.startsWith('--') && t.rawName !== `--${def.name}`)) {
      throw new FlagError(t.rawName.startsWith('--') ? `unknown flag: ${t.rawName}` : `unknown shorthand flag: '${t.rawName.slice(1)}' in ${args[t.index]}`)
    }
    setValue(opts, def, t, args)
  }
  return { opts, args: positionals }
}

/** Fill in the defaults of `defs` that `opts` does not set. */
export function withDefaults(opts: Record<string, any>, defs: OptionDef[]): Record<string, any> {
  for (const def of defs) {
    if (opts[def.name] === undefined && def.default !== undefined) opts[def.name] = def.default
  }
  return opts
}

function flagLabel(def: OptionDef): string {
  return def.short ? `-${def.short}, --${def.name}` : `--${def.name}`
}

function setValue(opts: Record<string, any>, def: OptionDef, t: Extract<Token, { kind: 'option' }>, args: string[]): void {
  const raw = t.value
  if (def.bareValue !== undefined) {
    opts[def.name] = raw ?? def.bareValue
    return
  }
  if (def.type === 'bool') {
    opts[def.name] = raw === undefined ? true : parseBool(raw, def)
    return
  }
  if (raw === undefined) {
    throw new FlagError(t.rawName.startsWith('--') ? `flag needs an argument: ${t.rawName}` : `flag needs an argument: '${t.rawName.slice(1)}' in ${args[t.index]}`)
  }
  switch (def.type) {
    case 'list':
      ;(opts[def.name] ??= []).push(raw)
      return
    case 'filter': {
      const why = filterError(raw)
      if (why) throw new FlagError(`invalid argument "${raw}" for "${flagLabel(def)}" flag: ${why}`)
      ;(opts[def.name] ??= []).push(raw)
      return
    }
    case 'int':
      if (!/^[-+]?\d+$/.test(raw)) throw new FlagError(`invalid argument "${raw}" for "${flagLabel(def)}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`)
      opts[def.name] = Number(raw)
      return
    case 'decimal':
      if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(raw)) throw new FlagError(`invalid argument "${raw}" for "${flagLabel(def)}" flag: failed to parse ${raw} as a rational number`)
      opts[def.name] = Number(raw)
      return
    default:
      opts[def.name] = raw
  }
}

/** Go's strconv.ParseBool, as pflag uses it for `--rm=false`. */
function parseBool(v: string, def: OptionDef): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false
  throw new FlagError(`invalid argument "${v}" for "${flagLabel(def)}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`)
}

/**
 * Docker's argument rules (cli/required.go), with its wording: the message and whether the
 * footer says "See" (at least N) or "Run" (the others), as Docker 28 prints them.
 */
export function checkArgs(rule: ArgRule | undefined, n: number): { message: string; see: boolean } | undefined {
  if (!rule) return undefined
  const { min, max } = rule
  const plural = (k: number) => `${k} argument${k === 1 ? '' : 's'}`
  if (max === 0 && n > 0) return { message: 'accepts no arguments', see: false }
  if (min !== undefined && max !== undefined && min === max && n !== min) return { message: `requires ${plural(min)}`, see: false }
  if (min !== undefined && max !== undefined && min !== max && (n < min || n > max)) {
    return { message: `requires at least ${min} and at most ${plural(max)}`, see: false }
  }
  if (min !== undefined && max === undefined && n < min) return { message: `requires at least ${plural(min)}`, see: true }
  if (max !== undefined && min === undefined && n > max) return { message: `requires at most ${plural(max)}`, see: false }
  return undefined
}
