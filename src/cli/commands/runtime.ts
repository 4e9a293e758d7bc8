// tocker runtime …: the low-level runtime on its own, with runc's commands and semantics, on OCI
// bundles (a directory with config.json and a root filesystem):
//   tocker runtime spec                      write a default config.json (Docker's defaults)
//   tocker runtime create [-b DIR] ID        set the container up; its PID 1 waits at a gate
//   tocker runtime start ID                  release it: the user's program runs
//   tocker runtime state ID                  the runtime spec's state JSON
//   tocker runtime kill ID [SIGNAL]          default SIGTERM, like runc
//   tocker runtime delete [-f] ID            remove it (a running one only with --force)
//   tocker runtime run [-b DIR] [-d] ID      create + start (+ wait + delete); exits with its code
//   tocker runtime exec ID CMD [ARG...]      another process in all its namespaces
//   tocker runtime list                      ID PID STATUS BUNDLE CREATED OWNER
//
// runc calls the state directory `--root`; in tocker the global --root is the image store, so
// the runtime's is `--state-root DIR` (env TOCKER_RUNTIME_ROOT, default /run/tocker/runtime),
// accepted before or after the subcommand.
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { TockerError } from '../../errors.js'
import type { Command, CommandEntry, OptionDef } from '../spec.js'
import { DEFAULT_STATE_ROOT } from '../../runtime/state.js'
import { forwardSignals } from '../../sys/signals.js'
import { table } from '../output.js'

const lib = () => import('../../runtime/index.js')

function stateRoot(a: Record<string, any>): string {
  return String(a['state-root'] ?? process.env.TOCKER_RUNTIME_ROOT ?? DEFAULT_STATE_ROOT)
}

const BUNDLE: OptionDef = { name: 'bundle', short: 'b', type: 'string', default: '.', description: { en: 'Path to the bundle directory (config.json and the root filesystem)', ko: '번들 디렉터리 (config.json과 루트 파일시스템)' } }
const PID_FILE: OptionDef = { name: 'pid-file', type: 'string', description: { en: 'Write the PID of the container process to this file', ko: '컨테이너 프로세스의 PID를 이 파일에 씁니다' } }

function writePidFile(file: string | undefined, pid: number): void {
  if (file) writeFileSync(file, String(pid))
}

const spec: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  needsRoot: false,
  options: [{ ...BUNDLE, description: { en: 'Where to write config.json', ko: 'config.json을 쓸 디렉터리' } }],
  async run({ opts: a }) {
    const { defaultSpec } = await lib()
    const file = resolve(a.bundle, 'config.json')
    if (existsSync(file)) throw new TockerError('File config.json exists. Remove it first', { code: 'EEXIST' })
    writeFileSync(file, JSON.stringify(defaultSpec(), null, 2) + '\n')
  },
}

const create: Command = {
  usage: '[OPTIONS] CONTAINER_ID',
  args: { min: 1, max: 1 },
  options: [BUNDLE, PID_FILE],
  async run({ opts: a, args }) {
    const { createContainer } = await lib()
    const c = await createContainer({ id: args[0], bundle: a.bundle, stateRoot: stateRoot(a) })
    writePidFile(a['pid-file'], c.pid)
    c.detach()
  },
}

const start: Command = {
  usage: 'CONTAINER_ID',
  args: { min: 1, max: 1 },
  options: [],
  async run({ opts: a, args }) {
    const { startContainer } = await lib()
    await startContainer(args[0], { stateRoot: stateRoot(a) })
  },
}

const state: Command = {
  usage: 'CONTAINER_ID',
  args: { min: 1, max: 1 },
  options: [],
  async run({ opts: a, args }) {
    const { containerState } = await lib()
    process.stdout.write(JSON.stringify(containerState(args[0], { stateRoot: stateRoot(a) }), null, 2) + '\n')
  },
}

const kill: Command = {
  usage: '[OPTIONS] CONTAINER_ID [SIGNAL]',
  args: { min: 1, max: 2 },
  options: [{ name: 'all', short: 'a', type: 'bool', description: { en: 'Send the signal to all processes in the container', ko: '컨테이너의 모든 프로세스에 시그널을 보냅니다' } }],
  async run({ opts: a, args }) {
    const { killContainer, parseSignal } = await lib()
    killContainer(args[0], parseSignal(args[1] ?? 'SIGTERM'), { stateRoot: stateRoot(a), all: !!a.all })
  },
}

const del: Command = {
  usage: '[OPTIONS] CONTAINER_ID',
  args: { min: 1, max: 1 },
  options: [{ name: 'force', short: 'f', type: 'bool', description: { en: 'Forcibly delete the container if it is still running (uses SIGKILL)', ko: '실행 중이면 먼저 SIGKILL로 멈춥니다' } }],
  async run({ opts: a, args }) {
    const { deleteContainer } = await lib()
    await deleteContainer(args[0], { stateRoot: stateRoot(a), force: !!a.force })
  },
}

