// The real CLI binary's usage errors, exit codes and help, side by side with Docker 28's CLI (the
// `docker` client binary; no daemon is needed for these): the same words with "tocker" for
// "docker", the same exit codes. Also Korean help and hints with a Korean locale.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { TOCKER_BIN } from '../../helpers/paths.js'

const BIN = TOCKER_BIN
// tap's process-info hook adds its loaders to NODE_OPTIONS of every child: not for bin/tocker.
const baseEnv = { ...process.env, NODE_OPTIONS: '', TOCKER_NO_AUTOSTART: '1', LANG: 'C', LC_ALL: '', LC_MESSAGES: '', COLUMNS: '' }

function tocker(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...baseEnv, ...env }, input: '' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const dockerBin = spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0

function docker(args: string[]) {
  // A host nobody listens on: usage errors come before any connection.
  const r = spawnSync('docker', ['-H', 'unix:///nonexistent/docker.sock', ...args], { encoding: 'utf8', input: '' })
  return { code: r.status, stdout: r.stdout.replace(/docker/g, 'tocker'), stderr: r.stderr.replace(/docker/g, 'tocker') }
}

// Usage errors Docker 28 prints, exactly (recorded from its binary).
const EXPECTED: [string[], number, string][] = [
  [['run'], 1, "tocker: 'tocker run' requires at least 1 argument\n\nUsage:  tocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'tocker run --help' for more information\n"],
  [['run', '--foo', 'busybox'], 125, "unknown flag: --foo\n\nUsage:  tocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'tocker run --help' for more information\n"],
  [['run', '-x', 'busybox'], 125, "unknown shorthand flag: 'x' in -x\n\nUsage:  tocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'tocker run --help' for more information\n"],
  [['run', '--memory'], 125, "flag needs an argument: --memory\n\nUsage:  tocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'tocker run --help' for more information\n"],
  [['exec', 'c'], 1, "tocker: 'tocker exec' requires at least 2 arguments\n\nUsage:  tocker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nSee 'tocker exec --help' for more information\n"],
  [['ps', 'x'], 1, "tocker: 'tocker ps' accepts no arguments\n\nUsage:  tocker ps [OPTIONS]\n\nRun 'tocker ps --help' for more information\n"],
  [['ps', '-n', 'abc'], 125, 'invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax\n\nUsage:  tocker ps [OPTIONS]\n\nRun \'tocker ps --help\' for more information\n'],
  [['logs'], 1, "tocker: 'tocker logs' requires 1 argument\n\nUsage:  tocker logs [OPTIONS] CONTAINER\n\nRun 'tocker logs --help' for more information\n"],
  [['port', 'a', 'b', 'c'], 1, "tocker: 'tocker port' requires at least 1 and at most 2 arguments\n\nUsage:  tocker port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nRun 'tocker port --help' for more information\n"],
  [['container', 'ls', 'x'], 1, "tocker: 'tocker container ls' accepts no arguments\n\nUsage:  tocker container ls [OPTIONS]\n\nRun 'tocker container ls --help' for more information\n"],
  [['psx'], 1, "tocker: unknown command: tocker psx\n\nDid you mean this?\n\tps\n\nRun 'tocker --help' for more information\n"],
  [['image', 'lss'], 1, "tocker: unknown command: tocker image lss\n\nDid you mean this?\n\tls\n\nUsage:  tocker image\n\nRun 'tocker image --help' for more information\n"],
]

t.test("usage errors: Docker 28's words and exit codes", async (t) => {
  for (const [args, code, stderr] of EXPECTED) {
    const r = tocker(args)
    t.same([r.code, r.stderr, r.stdout], [code, stderr, ''], `tocker ${args.join(' ')}`)
  }
})

t.test('the same as the docker binary prints (with "tocker" for "docker")', { skip: !dockerBin && 'no docker CLI binary here' }, async (t) => {
  const cases = [
    ['run'],
    ['run', '--foo', 'busybox'],
    ['run', '-x', 'busybox'],
    ['run', '-e'],
    ['run', '--rm=maybe', 'busybox'],
    ['run', '--cpus', 'abc', 'busybox'],
    ['create'],
    ['exec', 'c'],
    ['ps', 'x'],
    ['ps', '--foo'],
    ['ps', '-n'],
    ['logs'],
    ['rm'],
    ['rmi'],
    ['stop'],
    ['start'],
    ['kill'],
    ['wait'],
    ['top'],
    ['attach'],
    ['pull'],
    ['tag', 'a'],
    ['rename', 'a'],
    ['port'],
    ['load', 'x'],
    ['save'],
    ['inspect'],
    ['version', 'x'],
    ['info', 'x'],
    ['version', '--foo'],
    ['container', 'ls', 'x'],
  ]
  for (const args of cases) {
    const d = docker(args)
    const r = tocker(args)
    t.same([r.code, r.stderr], [d.code, d.stderr], `tocker ${args.join(' ')} as docker`)
  }
  // Help: the same layout, flag column and wrapping.
  for (const args of [['ps', '--help'], ['version', '--help'], ['info', '--help']]) {
    const d = docker(args).stdout.replace('docs.tocker.com', 'docs.docker.com').replace(/Docker/g, 'tocker')
    t.equal(tocker(args).stdout, d, `tocker ${args.join(' ')} as docker`)
  }
})

