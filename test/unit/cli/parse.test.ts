// The CLI's parser, help and messages without root, an engine or a process: the tables, pflag's
// rules (Docker's parser), Docker's usage wording, the help layout, detach keys, the catalogue.
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import t from 'tap'
import { COMMANDS } from '../../../src/cli/commands/index.js'
import { bashScript } from '../../../src/cli/commands/completion.js'
import { RUN_OPTIONS } from '../../../src/cli/container-options.js'
import { EscapeProxy, parseDetachKeys } from '../../../src/cli/detach-keys.js'
import { commandHelp, optionLines, wrap } from '../../../src/cli/help.js'
import { wantedPackageManager } from '../../../src/cli/missing-command.js'
import { checkArgs, compileTable, parseWith, tokenize } from '../../../src/cli/parse.js'
import { bytesSize, serverInfoText } from '../../../src/cli/format/system.js'
import { GLOBAL_OPTIONS, type OptionDef } from '../../../src/cli/spec.js'
import { formatUnknownCommand, formatUsageError, suggest, ArgsError, FlagError, UnknownCommandError } from '../../../src/cli/usage-error.js'
import { displayWidth, hintForError, hintLines, lang, setLang, t as tr } from '../../../src/i18n/index.js'

const TABLES = new Map<string, OptionDef[]>()
for (const e of COMMANDS) TABLES.set(e.name, (await e.load()).options)
const run = compileTable([...RUN_OPTIONS, ...GLOBAL_OPTIONS, { name: 'help', type: 'bool', description: { en: 'Print usage' } }])
const runArgs = (argv: string[]) => parseWith(run, argv, { interspersed: false })

t.test('run: options end at the image; the container command passes through untouched', async (t) => {
  t.same(runArgs(['busybox', 'ls', '-la']), { opts: {}, args: ['busybox', 'ls', '-la'] })
  t.same(runArgs(['--rm', 'busybox', 'top', '-d', '1', '--rm']).args, ['busybox', 'top', '-d', '1', '--rm'])
  t.same(runArgs(['-d', '--', 'busybox', 'ls']), { opts: { detach: true }, args: ['busybox', 'ls'] })
  t.same(runArgs(['busybox', '--', 'ls']).args, ['busybox', '--', 'ls'], 'after the image even "--" is the container\'s (pflag)')
  t.same(runArgs(['busybox', 'sh', '-c=1']).args, ['busybox', 'sh', '-c=1'], 'no -X= rewriting after the image')
})

t.test('pflag forms: clusters, =values, repeats, negative numbers, bool values', async (t) => {
  t.same(runArgs(['-itd', 'busybox']).opts, { interactive: true, tty: true, detach: true })
  t.same(runArgs(['-it', '--name=web', '-p8080:80', '-e', 'A=1', '-eB=2', '-e=C=3', '--env', 'D=4', 'x']).opts, {
    interactive: true,
    tty: true,
    name: 'web',
    publish: ['8080:80'],
    env: ['A=1', 'B=2', 'C=3', 'D=4'],
  })
  t.same(runArgs(['-dp', '80:80', 'x']).opts, { detach: true, publish: ['80:80'] }, 'a value flag last in a cluster takes the next word')
  t.same(runArgs(['--cpu-shares', '-1', '--stop-timeout=-5', 'x']).opts, { 'cpu-shares': -1, 'stop-timeout': -5 })
  t.same(runArgs(['-e', '-x', 'x']).opts, { env: ['-x'] }, 'a value that looks like a flag is still the value (pflag)')
  t.same(runArgs(['--rm=false', '-d=false', '--sig-proxy=0', 'x']).opts, { rm: false, detach: false, 'sig-proxy': false })
  t.same(runArgs(['--cpus', '0.5', 'x']).opts, { cpus: 0.5 })
  t.same(runArgs(['--explain', 'x']).opts, { explain: 'phases' }, '--explain alone: its default value, the next word stays')
  t.same(runArgs(['--explain=full', '-D', '--root', '/r', '-H', 'unix:///s', 'x']).opts, { explain: 'full', debug: true, root: '/r', host: 'unix:///s' })
  t.same(runArgs(['-h', 'box', 'x']).opts, { hostname: 'box' }, "run's -h is --hostname, not help")
  const ps = compileTable(COMMANDS_TABLE('ps'))
  t.same(parseWith(ps, ['-a', 'stray', '-q']), { opts: { all: true, quiet: true }, args: ['stray'] }, 'other commands take options anywhere')
  t.same(parseWith(ps, ['--', '-a']).args, ['-a'])
})