const run: Command = {
  usage: '[OPTIONS] CONTAINER_ID',
  args: { min: 1, max: 1 },
  errorExitCode: 125,
  options: [BUNDLE, { name: 'detach', short: 'd', type: 'bool', description: { en: "Detach from the container's process", ko: '기다리지 않고 컨테이너를 실행 중인 채로 둡니다' } }, PID_FILE],
  async run({ opts: a, args }) {
    const id = args[0]
    const { createContainer, deleteContainer } = await lib()
    const opts = { stateRoot: stateRoot(a) }
    const c = await createContainer({ id, bundle: a.bundle, ...opts })
    try {
      await c.start()
    } catch (err) {
      await deleteContainer(id, { ...opts, force: true })
      throw err
    }
    writePidFile(a['pid-file'], c.pid)
    if (a.detach) {
      c.detach()
      return 0
    }
    const stop = forwardSignals(c.pid, FORWARDED)
    try {
      return await c.wait()
    } finally {
      stop()
      await deleteContainer(id, { ...opts, force: true })
    }
  },
}

/** runc's exec: options, the id, then the process's argv untouched (`exec ID sh -c 'ls -l'`). */
const exec: Command = {
  usage: '[OPTIONS] CONTAINER_ID COMMAND [ARG...]',
  args: { min: 2 },
  interspersed: false,
  errorExitCode: 125,
  options: [
    { name: 'cwd', type: 'string', description: { en: 'Current working directory in the container', ko: '컨테이너 안의 작업 디렉터리' } },
    { name: 'detach', short: 'd', type: 'bool', description: { en: "Detach from the container's process", ko: '프로세스를 기다리지 않습니다' } },
    { name: 'env', short: 'e', type: 'list', description: { en: 'Set environment variables', ko: '환경 변수를 설정합니다 (이름=값)' } },
    { name: 'user', short: 'u', type: 'string', description: { en: 'UID (format: <uid>[:<gid>])', ko: 'UID (형식: <uid>[:<gid>])' } },
  ],
  async run({ opts: o, args }) {
    const { execProcess } = await lib()
    const [id, ...command] = args
    const p = await execProcess(id, { stateRoot: stateRoot(o), args: command, env: o.env, cwd: o.cwd, user: o.user })
    if (o.detach) {
      p.detach()
      return 0
    }
    const stop = forwardSignals(p.pid, FORWARDED)
    try {
      return await p.wait()
    } finally {
      stop()
    }
  },
}

const list: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [
    { name: 'format', short: 'f', type: 'string', default: 'table', description: { en: 'Select one of: table or json', ko: 'table 또는 json' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Display only container IDs', ko: '컨테이너 ID만 출력합니다' } },
  ],
  async run({ opts: a }) {
    if (a.format !== 'table' && a.format !== 'json') throw new TockerError(`invalid format option: ${a.format}`, { code: 'EINVALID' })
    const { listContainers } = await lib()
    const all = listContainers({ stateRoot: stateRoot(a) })
    if (a.quiet) process.stdout.write(all.map((s) => s.id + '\n').join(''))
    else if (a.format === 'json') process.stdout.write(JSON.stringify(all) + '\n')
    else process.stdout.write(table(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])))
  },
}

/** In the foreground, ^C and friends go to the container's process (we are its caller, not its parent). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

const sub = (name: string, en: string, ko: string, cmd: Command, aliases?: string[]): CommandEntry => ({ name, aliases, summary: { en, ko }, load: async () => cmd })

/**
 * runc's flags, in runc's table (colleagues reshaping the runtime's CLI, issue 13, change it
 * here); the same parser as every other command. `--state-root` is accepted before or after the
 * subcommand.
 */
export const runtime: Command = {
  usage: 'COMMAND',
  options: [
    {
      name: 'state-root',
      type: 'string',
      description: {
        en: `Directory for the containers' state (runc's --root; env TOCKER_RUNTIME_ROOT) (default "${DEFAULT_STATE_ROOT}")`,
        ko: `컨테이너 상태 디렉터리 (runc의 --root, 환경 변수 TOCKER_RUNTIME_ROOT, 기본값 "${DEFAULT_STATE_ROOT}")`,
      },
    },
  ],
  subcommands: [
    sub('create', 'Create a container (its process waits for start)', '컨테이너를 만듭니다 (프로세스는 start를 기다립니다)', create),
    sub('delete', 'Delete a container and everything the runtime made for it', '컨테이너와 런타임이 만든 모든 것을 지웁니다', del),
    sub('exec', 'Run another process inside a running container', '실행 중인 컨테이너 안에서 프로세스를 하나 더 실행합니다', exec),
    sub('kill', "Send a signal (default SIGTERM) to the container's process", '컨테이너의 프로세스에 시그널을 보냅니다 (기본 SIGTERM)', kill),
    sub('list', 'List containers', '컨테이너 목록을 보여 줍니다', list, ['ls']),
    sub('run', 'Create and start a container, wait for it and delete it; exit with its exit code', '컨테이너를 만들고 시작해서 끝날 때까지 기다린 뒤 지웁니다', run),
    sub('spec', "Create a new config.json (runc spec, with Docker's defaults)", '새 config.json을 만듭니다 (Docker의 기본값)', spec),
    sub('start', 'Start a created container', '만들어 둔 컨테이너를 시작합니다', start),
    sub('state', 'Output the state of a container', '컨테이너의 상태를 출력합니다', state),
  ],
}