t.test('help: root, commands, groups; --help anywhere before the image; -v', async (t) => {
  const root = tocker([])
  t.equal(root.code, 0)
  t.match(root.stdout, /^Usage: {2}tocker \[OPTIONS\] COMMAND\n/)
  t.match(root.stdout, /\nCommon Commands:\n {2}run {9}Create and run a new container from an image\n/)
  t.match(root.stdout, /\nGlobal Options:\n.*--explain string\[="phases"\]/s)
  t.equal(tocker(['--help']).stdout, root.stdout)
  t.equal(tocker(['help']).stdout, root.stdout)
  const run = tocker(['run', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^Usage: {2}tocker run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nCreate and run a new container from an image\n/)
  t.match(run.stdout, /\n {2}-h, --hostname string {6}Container host name\n/)
  t.equal(tocker(['help', 'run']).stdout, run.stdout)
  t.equal(tocker(['run', '-d', '--help', 'busybox']).stdout, run.stdout)
  t.equal(tocker(['--help', 'run']).stdout, run.stdout)
  const group = tocker(['container'])
  t.match(group.stdout, /^Usage: {2}tocker container COMMAND\n\nManage containers\n\nCommands:\n {2}attach /)
  t.match(group.stdout, /\nRun 'tocker container COMMAND --help' for more information on a command\.\n$/)
  t.match(tocker(['image', 'ls', '--help']).stdout, /^Usage: {2}tocker image ls \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n/)
  t.match(tocker(['runtime', 'exec', '--help']).stdout, /^Usage: {2}tocker runtime exec \[OPTIONS\] <container-id> <command> /)
  t.match(tocker(['-v']).stdout, /^tocker version \d+\.\d+\.\d+\n$/)
  t.same(tocker(['help', 'nope']), { code: 1, stdout: '', stderr: 'unknown help topic: nope\n' })
})

t.test('global options before or after the command; --explain takes only "=value"', async (t) => {
  // No engine answers on this root: the error comes after parsing, so the options were accepted.
  const root = '/nonexistent/tocker-root'
  for (
    const args of [
      ['--explain', 'ps'],
      ['ps', '--explain'],
      ['ps', '--explain=full'],
      ['ps', '-D'],
      ['exec', '--explain', 'c', 'true'],
      ['run', '--explain', '-H', `unix://${root}/x.sock`, '--rm', 'busybox', 'true'],
    ]
  ) {
    const r = tocker(['--root', root, ...args])
    t.match(r.stderr, /Cannot connect to the tocker engine/, `tocker ${args.join(' ')}: parsed, then the engine is asked`)
    t.notMatch(r.stderr, /unknown flag/)
  }
  // --step after the command is parsed too; without a terminal it is refused before the engine is asked.
  const step = tocker(['--root', root, 'ps', '--explain=full', '--step'])
  t.not(step.code, 0)
  t.match(step.stderr, /the input device is not a TTY: --step waits for Enter/)
  t.notMatch(step.stderr, /unknown flag/)
  const bad = tocker(['ps', '--explain=bogus'])
  t.equal(bad.code, 125)
  t.match(bad.stderr, /^invalid argument "bogus" for "--explain" flag: must be "phases" or "full"\n/)
})

t.test("Korean: help and hints in Korean, Docker's English line first", async (t) => {
  const ko = { LANG: 'ko_KR.UTF-8' }
  const help = tocker(['run', '--help'], ko)
  t.match(help.stdout, /^사용법: {2}tocker run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\n이미지로 새 컨테이너를 만들고 실행합니다\n/)
  t.match(help.stdout, /-p, --publish list +컨테이너의 포트를 호스트에 공개합니다\n +\(포트포워딩/)
  t.match(help.stdout, /--sig-proxy +받은 시그널을 컨테이너의 프로세스에\n +전달합니다 \(기본값 true\)\n/)
  for (const cmd of ['pull', 'images', 'run', 'ps', 'stop', 'start', 'logs', 'exec', 'rm', 'rmi', 'version', 'info']) {
    t.match(tocker([cmd, '--help'], ko).stdout.split('\n')[2], /[가-힣]/, `${cmd}: Korean summary`)
  }
  t.match(tocker(['--help'], ko).stdout, /\n {2}ps {10}컨테이너 목록을 보여 줍니다\n/)
  const err = tocker(['run'], ko)
  t.equal(err.code, 1)
  const lines = err.stderr.split('\n')
  t.equal(lines[0], "tocker: 'tocker run' requires at least 1 argument", "Docker's English line first")
  t.match(err.stderr, /\n힌트: 인자의 개수가 맞지 않습니다/)
  t.notMatch(tocker(['run']).stderr, /힌트/, 'English by default')
  const down = tocker(['--root', '/nonexistent/tocker-root', 'ps'], { LC_ALL: 'ko_KR.UTF-8' })
  t.match(down.stderr, /^Cannot connect to the tocker engine at unix:\/\/\/nonexistent\/tocker-root\/tocker\.sock\. Is the tocker engine running\?\n/)
  t.match(down.stderr, /\n힌트: tocker 엔진\(tockerd\)이 실행 중이 아닙니다/)
})

t.test('run -it without a terminal is refused as Docker does, before anything is made', async (t) => {
  const r = tocker(['--root', '/nonexistent/tocker-root', 'run', '-it', 'busybox', 'sh'])
  t.same([r.code, r.stderr], [1, 'the input device is not a TTY\n'])
  if (dockerBin) t.same([r.code, r.stderr], [docker(['run', '-it', 'busybox', 'sh']).code, docker(['run', '-it', 'busybox', 'sh']).stderr])
  t.same(tocker(['--root', '/nonexistent/tocker-root', 'exec', '-it', 'c', 'sh']), { code: 1, stdout: '', stderr: 'the input device is not a TTY\n' })
})