t.test("the tokenizer reads a command line as util.parseArgs' tokens do (strict off), for every table", async (t) => {
  // Words of every shape the rules tell apart: letters alone, grouped, with a value glued or after
  // "=", long flags with and without "=", values that look like flags, "--", "-", unknown flags.
  const words = [
    ...'-d -i -t -it -itd -ti -e -eK=V -e=K=V -d=false -p8080:80 -p -dp80 -h -q -a -aq -n -1 -n-1 -x -xyz -Z - -- --- ---x --rm --rm=false --name --name=x --name= --env --explain --explain=full --no-such --no-such=1 --help --all --filter status=exited busybox ls K=V = -= --=x'
      .split(' '),
    '',
  ]
  let seed = 14
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
  const tables: [string, OptionDef[]][] = [['(root)', GLOBAL_OPTIONS], ...[...TABLES].map(([name, options]): [string, OptionDef[]] => [name, [...options, ...GLOBAL_OPTIONS]])]
  let cases = 0
  let differ = 0
  for (const [name, options] of tables) {
    const table = compileTable(options)
    // util.parseArgs' table as this file built it before (the first definition of a name or letter wins).
    const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}
    const letters = new Set<string>()
    for (const o of options) {
      if (Object.hasOwn(config, o.name)) continue
      const short = o.short && !letters.has(o.short) ? o.short : undefined
      if (short) letters.add(short)
      const type = o.type === 'bool' || o.bareValue !== undefined ? 'boolean' : 'string'
      config[o.name] = short ? { type, short } : { type }
    }
    for (let i = 0; i < (name === 'run' || name === '(root)' ? 4000 : 300); i++) {
      const argv = Array.from({ length: random(7) }, () => words[random(words.length)])
      const want = parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true }).tokens
      cases++
      if (JSON.stringify(tokenize(argv, table)) !== JSON.stringify(want) && differ++ < 5) t.same(tokenize(argv, table), want, `${name} ${JSON.stringify(argv)}`)
    }
  }
  t.equal(differ, 0, `${cases} command lines over ${tables.length} tables, the same tokens`)
})

