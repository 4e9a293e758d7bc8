// Every command of the CLI: its name, its one-line summary (English and Korean) and where the rest
// of it lives (src/cli/commands/<name>.ts, loaded only when it runs or shows its help). Root help,
// "did you mean" and completion read this list; nothing else lists the commands.
//
// Every command's start makes this table (main.ts looks its word up here), so it is made of what
// that needs: each entry is a name, a key and its place in the help; the summaries are made when
// help reads one (summaries()) and a command's module is named in one switch (loadCommand). Made of
// ~60 object literals of summaries, an object of ~50 closures and an entry() object each (spread),
// the table cost every command ~0.9 M instructions at its start and ~20 KB of its code cache
// (callgrind; V8's --serialization-statistics).
import type { Command, CommandEntry, Text } from '../spec.js'

/** A command's key: its summary's name, and its module's in loadCommand (the compiler checks both). */
type Key = keyof ReturnType<typeof summaryTable>

/** One command's entry: the summary (a getter) and the module (load) looked up by its key. */
class Entry implements CommandEntry {
  constructor(
    readonly name: string,
    private readonly key: Key,
    readonly category?: CommandEntry['category'],
    readonly aliases?: string[],
  ) {}

  get summary(): Text {
    return summaries()[this.key]
  }

  load(): Promise<Command> {
    return loadCommand(this.key)
  }
}

function entry(name: string, key: Key, category?: CommandEntry['category'], aliases?: string[]): CommandEntry {
  return new Entry(name, key, category, aliases)
}

let texts: ReturnType<typeof summaryTable> | undefined
/** The summaries, made at the first one asked for (help, completion). */
function summaries(): ReturnType<typeof summaryTable> {
  return (texts ??= summaryTable())
}

