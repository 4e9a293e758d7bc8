// Every command of the CLI: its name, its one-line summary (English and Korean) and where the rest
// of it lives (src/cli/commands/<name>.ts, loaded only when it runs or shows its help). Root help,
// "did you mean" and completion read this list; nothing else lists the commands.
import type { Command, CommandEntry, Text } from '../spec.js'

type Load = () => Promise<Command>

function entry(name: string, summary: Text, load: Load, more: Partial<CommandEntry> = {}): CommandEntry {
  return { name, summary, load, ...more }
}

const S = {
  attach: { en: 'Attach local standard input, output, and error streams to a running container', ko: '실행 중인 컨테이너에 이 터미널의 표준 입력, 출력, 오류를 연결합니다' },
  create: { en: 'Create a new container', ko: '새 컨테이너를 만듭니다 (시작하지는 않습니다)' },
  exec: { en: 'Execute a command in a running container', ko: '실행 중인 컨테이너 안에서 명령을 실행합니다' },
  inspect: { en: 'Return low-level information on tocker objects', ko: '컨테이너나 이미지의 자세한 정보를 JSON으로 보여 줍니다' },
  containerInspect: { en: 'Display detailed information on one or more containers', ko: '컨테이너의 자세한 정보를 JSON으로 보여 줍니다' },
  imageInspect: { en: 'Display detailed information on one or more images', ko: '이미지의 자세한 정보를 JSON으로 보여 줍니다' },
  kill: { en: 'Kill one or more running containers', ko: '실행 중인 컨테이너에 시그널을 보내 강제로 멈춥니다' },
  logs: { en: 'Fetch the logs of a container', ko: '컨테이너의 로그(출력)를 보여 줍니다' },
  ps: { en: 'List containers', ko: '컨테이너 목록을 보여 줍니다' },
  port: { en: 'List port mappings or a specific mapping for the container', ko: '컨테이너의 포트포워딩 목록을 보여 줍니다' },
  rename: { en: 'Rename a container', ko: '컨테이너의 이름을 바꿉니다' },
  restart: { en: 'Restart one or more containers', ko: '컨테이너를 다시 시작합니다' },
  rm: { en: 'Remove one or more containers', ko: '컨테이너를 삭제합니다 (쓰기 레이어도 함께 지워집니다)' },
  run: { en: 'Create and run a new container from an image', ko: '이미지로 새 컨테이너를 만들고 실행합니다' },
  start: { en: 'Start one or more stopped containers', ko: '멈춘 컨테이너를 다시 시작합니다' },
  stop: { en: 'Stop one or more running containers', ko: '실행 중인 컨테이너를 멈춥니다' },
  top: { en: 'Display the running processes of a container', ko: '컨테이너 안에서 실행 중인 프로세스를 보여 줍니다' },
  wait: { en: 'Block until one or more containers stop, then print their exit codes', ko: '컨테이너가 멈출 때까지 기다린 뒤 종료 코드를 출력합니다' },
  images: { en: 'List images', ko: '이미지 목록을 보여 줍니다' },
  load: { en: 'Load an image from a tar archive or STDIN', ko: 'tar 아카이브(또는 표준 입력)에서 이미지를 불러옵니다' },
  pull: { en: 'Download an image from a registry', ko: '레지스트리에서 이미지를 내려받습니다' },
  rmi: { en: 'Remove one or more images', ko: '이미지를 삭제합니다' },
  save: { en: 'Save one or more images to a tar archive (streamed to STDOUT by default)', ko: '이미지를 tar 아카이브로 저장합니다 (기본은 표준 출력)' },
  tag: { en: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', ko: 'SOURCE_IMAGE를 가리키는 새 이름(태그) TARGET_IMAGE를 만듭니다' },
  info: { en: 'Display system-wide information', ko: '시스템 전체 정보를 보여 줍니다' },
  history: { en: 'Show the history of an image', ko: '이미지가 어떻게 만들어졌는지(레이어별 단계) 보여 줍니다' },
  imagePrune: { en: 'Remove unused images', ko: '쓰이지 않는 이미지를 지웁니다' },
  containerPrune: { en: 'Remove all stopped containers', ko: '멈춘 컨테이너를 모두 지웁니다' },
  df: { en: 'Show tocker disk usage', ko: '이미지와 컨테이너가 차지하는 디스크 공간을 보여 줍니다' },
  volume: { en: 'Manage volumes', ko: '볼륨을 관리합니다' },
  volumeCreate: { en: 'Create a volume', ko: '볼륨을 만듭니다 (컨테이너를 지워도 남는 데이터 저장소)' },
  volumeInspect: { en: 'Display detailed information on one or more volumes', ko: '볼륨의 자세한 정보를 JSON으로 보여 줍니다 (실제 위치 Mountpoint 포함)' },
  volumeLs: { en: 'List volumes', ko: '볼륨 목록을 보여 줍니다' },
  volumePrune: { en: 'Remove unused local volumes', ko: '쓰이지 않는 볼륨을 지웁니다 (기본은 익명 볼륨만)' },
  volumeRm: { en: 'Remove one or more volumes', ko: '볼륨을 삭제합니다 (쓰는 컨테이너가 있으면 거부)' },
  kernel: { en: 'Show what the kernel holds for a running container (namespaces, mounts, cgroup, network, capabilities)', ko: '실행 중인 컨테이너를 커널에서 본 모습을 보여 줍니다 (네임스페이스, 마운트, cgroup, 네트워크, 권한)' },
  build: { en: 'Build an image from a Dockerfile', ko: 'Dockerfile로 이미지를 빌드합니다' },
} satisfies Record<string, Text>

const load = {
  attach: () => import('./attach.js').then((m) => m.attach),
  create: () => import('./create.js').then((m) => m.create),
  exec: () => import('./exec.js').then((m) => m.exec),
  inspect: () => import('./inspect.js').then((m) => m.inspect),
  containerInspect: () => import('./inspect.js').then((m) => m.containerInspect),
  kill: () => import('./kill.js').then((m) => m.kill),
  logs: () => import('./logs.js').then((m) => m.logs),
  ps: () => import('./ps.js').then((m) => m.ps),
  port: () => import('./port.js').then((m) => m.port),
  rename: () => import('./rename.js').then((m) => m.rename),
  restart: () => import('./restart.js').then((m) => m.restart),
  rm: () => import('./rm.js').then((m) => m.rm),
  run: () => import('./run.js').then((m) => m.run),
  start: () => import('./start.js').then((m) => m.start),
  stop: () => import('./stop.js').then((m) => m.stop),
  top: () => import('./top.js').then((m) => m.top),
  wait: () => import('./wait.js').then((m) => m.wait),
  images: () => import('./images.js').then((m) => m.images),
  imageInspect: () => import('./image-inspect.js').then((m) => m.imageInspect),
  load: () => import('./load.js').then((m) => m.load),
  pull: () => import('./pull.js').then((m) => m.pull),
  rmi: () => import('./rmi.js').then((m) => m.rmi),
  save: () => import('./save.js').then((m) => m.save),
  tag: () => import('./tag.js').then((m) => m.tag),
  info: () => import('./info.js').then((m) => m.info),
  history: () => import('./history.js').then((m) => m.history),
  imagePrune: () => import('./prune.js').then((m) => m.imagePrune),
  containerPrune: () => import('./prune.js').then((m) => m.containerPrune),
  df: () => import('./system-df.js').then((m) => m.systemDf),
  volumeCreate: () => import('./volume.js').then((m) => m.volumeCreate),
  volumeInspect: () => import('./volume.js').then((m) => m.volumeInspect),
  volumeLs: () => import('./volume.js').then((m) => m.volumeLs),
  volumePrune: () => import('./volume.js').then((m) => m.volumePrune),
  volumeRm: () => import('./volume.js').then((m) => m.volumeRm),
  kernel: () => import('./kernel.js').then((m) => m.kernel),
  build: () => import('./build.js').then((m) => m.build),
} satisfies Record<string, Load>

const CONTAINER_COMMANDS: CommandEntry[] = [
  entry('attach', S.attach, load.attach),
  entry('create', S.create, load.create),
  entry('exec', S.exec, load.exec),
  entry('inspect', S.containerInspect, load.containerInspect),
  entry('kernel', S.kernel, load.kernel),
  entry('kill', S.kill, load.kill),
  entry('logs', S.logs, load.logs),
  entry('ls', S.ps, load.ps, { aliases: ['ps', 'list'] }),
  entry('prune', S.containerPrune, load.containerPrune),
  entry('port', S.port, load.port),
  entry('rename', S.rename, load.rename),
  entry('restart', S.restart, load.restart),
  entry('rm', S.rm, load.rm, { aliases: ['remove'] }),
  entry('run', S.run, load.run),
  entry('start', S.start, load.start),
  entry('stop', S.stop, load.stop),
  entry('top', S.top, load.top),
  entry('wait', S.wait, load.wait),
]

const IMAGE_COMMANDS: CommandEntry[] = [
  entry('build', S.build, load.build),
  entry('history', S.history, load.history),
  entry('inspect', S.imageInspect, load.imageInspect),
  entry('load', S.load, load.load),
  entry('ls', S.images, load.images, { aliases: ['list'] }),
  entry('prune', S.imagePrune, load.imagePrune),
  entry('pull', S.pull, load.pull),
  entry('rm', S.rmi, load.rmi, { aliases: ['remove', 'rmi'] }),
  entry('save', S.save, load.save),
  entry('tag', S.tag, load.tag),
]

const VOLUME_COMMANDS: CommandEntry[] = [
  entry('create', S.volumeCreate, load.volumeCreate),
  entry('inspect', S.volumeInspect, load.volumeInspect),
  entry('ls', S.volumeLs, load.volumeLs, { aliases: ['list'] }),
  entry('prune', S.volumePrune, load.volumePrune),
  entry('rm', S.volumeRm, load.volumeRm, { aliases: ['remove'] }),
]

const SYSTEM_COMMANDS: CommandEntry[] = [entry('df', S.df, load.df), entry('info', S.info, load.info)]

function group(options: Command['options'], subcommands: CommandEntry[]): Load {
  return async () => ({ usage: 'COMMAND', options, subcommands })
}

export const COMMANDS: CommandEntry[] = [
  entry('run', S.run, load.run, { category: 'common' }),
  entry('exec', S.exec, load.exec, { category: 'common' }),
  entry('ps', S.ps, load.ps, { category: 'common' }),
  entry('build', S.build, load.build, { category: 'common' }),
  entry('pull', S.pull, load.pull, { category: 'common' }),
  entry('images', S.images, load.images, { category: 'common' }),
  entry('login', { en: 'Authenticate to a registry', ko: '레지스트리에 로그인합니다' }, () => import('./login.js').then((m) => m.login), { category: 'common' }),
  entry('logout', { en: 'Log out from a registry', ko: '레지스트리에서 로그아웃합니다' }, () => import('./logout.js').then((m) => m.logout), { category: 'common' }),
  entry('version', { en: 'Show the tocker version information', ko: 'tocker의 버전 정보를 보여 줍니다' }, () => import('./version.js').then((m) => m.version), { category: 'common' }),
  entry('info', S.info, load.info, { category: 'common' }),

  entry('container', { en: 'Manage containers', ko: '컨테이너를 관리합니다' }, group([], CONTAINER_COMMANDS), { category: 'management' }),
  entry('image', { en: 'Manage images', ko: '이미지를 관리합니다' }, group([], IMAGE_COMMANDS), { category: 'management' }),
  entry('system', { en: 'Manage tocker', ko: 'tocker를 관리합니다' }, group([], SYSTEM_COMMANDS), { category: 'management' }),
  entry('volume', S.volume, group([], VOLUME_COMMANDS), { category: 'management' }),
  entry('runtime', { en: "Run OCI bundles with the low-level runtime (runc's commands)", ko: '저수준 런타임으로 OCI 번들을 실행합니다 (runc의 명령)' }, () => import('./runtime.js').then((m) => m.runtime), {
    category: 'management',
  }),

  entry('attach', S.attach, load.attach),
  entry('completion', { en: 'Generate the autocompletion script for the specified shell', ko: '셸 자동 완성 스크립트를 만듭니다' }, () => import('./completion.js').then((m) => m.completionCommand(COMMANDS))),
  entry('create', S.create, load.create),
  entry('daemon', { en: 'Run the tocker engine in the foreground', ko: 'tocker 엔진을 포그라운드에서 실행합니다' }, () => import('./daemon.js').then((m) => m.daemon)),
  entry('dashboard', { en: 'Show images and containers in a browser, with an x-ray of their kernel side', ko: '이미지와 컨테이너를 브라우저에서 보여 줍니다 (커널 쪽 엑스레이 포함)' }, () => import('./dashboard.js').then((m) => m.dashboard)),
  entry('history', S.history, load.history),
  entry('inspect', S.inspect, load.inspect),
  entry('kernel', S.kernel, load.kernel),
  entry('kill', S.kill, load.kill),
  entry('load', S.load, load.load),
  entry('logs', S.logs, load.logs),
  entry('port', S.port, load.port),
  entry('rename', S.rename, load.rename),
  entry('restart', S.restart, load.restart),
  entry('rm', S.rm, load.rm),
  entry('rmi', S.rmi, load.rmi),
  entry('save', S.save, load.save),
  entry('start', S.start, load.start),
  entry('stop', S.stop, load.stop),
  entry('tag', S.tag, load.tag),
  entry('top', S.top, load.top),
  entry('wait', S.wait, load.wait),
]