t.test("bad options: Docker 28's words", async (t) => {
  const msg = (argv: string[]) => {
    try {
      runArgs(argv)
    } catch (e) {
      t.ok(e instanceof FlagError)
      return (e as Error).message
    }
    return 'no error'
  }
  t.equal(msg(['--foo', 'x']), 'unknown flag: --foo')
  t.equal(msg(['-x', 'busybox']), "unknown shorthand flag: 'x' in -x")
  t.equal(msg(['-itx', 'busybox']), "unknown shorthand flag: 'x' in -itx")
  t.equal(msg(['--memory']), 'flag needs an argument: --memory')
  t.equal(msg(['-e']), "flag needs an argument: 'e' in -e")
  t.equal(msg(['--rm=maybe', 'x']), 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax')
  t.equal(msg(['-c', 'abc', 'x']), 'invalid argument "abc" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "abc": invalid syntax')
  t.equal(msg(['--cpus', 'abc', 'x']), 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number')
  t.equal(msg(['--no-such=1', 'x']), 'unknown flag: --no-such')
})

t.test("argument counts: cobra's validators as Docker words them", async (t) => {
  t.same(checkArgs({ min: 1 }, 0), { message: 'requires at least 1 argument', see: true })
  t.same(checkArgs({ min: 2 }, 1), { message: 'requires at least 2 arguments', see: true })
  t.same(checkArgs({ min: 1, max: 1 }, 0), { message: 'requires 1 argument', see: false })
  t.same(checkArgs({ min: 2, max: 2 }, 3), { message: 'requires 2 arguments', see: false })
  t.same(checkArgs({ min: 1, max: 2 }, 3), { message: 'requires at least 1 and at most 2 arguments', see: false })
  t.same(checkArgs({ max: 0 }, 1), { message: 'accepts no arguments', see: false })
  t.same(checkArgs({ max: 1 }, 2), { message: 'requires at most 1 argument', see: false })
  t.equal(checkArgs({ min: 1 }, 3), undefined)
  t.equal(
    formatUsageError(new ArgsError('requires at least 1 argument', true), ['run'], '[OPTIONS] IMAGE [COMMAND] [ARG...]'),
    "tocker: 'tocker run' requires at least 1 argument\n\nUsage:  tocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'tocker run --help' for more information\n",
  )
  t.equal(formatUsageError(new FlagError('unknown flag: --foo'), ['ps'], '[OPTIONS]'), "unknown flag: --foo\n\nUsage:  tocker ps [OPTIONS]\n\nRun 'tocker ps --help' for more information\n")
})

t.test('unknown commands: Docker 28\'s line and "Did you mean this?"', async (t) => {
  const names = COMMANDS.map((c) => c.name)
  t.same(suggest('imags', names), ['images', 'image'])
  t.same(suggest('pul', names), ['pull'])
  t.same(suggest('xyzzy', names), [])
  t.equal(
    formatUnknownCommand(new UnknownCommandError('unknown command: tocker imags', ['images']), []),
    "tocker: unknown command: tocker imags\n\nDid you mean this?\n\timages\n\nRun 'tocker --help' for more information\n",
  )
  t.equal(formatUnknownCommand(new UnknownCommandError('unknown command: tocker image lss', []), ['image'], ''), "tocker: unknown command: tocker image lss\n\nUsage:  tocker image\n\nRun 'tocker image --help' for more information\n")
})

function COMMANDS_TABLE(name: string): OptionDef[] {
  return TABLES.get(name)!
}

t.test("help: the layout of Docker's (cobra and pflag, 80 columns when not a terminal)", async (t) => {
  const ps = COMMANDS.find((c) => c.name === 'ps')!
  const help = commandHelp(['ps'], ps, await ps.load())
  t.match(help, /^Usage: {2}tocker ps \[OPTIONS\]\n\nList containers\n\nAliases:\n {2}tocker container ls, tocker container list, tocker container ps, tocker ps\n\nOptions:\n/)
  t.match(help, '  -a, --all             Show all containers (default shows just running)\n')
  t.match(help, '  -n, --last int        Show n last created containers (includes all\n                        states) (default -1)\n')
  t.notMatch(help, '--help', 'the help flag itself is hidden, as in Docker')
  t.equal(wrap(10, 40, 'one two three four five six seven eight nine ten'), 'one two three four five\n          six seven eight nine ten')
  const ko = optionLines([{ name: 'all', short: 'a', type: 'bool', description: { en: 'x', ko: '멈춘 것까지 모든 컨테이너를 보여 줍니다 (기본은 실행 중인 것만) 그리고 더 긴 설명이 여기에 이어집니다' } }], 60)
  setLang('ko')
  try {
    const lines = optionLines([{ name: 'all', short: 'a', type: 'bool', description: { en: 'x', ko: '멈춘 것까지 모든 컨테이너를 보여 줍니다 (기본은 실행 중인 것만) 그리고 더 긴 설명이 여기에 이어집니다' } }], 60).split('\n')
    t.ok(lines.length > 1 && lines.every((l) => displayWidth(l) <= 60), 'Korean wraps by display width (two columns a syllable)')
  } finally {
    setLang(undefined)
  }
  t.match(ko, /^ {2}-a, --all {3}x$/, 'English by default')
  t.equal(displayWidth('컨테이너 ps'), 11)
})

t.test("detach keys: moby/term's escape proxy", async (t) => {
  t.same([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17])
  t.same([...parseDetachKeys('a,ctrl-\\,ctrl-@')], [97, 28, 0])
  t.throws(() => parseDetachKeys('ctrl-1'), /Unknown character: 'ctrl-1'/)
  const p = new EscapeProxy(Buffer.from([16, 17]))
  t.same(p.feed(Buffer.from('ls\r')), Buffer.from('ls\r'))
  t.same(p.feed(Buffer.from([16])), Buffer.alloc(0), 'the first key is held back')
  t.equal(p.feed(Buffer.from([17])), 'detach')
  t.same(p.feed(Buffer.from([16])), Buffer.alloc(0))
  t.same(p.feed(Buffer.from('x')), Buffer.from([16, 120]), 'a broken sequence is sent on, keys included')
  t.same(p.feed(Buffer.from([16, 17])), Buffer.from([16, 17]), 'pasted (one read), not typed: no detach')
  t.same(p.feed(Buffer.from([16])), Buffer.alloc(0))
  t.same(p.feed(Buffer.from([16])), Buffer.from([16, 16]), '^P ^P: both sent, the sequence starts over')
})

t.test("locale and hints: English by default, Korean hint under Docker's English line", async (t) => {
  t.equal(lang({}), 'en')
  t.equal(lang({ LANG: 'ko_KR.UTF-8' }), 'ko')
  t.equal(lang({ LANG: 'ko_KR.UTF-8', LC_ALL: 'C' }), 'en', 'LC_ALL wins')
  t.equal(lang({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'ko' }), 'ko')
  const h = hintForError(undefined, 'cannot remove container "/ws2": container is running: stop the container before removing or force remove')
  t.same(hintLines(h, 'en'), [], 'a Korean-only hint is not shown in English')
  t.match(hintLines(h, 'ko')[0], /^힌트: 실행 중인 컨테이너는 지울 수 없습니다.*tocker stop ws2/)
  const dns = hintForError('EPULL', 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host')
  t.match(hintLines(dns, 'en')[0], /registry-1\.docker\.io could not be found.*tocker load -i .*registry-mirrors.*daemon\.json/)
  t.match(hintLines(dns, 'ko')[1], /레지스트리 registry-1\.docker\.io/)
  t.equal(hintForError('ENOPKGMGR', 'whatever'), undefined, 'hints with values are rendered by their caller')
  setLang('ko')
  t.equal(tr('help.options'), '옵션:')
  setLang(undefined)
  t.equal(tr('help.options'), 'Options:')
})

t.test('the package manager a command wanted', async (t) => {
  t.equal(wantedPackageManager(['apt', 'update']), 'apt')
  t.equal(wantedPackageManager(['/usr/bin/apt-get', 'install', 'nano']), 'apt-get')
  t.equal(wantedPackageManager(['sh', '-c', 'apt update && apt install nano']), 'apt')
  t.equal(wantedPackageManager(['bash', '-c', 'cd /x; yum install y']), 'yum')
  t.equal(wantedPackageManager(['ls', 'apt']), undefined)
  t.equal(wantedPackageManager(['sh', '-c', 'nosuch']), undefined)
  t.equal(wantedPackageManager([]), undefined)
})

t.test('info and version layout', async (t) => {
  t.equal(bytesSize(4_103_000_000), '3.821GiB')
  t.equal(bytesSize(512), '512B')
  const out = serverInfoText({ Containers: 3, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 2, Images: 2, Driver: 'overlay2', DockerRootDir: '/var/lib/tocker', NCPU: 2, MemTotal: 2 * 1024 ** 3 })
  t.equal(out, 'Server:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 2\n Storage Driver: overlay2\n CPUs: 2\n Total Memory: 2GiB\n Docker Root Dir: /var/lib/tocker\n')
})

t.test('bash completion: a script bash accepts, made from the tables', async (t) => {
  const script = await bashScript(COMMANDS)
  t.match(script, /\['run'\]='[^']*--detach -d[^']*'/)
  t.match(script, /\['container'\]='attach commit cp create diff exec export /)
  const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' })
  t.equal(check.status, 0, check.stderr)
  // Complete "tocker container l" and "tocker run --det" in a real bash.
  const probe = `${script}\nCOMP_WORDS=(tocker container l); COMP_CWORD=2; _tocker; echo "\${COMPREPLY[*]}"\nCOMP_WORDS=(tocker run --det); COMP_CWORD=2; _tocker; echo "\${COMPREPLY[*]}"\n`
  const r = spawnSync('bash', ['-c', probe], { encoding: 'utf8' })
  t.equal(r.stdout, 'logs ls\n--detach --detach-keys\n', r.stderr)
})