function summaryTable() {
  return {
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
    diff: { en: "Inspect changes to files or directories on a container's filesystem", ko: '컨테이너가 파일시스템에서 바꾼 것을 보여 줍니다 (A 추가, C 변경, D 삭제)' },
    commit: { en: "Create a new image from a container's changes", ko: '컨테이너의 변경 내용으로 새 이미지를 만듭니다' },
    push: { en: 'Upload an image to a registry', ko: '이미지를 레지스트리에 올립니다 (바뀐 레이어만 전송)' },
    rmi: { en: 'Remove one or more images', ko: '이미지를 삭제합니다' },
    save: { en: 'Save one or more images to a tar archive (streamed to STDOUT by default)', ko: '이미지를 tar 아카이브로 저장합니다 (기본은 표준 출력)' },
    tag: { en: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', ko: 'SOURCE_IMAGE를 가리키는 새 이름(태그) TARGET_IMAGE를 만듭니다' },
    info: { en: 'Display system-wide information', ko: '시스템 전체 정보를 보여 줍니다' },
    history: { en: 'Show the history of an image', ko: '이미지가 어떻게 만들어졌는지(레이어별 단계) 보여 줍니다' },
    imagePrune: { en: 'Remove unused images', ko: '쓰이지 않는 이미지를 지웁니다' },
    containerPrune: { en: 'Remove all stopped containers', ko: '멈춘 컨테이너를 모두 지웁니다' },
    df: { en: 'Show tocker disk usage', ko: '이미지와 컨테이너가 차지하는 디스크 공간을 보여 줍니다' },
    volume: { en: 'Manage volumes', ko: '볼륨을 관리합니다' },
    network: { en: 'Manage networks', ko: '네트워크를 관리합니다' },
    networkConnect: { en: 'Connect a container to a network', ko: '컨테이너를 네트워크에 연결합니다 (실행 중이면 바로 새 네트워크 카드가 생깁니다)' },
    networkCreate: { en: 'Create a network', ko: '네트워크를 만듭니다 (자기 브리지와 서브넷, 이름으로 서로 찾는 DNS)' },
    networkDisconnect: { en: 'Disconnect a container from a network', ko: '컨테이너를 네트워크에서 떼어 냅니다' },
    networkInspect: { en: 'Display detailed information on one or more networks', ko: '네트워크의 자세한 정보를 JSON으로 보여 줍니다 (서브넷, 연결된 컨테이너)' },
    networkLs: { en: 'List networks', ko: '네트워크 목록을 보여 줍니다' },
    networkPrune: { en: 'Remove all unused networks', ko: '쓰이지 않는 네트워크를 모두 지웁니다' },
    networkRm: { en: 'Remove one or more networks', ko: '네트워크를 삭제합니다 (실행 중인 컨테이너가 있으면 거부)' },
    volumeCreate: { en: 'Create a volume', ko: '볼륨을 만듭니다 (컨테이너를 지워도 남는 데이터 저장소)' },
    volumeInspect: { en: 'Display detailed information on one or more volumes', ko: '볼륨의 자세한 정보를 JSON으로 보여 줍니다 (실제 위치 Mountpoint 포함)' },
    volumeLs: { en: 'List volumes', ko: '볼륨 목록을 보여 줍니다' },
    volumePrune: { en: 'Remove unused local volumes', ko: '쓰이지 않는 볼륨을 지웁니다 (기본은 익명 볼륨만)' },
    volumeRm: { en: 'Remove one or more volumes', ko: '볼륨을 삭제합니다 (쓰는 컨테이너가 있으면 거부)' },
    kernel: { en: 'Show what the kernel holds for a running container (namespaces, mounts, cgroup, network, capabilities)', ko: '실행 중인 컨테이너를 커널에서 본 모습을 보여 줍니다 (네임스페이스, 마운트, cgroup, 네트워크, 권한)' },
    build: { en: 'Build an image from a Dockerfile', ko: 'Dockerfile로 이미지를 빌드합니다' },
    cp: { en: 'Copy files/folders between a container and the local filesystem', ko: '컨테이너와 이 컴퓨터 사이에 파일이나 폴더를 복사합니다' },
    export: { en: "Export a container's filesystem as a tar archive", ko: '컨테이너의 파일시스템 전체를 tar 아카이브로 내보냅니다' },
    import: { en: 'Import the contents from a tarball to create a filesystem image', ko: 'tar 아카이브의 내용으로 파일시스템 이미지를 만듭니다 (레이어 하나)' },
    login: { en: 'Authenticate to a registry', ko: '레지스트리에 로그인합니다' },
    logout: { en: 'Log out from a registry', ko: '레지스트리에서 로그아웃합니다' },
    version: { en: 'Show the tocker version information', ko: 'tocker의 버전 정보를 보여 줍니다' },
    container: { en: 'Manage containers', ko: '컨테이너를 관리합니다' },
    image: { en: 'Manage images', ko: '이미지를 관리합니다' },
    system: { en: 'Manage tocker', ko: 'tocker를 관리합니다' },
    runtime: { en: "Run OCI bundles with the low-level runtime (runc's commands)", ko: '저수준 런타임으로 OCI 번들을 실행합니다 (runc의 명령)' },
    completion: { en: 'Generate the autocompletion script for the specified shell', ko: '셸 자동 완성 스크립트를 만듭니다' },
    daemon: { en: 'Run the tocker engine in the foreground', ko: 'tocker 엔진을 포그라운드에서 실행합니다' },
    dashboard: { en: 'Show images and containers in a browser, with an x-ray of their kernel side', ko: '이미지와 컨테이너를 브라우저에서 보여 줍니다 (커널 쪽 엑스레이 포함)' },
  } satisfies Record<string, Text>
}

/** The command (or group) `key` names, its module loaded. */
function loadCommand(key: Key): Promise<Command> {
  switch (key) {
    case 'attach':
      return import('./attach.js').then((m) => m.attach)
    case 'create':
      return import('./create.js').then((m) => m.create)
    case 'exec':
      return import('./exec.js').then((m) => m.exec)
    case 'inspect':
      return import('./inspect.js').then((m) => m.inspect)
    case 'containerInspect':
      return import('./inspect.js').then((m) => m.containerInspect)
    case 'kill':
      return import('./kill.js').then((m) => m.kill)
    case 'logs':
      return import('./logs.js').then((m) => m.logs)
    case 'ps':
      return import('./ps.js').then((m) => m.ps)
    case 'port':
      return import('./port.js').then((m) => m.port)
    case 'rename':
      return import('./rename.js').then((m) => m.rename)
    case 'restart':
      return import('./restart.js').then((m) => m.restart)
    case 'rm':
      return import('./rm.js').then((m) => m.rm)
    case 'run':
      return import('./run.js').then((m) => m.run)
    case 'start':
      return import('./start.js').then((m) => m.start)
    case 'stop':
      return import('./stop.js').then((m) => m.stop)
    case 'top':
      return import('./top.js').then((m) => m.top)
    case 'wait':
      return import('./wait.js').then((m) => m.wait)
    case 'images':
      return import('./images.js').then((m) => m.images)
    case 'imageInspect':
      return import('./image-inspect.js').then((m) => m.imageInspect)
    case 'load':
      return import('./load.js').then((m) => m.load)
    case 'pull':
      return import('./pull.js').then((m) => m.pull)
    case 'push':
      return import('./push.js').then((m) => m.push)
    case 'diff':
      return import('./diff.js').then((m) => m.diff)
    case 'commit':
      return import('./commit.js').then((m) => m.commit)
    case 'rmi':
      return import('./rmi.js').then((m) => m.rmi)
    case 'save':
      return import('./save.js').then((m) => m.save)
    case 'tag':
      return import('./tag.js').then((m) => m.tag)
    case 'info':
      return import('./info.js').then((m) => m.info)
    case 'history':
      return import('./history.js').then((m) => m.history)
    case 'imagePrune':
      return import('./prune.js').then((m) => m.imagePrune)
    case 'containerPrune':
      return import('./prune.js').then((m) => m.containerPrune)
    case 'df':
      return import('./system-df.js').then((m) => m.systemDf)
    case 'networkConnect':
      return import('./network.js').then((m) => m.networkConnect)
    case 'networkCreate':
      return import('./network.js').then((m) => m.networkCreate)
    case 'networkDisconnect':
      return import('./network.js').then((m) => m.networkDisconnect)
    case 'networkInspect':
      return import('./network.js').then((m) => m.networkInspect)
    case 'networkLs':
      return import('./network.js').then((m) => m.networkLs)
    case 'networkPrune':
      return import('./network.js').then((m) => m.networkPrune)
    case 'networkRm':
      return import('./network.js').then((m) => m.networkRm)
    case 'volumeCreate':
      return import('./volume.js').then((m) => m.volumeCreate)
    case 'volumeInspect':
      return import('./volume.js').then((m) => m.volumeInspect)
    case 'volumeLs':
      return import('./volume.js').then((m) => m.volumeLs)
    case 'volumePrune':
      return import('./volume.js').then((m) => m.volumePrune)
    case 'volumeRm':
      return import('./volume.js').then((m) => m.volumeRm)
    case 'kernel':
      return import('./kernel.js').then((m) => m.kernel)
    case 'build':
      return import('./build.js').then((m) => m.build)
    case 'cp':
      return import('./cp.js').then((m) => m.cp)
    case 'export':
      return import('./export.js').then((m) => m.exportCommand)
    case 'import':
      return import('./import.js').then((m) => m.importCommand)
    case 'login':
      return import('./login.js').then((m) => m.login)
    case 'logout':
      return import('./logout.js').then((m) => m.logout)
    case 'version':
      return import('./version.js').then((m) => m.version)
    case 'runtime':
      return import('./runtime.js').then((m) => m.runtime)
    case 'completion':
      return import('./completion.js').then((m) => m.completionCommand(COMMANDS))
    case 'daemon':
      return import('./daemon.js').then((m) => m.daemon)
    case 'dashboard':
      return import('./dashboard.js').then((m) => m.dashboard)
    case 'container':
      return group(CONTAINER_COMMANDS)
    case 'image':
      return group(IMAGE_COMMANDS)
    case 'system':
      return group(SYSTEM_COMMANDS)
    case 'network':
      return group(NETWORK_COMMANDS)
    case 'volume':
      return group(VOLUME_COMMANDS)
  }
}

const CONTAINER_COMMANDS: CommandEntry[] = [
  entry('attach', 'attach'),
  entry('commit', 'commit'),
  entry('cp', 'cp'),
  entry('create', 'create'),
  entry('diff', 'diff'),
  entry('exec', 'exec'),
  entry('export', 'export'),
  entry('inspect', 'containerInspect'),
  entry('kernel', 'kernel'),
  entry('kill', 'kill'),
  entry('logs', 'logs'),
  entry('ls', 'ps', undefined, ['ps', 'list']),
  entry('prune', 'containerPrune'),
  entry('port', 'port'),
  entry('rename', 'rename'),
  entry('restart', 'restart'),
  entry('rm', 'rm', undefined, ['remove']),
  entry('run', 'run'),
  entry('start', 'start'),
  entry('stop', 'stop'),
  entry('top', 'top'),
  entry('wait', 'wait'),
]

const IMAGE_COMMANDS: CommandEntry[] = [
  entry('build', 'build'),
  entry('history', 'history'),
  entry('import', 'import'),
  entry('inspect', 'imageInspect'),
  entry('load', 'load'),
  entry('ls', 'images', undefined, ['list']),
  entry('prune', 'imagePrune'),
  entry('pull', 'pull'),
  entry('push', 'push'),
  entry('rm', 'rmi', undefined, ['remove', 'rmi']),
  entry('save', 'save'),
  entry('tag', 'tag'),
]

const NETWORK_COMMANDS: CommandEntry[] = [
  entry('connect', 'networkConnect'),
  entry('create', 'networkCreate'),
  entry('disconnect', 'networkDisconnect'),
  entry('inspect', 'networkInspect'),
  entry('ls', 'networkLs', undefined, ['list']),
  entry('prune', 'networkPrune'),
  entry('rm', 'networkRm', undefined, ['remove']),
]

const VOLUME_COMMANDS: CommandEntry[] = [
  entry('create', 'volumeCreate'),
  entry('inspect', 'volumeInspect'),
  entry('ls', 'volumeLs', undefined, ['list']),
  entry('prune', 'volumePrune'),
  entry('rm', 'volumeRm', undefined, ['remove']),
]

const SYSTEM_COMMANDS: CommandEntry[] = [entry('df', 'df'), entry('info', 'info')]

/** A group's command (container, image, …): no options of its own, its subcommands. */
async function group(subcommands: CommandEntry[]): Promise<Command> {
  return { usage: 'COMMAND', options: [], subcommands }
}

export const COMMANDS: CommandEntry[] = [
  entry('run', 'run', 'common'),
  entry('exec', 'exec', 'common'),
  entry('ps', 'ps', 'common'),
  entry('build', 'build', 'common'),
  entry('pull', 'pull', 'common'),
  entry('push', 'push', 'common'),
  entry('images', 'images', 'common'),
  entry('login', 'login', 'common'),
  entry('logout', 'logout', 'common'),
  entry('version', 'version', 'common'),
  entry('info', 'info', 'common'),

  entry('container', 'container', 'management'),
  entry('image', 'image', 'management'),
  entry('system', 'system', 'management'),
  entry('network', 'network', 'management'),
  entry('volume', 'volume', 'management'),
  entry('runtime', 'runtime', 'management'),

  entry('attach', 'attach'),
  entry('commit', 'commit'),
  entry('completion', 'completion'),
  entry('cp', 'cp'),
  entry('create', 'create'),
  entry('daemon', 'daemon'),
  entry('dashboard', 'dashboard'),
  entry('diff', 'diff'),
  entry('export', 'export'),
  entry('history', 'history'),
  entry('import', 'import'),
  entry('inspect', 'inspect'),
  entry('kernel', 'kernel'),
  entry('kill', 'kill'),
  entry('load', 'load'),
  entry('logs', 'logs'),
  entry('port', 'port'),
  entry('rename', 'rename'),
  entry('restart', 'restart'),
  entry('rm', 'rm'),
  entry('rmi', 'rmi'),
  entry('save', 'save'),
  entry('start', 'start'),
  entry('stop', 'stop'),
  entry('tag', 'tag'),
  entry('top', 'top'),
  entry('wait', 'wait'),
]
