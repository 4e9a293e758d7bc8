// Docker's command lines put the container's command after the image: `run -d busybox ls -l`.
// Everything after the first positional (the image, or the container for exec) belongs to the
// container, even when it looks like one of tocker's options (`run busybox top -d 1`). yargs
// cannot stop there for one command only, so these commands re-read their raw arguments here:
// yargs still renders --help and checks types, this parser decides what the options are.

export type OptionKind = 'boolean' | 'string' | 'array' | 'number'

export interface OptionSpec {
  [name: string]: { kind: OptionKind; alias?: string[] }
}

export interface SplitArgs {
  options: Record<string, unknown>
  /** The first positional (image or container) and what follows it, untouched. */
  positional: string[]
}

const GLOBAL_WITH_VALUE = new Set(['--root', '-H', '--host', '--log-level'])

/** The raw arguments after the command words (e.g. ['container', 'run']). */
export function rawCommandArgs(commandWords: string[][], argv = process.argv.slice(2)): string[] {
  let i = 0
  while (i < argv.length && argv[i].startsWith('-')) {
    const a = argv[i]
    i += GLOBAL_WITH_VALUE.has(a) ? 2 : 1
  }
  for (const words of commandWords) {
    if (words.every((w, k) => argv[i + k] === w)) return argv.slice(i + words.length)
  }
  return argv.slice(i + 1)
}

export function parseInterspersed(raw: string[], spec: OptionSpec): SplitArgs {
  const byName = new Map<string, string>()
  for (const [name, s] of Object.entries(spec)) {
    byName.set(name, name)
    for (const a of s.alias ?? []) byName.set(a, name)
  }
  const options: Record<string, unknown> = {}
  const set = (name: string, value: string | boolean) => {
    const s = spec[name]
    if (s.kind === 'array') ((options[name] as string[] | undefined) ?? (options[name] = [] as string[]) as string[]).push(String(value))
    else if (s.kind === 'number') options[name] = Number(value)
    else options[name] = value
  }
  let i = 0
  for (; i < raw.length; i++) {
    const a = raw[i]
    if (a === '--') {
      i++
      break
    }
    if (!a.startsWith('-') || a === '-') break
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const key = eq < 0 ? a.slice(2) : a.slice(2, eq)
      const name = byName.get(key)
      if (!name) throw new Error(`unknown flag: --${key}`)
      if (spec[name].kind === 'boolean') set(name, eq < 0 ? true : a.slice(eq + 1) !== 'false')
      else if (eq >= 0) set(name, a.slice(eq + 1))
      else if (i + 1 < raw.length) set(name, raw[++i])
      else throw new Error(`flag needs an argument: --${key}`)
      continue
    }
    // A cluster of short flags: -it, -dit, -e=K=V, -p8080:80.
    for (let k = 1; k < a.length; k++) {
      const name = byName.get(a[k])
      if (!name) throw new Error(`unknown shorthand flag: '${a[k]}' in ${a}`)
      if (spec[name].kind === 'boolean') {
        set(name, true)
        continue
      }
      let rest = a.slice(k + 1)
      if (rest.startsWith('=')) rest = rest.slice(1)
      if (rest) set(name, rest)
      else if (i + 1 < raw.length) set(name, raw[++i])
      else throw new Error(`flag needs an argument: '${a[k]}' in ${a}`)
      break
    }
  }
  return { options, positional: raw.slice(i) }
}
