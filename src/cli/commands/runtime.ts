// tocker runtime …: the low-level runtime on its own, on OCI bundles (a directory with config.json
// and a root filesystem), with runc's commands:
//   tocker runtime spec                      write a default config.json (Docker's defaults)
//   tocker runtime create [-b DIR] ID        set the container up; its PID 1 waits at a gate
//   tocker runtime start ID                  release it: the user's program runs
//   tocker runtime state ID                  the runtime spec's state JSON
//   tocker runtime kill ID [SIGNAL]          default SIGTERM, like runc
//   tocker runtime delete [-f] ID            remove it (a running one only with --force)
//   tocker runtime run [-b DIR] [-d] ID      create + start (+ wait + delete); exits with its code
//   tocker runtime exec ID CMD [ARG...]      another process in all its namespaces
//   tocker runtime list                      ID PID STATUS BUNDLE CREATED OWNER
//   (and pause, resume, ps, events, update, features)
//
// These are bin/tocker-runtime's commands (src/runtime-cli/), not a second implementation: each
// subcommand loads that CLI's bundle (dist/bundle/tocker-runtime.cjs, through V8's code cache, see
// bin/bundle-loader.cjs) and runs its command there (src/runtime-cli/tocker-dialect.ts says what
// differs for a person at a shell). This file only names them, in both languages.
//
// runc calls the state directory `--root`; in tocker the global --root is the image store, so
// the runtime's is `--state-root DIR` (env TOCKER_RUNTIME_ROOT, default /run/tocker/runtime),
// accepted before or after the subcommand.
import { TockerError } from '../../errors.js'
import { packagePath } from '../../package-root.js'
import type { Command, CommandEntry, Text } from '../spec.js'
import type * as RuntimeCli from '../../runtime-cli/main.js'
import { DEFAULT_STATE_ROOT } from '../../runtime/state.js'

let loading: Promise<typeof RuntimeCli> | undefined

/** tocker-runtime's bundle (or its compiled tree: TOCKER_NO_BUNDLE=1, or no bundle built). */
function runtimeCli(): Promise<typeof RuntimeCli> {
  return (loading ??= (async () => {
    const { createRequire } = await import('node:module')
    const loader = createRequire(import.meta.url)(packagePath('bin', 'bundle-loader.cjs')) as { load(name: string, treeEntry: string): Promise<{ exports: typeof RuntimeCli; ran(): void }> }
    const { exports, ran } = await loader.load('tocker-runtime', 'runtime-cli/main.js')
    process.once('beforeExit', ran)
    return exports
  })())
}

/** The subcommand `name`: tocker-runtime's table for tocker's parser, and its run. */
async function subcommand(name: string): Promise<Command> {
  const cli = await runtimeCli()
  const cmd = cli.tockerRuntimeCommand(name)
  if (!cmd) throw new TockerError(`tocker-runtime has no command ${JSON.stringify(name)}`, { code: 'EINTERNAL', internal: true })
  return {
    ...cmd,
    needsRoot: !['spec', 'features'].includes(name),
    run: ({ opts, args, g }) => cli.runAsTocker(name, opts, args, { stateRoot: opts['state-root'], debug: g.debug }),
  }
}

const sub = (name: string, summary: Text, aliases?: string[]): CommandEntry => ({ name, aliases, summary, load: () => subcommand(name) })

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
    sub('create', { en: 'Create a container (its process waits for start)', ko: '컨테이너를 만듭니다 (프로세스는 start를 기다립니다)' }),
    sub('delete', { en: 'Delete a container and everything the runtime made for it', ko: '컨테이너와 런타임이 만든 모든 것을 지웁니다' }),
    sub('events', { en: "Show the container's resource usage (--stats) or follow it", ko: '컨테이너의 자원 사용량을 보여 줍니다 (--stats) 또는 계속 따라갑니다' }),
    sub('exec', { en: 'Run another process inside a running container', ko: '실행 중인 컨테이너 안에서 프로세스를 하나 더 실행합니다' }),
    sub('features', { en: 'Show what this runtime supports (JSON)', ko: '이 런타임이 지원하는 기능을 보여 줍니다 (JSON)' }),
    sub('kill', { en: "Send a signal (default SIGTERM) to the container's process", ko: '컨테이너의 프로세스에 시그널을 보냅니다 (기본 SIGTERM)' }),
    sub('list', { en: 'List containers', ko: '컨테이너 목록을 보여 줍니다' }, ['ls']),
    sub('pause', { en: "Freeze every process of the container (cgroup v2's freezer)", ko: '컨테이너의 모든 프로세스를 얼립니다 (cgroup v2 freezer)' }),
    sub('ps', { en: "List the container's processes", ko: '컨테이너의 프로세스 목록을 보여 줍니다' }),
    sub('resume', { en: 'Thaw a paused container', ko: '멈춘 컨테이너를 다시 움직입니다' }),
    sub('run', { en: 'Create and start a container, wait for it and delete it; exit with its exit code', ko: '컨테이너를 만들고 시작해서 끝날 때까지 기다린 뒤 지웁니다' }),
    sub('spec', { en: "Create a new config.json (runc spec, with Docker's defaults)", ko: '새 config.json을 만듭니다 (Docker의 기본값)' }),
    sub('start', { en: 'Start a created container', ko: '만들어 둔 컨테이너를 시작합니다' }),
    sub('state', { en: 'Output the state of a container', ko: '컨테이너의 상태를 출력합니다' }),
    sub('update', { en: "Change a running container's resource limits", ko: '실행 중인 컨테이너의 자원 제한을 바꿉니다' }),
  ],
}
