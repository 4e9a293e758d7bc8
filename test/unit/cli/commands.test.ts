// Every command's usage errors through the real CLI entry point (src/cli/main.ts: the parser, each
// command's table, cobra's argument validators, the error printer), in-process and without an
// engine: too few or too many arguments, an unknown flag, --help. The expected usage lines and
// argument rules are Docker 28's (`docker <cmd> --help`, cli/required.go), with "tocker" for
// "docker"; test/integration/cli/usage.test.ts compares a sample with the docker binary itself.
import t from 'tap'
import { cli, type Outcome } from './in-process.js'

type Rule = 'none' | `exact${number}` | `min${number}` | `max${number}` | `range${number}-${number}`

// [command path, Docker's usage after the path, Docker's argument validator]
const COMMANDS: [string, string, Rule][] = [
  ['run', '[OPTIONS] IMAGE [COMMAND] [ARG...]', 'min1'],
  ['create', '[OPTIONS] IMAGE [COMMAND] [ARG...]', 'min1'],
  ['exec', '[OPTIONS] CONTAINER COMMAND [ARG...]', 'min2'],
  ['ps', '[OPTIONS]', 'none'],
  ['build', '[OPTIONS] PATH | URL | -', 'exact1'],
  ['pull', '[OPTIONS] NAME[:TAG|@DIGEST]', 'exact1'],
  ['push', '[OPTIONS] NAME[:TAG]', 'exact1'],
  ['images', '[OPTIONS] [REPOSITORY[:TAG]]', 'max1'],
  ['login', '[OPTIONS] [SERVER]', 'max1'],
  ['logout', '[SERVER]', 'max1'],
  ['version', '[OPTIONS]', 'none'],
  ['info', '[OPTIONS]', 'none'],
  ['attach', '[OPTIONS] CONTAINER', 'exact1'],
  ['commit', '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', 'range1-2'],
  ['cp', '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\ttocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', 'exact2'],
  ['diff', 'CONTAINER', 'exact1'],
  ['export', '[OPTIONS] CONTAINER', 'exact1'],
  ['history', '[OPTIONS] IMAGE', 'exact1'],
  ['import', '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', 'range1-2'],
  ['inspect', '[OPTIONS] NAME|ID [NAME|ID...]', 'min1'],
  ['kill', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['load', '[OPTIONS]', 'none'],
  ['logs', '[OPTIONS] CONTAINER', 'exact1'],
  ['port', 'CONTAINER [PRIVATE_PORT[/PROTO]]', 'range1-2'],
  ['rename', 'CONTAINER NEW_NAME', 'exact2'],
  ['restart', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['rm', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['rmi', '[OPTIONS] IMAGE [IMAGE...]', 'min1'],
  ['save', '[OPTIONS] IMAGE [IMAGE...]', 'min1'],
  ['start', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['stop', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['tag', 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', 'exact2'],
  ['top', 'CONTAINER [ps OPTIONS]', 'min1'],
  ['wait', 'CONTAINER [CONTAINER...]', 'min1'],
  ['container attach', '[OPTIONS] CONTAINER', 'exact1'],
  ['container commit', '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', 'range1-2'],
  ['container create', '[OPTIONS] IMAGE [COMMAND] [ARG...]', 'min1'],
  ['container diff', 'CONTAINER', 'exact1'],
  ['container exec', '[OPTIONS] CONTAINER COMMAND [ARG...]', 'min2'],
  ['container export', '[OPTIONS] CONTAINER', 'exact1'],
  ['container inspect', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['container kill', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['container logs', '[OPTIONS] CONTAINER', 'exact1'],
  ['container ls', '[OPTIONS]', 'none'],
  ['container prune', '[OPTIONS]', 'none'],
  ['container port', 'CONTAINER [PRIVATE_PORT[/PROTO]]', 'range1-2'],
  ['container rename', 'CONTAINER NEW_NAME', 'exact2'],
  ['container restart', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['container rm', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['container run', '[OPTIONS] IMAGE [COMMAND] [ARG...]', 'min1'],
  ['container start', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['container stop', '[OPTIONS] CONTAINER [CONTAINER...]', 'min1'],
  ['container top', 'CONTAINER [ps OPTIONS]', 'min1'],
  ['container wait', 'CONTAINER [CONTAINER...]', 'min1'],
  ['image build', '[OPTIONS] PATH | URL | -', 'exact1'],
  ['image history', '[OPTIONS] IMAGE', 'exact1'],
  ['image import', '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', 'range1-2'],
  ['image inspect', '[OPTIONS] IMAGE [IMAGE...]', 'min1'],
  ['image load', '[OPTIONS]', 'none'],
  ['image ls', '[OPTIONS] [REPOSITORY[:TAG]]', 'max1'],
  ['image prune', '[OPTIONS]', 'none'],
  ['image pull', '[OPTIONS] NAME[:TAG|@DIGEST]', 'exact1'],
  ['image push', '[OPTIONS] NAME[:TAG]', 'exact1'],
  ['image rm', '[OPTIONS] IMAGE [IMAGE...]', 'min1'],
  ['image save', '[OPTIONS] IMAGE [IMAGE...]', 'min1'],
  ['image tag', 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', 'exact2'],
  ['system df', '[OPTIONS]', 'none'],
  ['system info', '[OPTIONS]', 'none'],
  ['network connect', '[OPTIONS] NETWORK CONTAINER', 'exact2'],
  ['network create', '[OPTIONS] NETWORK', 'exact1'],
  ['network disconnect', '[OPTIONS] NETWORK CONTAINER', 'exact2'],
  ['network inspect', '[OPTIONS] NETWORK [NETWORK...]', 'min1'],
  ['network ls', '[OPTIONS]', 'none'],
  ['network prune', '[OPTIONS]', 'none'],
  ['network rm', 'NETWORK [NETWORK...]', 'min1'],
  ['volume create', '[OPTIONS] [VOLUME]', 'max1'],
  ['volume inspect', '[OPTIONS] VOLUME [VOLUME...]', 'min1'],
  ['volume ls', '[OPTIONS]', 'none'],
  ['volume prune', '[OPTIONS]', 'none'],
  ['volume rm', '[OPTIONS] VOLUME [VOLUME...]', 'min1'],
]

// Aliases name the command they stand for, as cobra's CommandPath() does.
const ALIASES: [string, string][] = [
  ['container ps', 'container ls'],
  ['container list', 'container ls'],
  ['container remove', 'container rm'],
  ['image list', 'image ls'],
  ['image remove', 'image rm'],
  ['image rmi', 'image rm'],
  ['network list', 'network ls'],
  ['network remove', 'network rm'],
  ['volume list', 'volume ls'],
  ['volume remove', 'volume rm'],
]

const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`

/** The argument counts the rule refuses, each with cobra's words, and whether it says "See" or "Run". */
function refusals(rule: Rule): { count: number; message: string; see: boolean }[] {
  let m: RegExpExecArray | null
  if (rule === 'none') return [{ count: 1, message: 'accepts no arguments', see: false }]
  if ((m = /^exact(\d+)$/.exec(rule))) {
    const n = Number(m[1])
    return [n - 1, n + 1].filter((c) => c >= 0).map((count) => ({ count, message: `requires ${plural(n)}`, see: false }))
  }
  if ((m = /^min(\d+)$/.exec(rule))) return [{ count: Number(m[1]) - 1, message: `requires at least ${plural(Number(m[1]))}`, see: true }]
  if ((m = /^max(\d+)$/.exec(rule))) return [{ count: Number(m[1]) + 1, message: `requires at most ${plural(Number(m[1]))}`, see: false }]
  m = /^range(\d+)-(\d+)$/.exec(rule)!
  const [lo, hi] = [Number(m[1]), Number(m[2])]
  return [lo - 1, hi + 1].map((count) => ({ count, message: `requires at least ${lo} and at most ${plural(hi)}`, see: false }))
}

const words = (path: string) => path.split(' ')
const results = new Map<string, { args: Outcome[]; flag: Outcome; help: Outcome; shortHelp: Outcome }>()
for (const [path, , rule] of COMMANDS) {
  const args: Outcome[] = []
  for (const r of refusals(rule)) args.push(await cli([...words(path), ...Array.from({ length: r.count }, (_, i) => `arg${i}`)]))
  results.set(path, {
    args,
    flag: await cli([...words(path), '--no-such-flag', 'arg0', 'arg1']),
    help: await cli([...words(path), '--help']),
    shortHelp: await cli([...words(path), '-h']),
  })
}
const aliasResults = new Map<string, Outcome>()
for (const [alias] of ALIASES) aliasResults.set(alias, await cli([...words(alias), '--no-such-flag']))

for (const [path, usage, rule] of COMMANDS) {
  t.test(`tocker ${path}: ${rule} argument(s), unknown flags and --help as Docker's CLI`, async (t) => {
    const r = results.get(path)!
    const usageBlock = `Usage:  tocker ${path} ${usage}`
    refusals(rule).forEach((want, i) => {
      const got = r.args[i]
      t.same(
        [got.code, got.stderr, got.stdout],
        [1, `tocker: 'tocker ${path}' ${want.message}\n\n${usageBlock}\n\n${want.see ? 'See' : 'Run'} 'tocker ${path} --help' for more information\n`, ''],
        `${want.count} argument(s): exit 1 and cobra's words`,
      )
    })
    t.same([r.flag.code, r.flag.stderr, r.flag.stdout], [125, `unknown flag: --no-such-flag\n\n${usageBlock}\n\nRun 'tocker ${path} --help' for more information\n`, ''], 'an unknown flag: 125, before the arguments are counted')
    t.equal(r.help.code, 0, '--help exits 0')
    t.equal(r.help.stderr, '')
    t.equal(r.help.stdout.split('\n\n')[0], usageBlock, "--help starts with Docker's usage line")
    if (/^\s+-h, --hostname /m.test(r.help.stdout)) t.match(r.shortHelp, { code: 125, stderr: /^flag needs an argument: 'h' in -h\n/ }, "-h is run's --hostname, as in Docker")
    else t.same(r.shortHelp, r.help, '-h is --help')
  })
}

t.test('aliases are reported under the name of the command they stand for', async (t) => {
  for (const [alias, name] of ALIASES) {
    const r = aliasResults.get(alias)!
    const usage = COMMANDS.find(([p]) => p === name)![1]
    t.same([r.code, r.stderr], [125, `unknown flag: --no-such-flag\n\nUsage:  tocker ${name} ${usage}\n\nRun 'tocker ${name} --help' for more information\n`], `tocker ${alias}`)
  }
})
