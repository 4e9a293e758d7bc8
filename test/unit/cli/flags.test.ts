// Every option of every command through the real CLI entry point, in-process and without an engine:
// each option the command's table declares is accepted by the parser (shown by the command then
// failing only at its argument count, exit 1, never "unknown flag", 125), and a bad value for a bool
// or int option is refused with pflag's words (strconv.ParseBool / ParseInt) and exit 125, as
// Docker's CLI does; so is a --filter without "=" (Docker's FilterOpt: "bad format of filter"). The runtime group (runc's syntax) is left out.
import t from 'tap'
import { COMMANDS } from '../../../src/cli/commands/index.js'
import { checkArgs } from '../../../src/cli/parse.js'
import type { Command, CommandEntry, OptionDef } from '../../../src/cli/spec.js'
import { cli, type Outcome } from './in-process.js'

interface Case {
  path: string[]
  cmd: Command
  accepted: Outcome
  bad: { option: OptionDef; got: Outcome }[]
}

/** A value the parser takes for the option's type (what the command does with it is not asked). */
function goodValue(o: OptionDef): string[] {
  if (o.type === 'bool') return [`--${o.name}`]
  if (o.type === 'int') return [`--${o.name}=1`]
  if (o.type === 'decimal') return [`--${o.name}=1.5`]
  if (o.type === 'filter') return [`--${o.name}=name=v`]
  return [`--${o.name}=v`]
}

/** An argument count the command refuses (so that it never runs). */
function refusedCount(cmd: Command): number {
  for (const n of [0, 1, 2, 3, 4]) if (checkArgs(cmd.args, n)) return n
  throw new Error('no refused argument count')
}

async function collect(entries: CommandEntry[], parent: string[], out: Case[]): Promise<void> {
  for (const e of entries) {
    if (e.hidden || e.name === 'runtime') continue
    const cmd = await e.load()
    const path = [...parent, e.name]
    if (cmd.subcommands) {
      await collect(cmd.subcommands, path, out)
      continue
    }
    const options = cmd.options.filter((o) => !o.hidden && o.bareValue === undefined)
    const args = Array.from({ length: refusedCount(cmd) }, (_, i) => `arg${i}`)
    const accepted = await cli([...path, ...options.flatMap(goodValue), ...args])
    const bad = []
    for (const option of options.filter((o) => o.type in BAD)) {
      bad.push({ option, got: await cli([...path, `--${option.name}=${BAD[option.type]!.value}`, ...args]) })
    }
    out.push({ path, cmd, accepted, bad })
  }
}

/** A value each checked type refuses, and pflag's (or Docker's FilterOpt's) reason. */
const BAD: Partial<Record<OptionDef['type'], { value: string; why: string }>> = {
  bool: { value: 'maybe', why: 'strconv.ParseBool: parsing "maybe": invalid syntax' },
  int: { value: 'abc', why: 'strconv.ParseInt: parsing "abc": invalid syntax' },
  filter: { value: 'dangling', why: 'bad format of filter (expected name=value)' },
}

const cases: Case[] = []
await collect(COMMANDS, [], cases)

for (const { path, cmd, accepted, bad } of cases) {
  const name = `tocker ${path.join(' ')}`
  const usage = `\n\nUsage:  ${name} ${cmd.usage}\n\n`
  t.test(`${name}: its ${cmd.options.length} option(s) parse; bad bool/int/filter values get pflag's words`, async (t) => {
    t.equal(accepted.code, 1, 'every option accepted: the command stops at its argument count')
    t.match(accepted.stderr, new RegExp(`^tocker: '${name}' (requires|accepts) `), 'the argument-count error, not an unknown flag')
    for (const { option, got } of bad) {
      const flag = option.short ? `-${option.short}, --${option.name}` : `--${option.name}`
      const { value, why } = BAD[option.type]!
      t.same([got.code, got.stderr], [125, `invalid argument "${value}" for "${flag}" flag: ${why}${usage}Run '${name} --help' for more information\n`], `--${option.name}=${value}`)
    }
  })
}

t.test('the commands above are all there are (the runtime group aside)', async (t) => {
  t.ok(cases.length >= 75, `${cases.length} commands`)
  t.ok(
    cases.some((c) => c.bad.length > 5),
    'run has many typed options',
  )
  const filtered = cases.filter((c) => c.bad.some((b) => b.option.type === 'filter')).map((c) => c.path.join(' '))
  t.ok(filtered.length >= 9, `--filter checked the same way in ${filtered.join(', ')}`)
})
