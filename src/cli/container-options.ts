// The options `run` and `create` share (one table, Docker's names, types and wording), and how
// they become the body of POST /containers/create (Docker's Config + HostConfig).
import type { ContainerCreateBody } from '../api/types.js'
import { TockerError } from '../errors.js'
import { kvMap } from './kv.js'
import { clientSecurityOpts } from './security-opts.js'
import type { OptionDef } from './spec.js'

export const CREATE_OPTIONS: OptionDef[] = [
  { name: 'interactive', short: 'i', type: 'bool', description: { en: 'Keep STDIN open even if not attached', ko: '표준 입력(STDIN)을 열어 둡니다 (키보드 입력을 컨테이너로 보냄)' } },
  { name: 'tty', short: 't', type: 'bool', description: { en: 'Allocate a pseudo-TTY', ko: '가상 터미널(TTY)을 할당합니다 (-it로 셸을 쓸 때)' } },
  { name: 'env', short: 'e', type: 'list', description: { en: 'Set environment variables', ko: '환경 변수를 설정합니다 (-e 이름=값, 여러 번 쓸 수 있음)' } },
  { name: 'workdir', short: 'w', type: 'string', description: { en: 'Working directory inside the container', ko: '컨테이너 안의 작업 디렉터리' } },
  { name: 'user', short: 'u', type: 'string', description: { en: 'Username or UID (format: "<name|uid>[:<group|gid>]")', ko: '사용자 이름 또는 UID (형식: "<이름|uid>[:<그룹|gid>]")' } },
  { name: 'hostname', short: 'h', type: 'string', description: { en: 'Container host name', ko: '컨테이너의 호스트 이름 (UTS 네임스페이스)' } },
  { name: 'entrypoint', type: 'string', description: { en: 'Overwrite the default ENTRYPOINT of the image', ko: '이미지의 기본 ENTRYPOINT를 바꿉니다' } },
  { name: 'volume', short: 'v', type: 'list', description: { en: 'Bind mount a volume', ko: '볼륨이나 호스트 디렉터리를 컨테이너에 연결합니다 (볼륨이름:/경로, /호스트:/경로[:ro], /경로는 익명 볼륨)' } },
  { name: 'mount', type: 'list', valueName: 'mount', description: { en: 'Attach a filesystem mount to the container', ko: '파일 시스템을 연결합니다 (type=volume|bind|tmpfs,source=…,target=…[,readonly])' } },
  { name: 'tmpfs', type: 'list', valueName: 'list', description: { en: 'Mount a tmpfs directory', ko: '메모리 위의 임시 파일 시스템(tmpfs)을 연결합니다 (/경로[:size=64m])' } },
  { name: 'memory', short: 'm', type: 'string', valueName: 'bytes', description: { en: 'Memory limit', ko: '메모리 제한 (예: 64m, cgroup의 memory.max)' } },
  { name: 'memory-swap', type: 'string', valueName: 'bytes', description: { en: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", ko: "메모리와 스왑을 합한 제한: '-1'이면 스왑 무제한" } },
  { name: 'cpus', type: 'decimal', description: { en: 'Number of CPUs', ko: '쓸 수 있는 CPU 개수 (예: 0.5)' } },
  { name: 'cpu-shares', short: 'c', type: 'int', description: { en: 'CPU shares (relative weight)', ko: 'CPU 몫 (상대적 가중치)' } },
  { name: 'pids-limit', type: 'int', description: { en: 'Tune container pids limit (set -1 for unlimited)', ko: '컨테이너 안 프로세스 개수 제한 (-1이면 무제한)' } },
  { name: 'rm', type: 'bool', description: { en: 'Automatically remove the container and its associated anonymous volumes when it exits', ko: '컨테이너가 끝나면 자동으로 삭제합니다' } },
  { name: 'name', type: 'string', description: { en: 'Assign a name to the container', ko: '컨테이너에 이름을 붙입니다' } },
  { name: 'publish', short: 'p', type: 'list', description: { en: "Publish a container's port(s) to the host", ko: '컨테이너의 포트를 호스트에 공개합니다 (포트포워딩, -p 호스트포트:컨테이너포트)' } },
  { name: 'publish-all', short: 'P', type: 'bool', description: { en: 'Publish all exposed ports to random ports', ko: '노출된(EXPOSE) 모든 포트를 임의의 호스트 포트로 공개합니다' } },
  { name: 'expose', type: 'list', description: { en: 'Expose a port or a range of ports', ko: '포트(또는 포트 범위)를 노출합니다' } },
  { name: 'network', type: 'string', valueName: 'network', description: { en: 'Connect a container to a network', ko: '컨테이너를 네트워크에 연결합니다 (bridge, none, host, 또는 network create로 만든 이름)' } },
  { name: 'network-alias', type: 'list', description: { en: 'Add network-scoped alias for the container', ko: '이 네트워크에서만 통하는 컨테이너의 별칭 (다른 컨테이너가 이 이름으로 찾습니다)' } },
  { name: 'ip', type: 'string', description: { en: 'IPv4 address (e.g., 172.30.100.104)', ko: '컨테이너의 IPv4 주소를 정합니다 (--subnet을 준 네트워크에서)' } },
  { name: 'link', type: 'list', description: { en: 'Add link to another container', ko: '다른 컨테이너를 연결합니다 (이름[:별칭], /etc/hosts와 환경 변수)' } },
  { name: 'net', type: 'string', hidden: true, description: { en: 'Connect a container to a network' } },
  { name: 'label', short: 'l', type: 'list', description: { en: 'Set meta data on a container', ko: '컨테이너에 메타데이터(레이블)를 붙입니다' } },
  { name: 'log-driver', type: 'string', description: { en: 'Logging driver for the container', ko: '컨테이너의 로그 드라이버 (json-file만 지원)' } },
  { name: 'log-opt', type: 'list', description: { en: 'Log driver options', ko: '로그 드라이버 옵션 (max-size, max-file)' } },
  { name: 'stop-signal', type: 'string', description: { en: 'Signal to stop the container', ko: '컨테이너를 멈출 때 보낼 시그널' } },
  { name: 'stop-timeout', type: 'int', description: { en: 'Timeout (in seconds) to stop a container', ko: '컨테이너를 멈출 때 기다리는 시간(초), 지나면 SIGKILL' } },
  { name: 'restart', type: 'string', default: 'no', description: { en: 'Restart policy to apply when a container exits', ko: '컨테이너가 끝났을 때의 재시작 정책 ("no"만 지원)' } },
  { name: 'platform', type: 'string', description: { en: 'Set platform if server is multi-platform capable', ko: '플랫폼을 지정합니다 (예: linux/amd64)' } },
  { name: 'security-opt', type: 'list', description: { en: 'Security Options', ko: '보안 옵션 (seccomp=unconfined|프로파일.json, no-new-privileges)' } },
  { name: 'privileged', type: 'bool', description: { en: 'Give extended privileges to this container', ko: '컨테이너에 확장 권한을 줍니다 (모든 capability, seccomp 필터 없음, 호스트의 장치)' } },
]

export const RUN_OPTIONS: OptionDef[] = ([
  { name: 'detach', short: 'd', type: 'bool', description: { en: 'Run container in background and print container ID', ko: '컨테이너를 백그라운드에서 실행하고 컨테이너 ID를 출력합니다' } },
  { name: 'sig-proxy', type: 'bool', default: true, description: { en: 'Proxy received signals to the process', ko: '받은 시그널을 컨테이너의 프로세스에 전달합니다' } },
  { name: 'detach-keys', type: 'string', description: { en: 'Override the key sequence for detaching a container', ko: '컨테이너에서 빠져나오는(detach) 키 조합을 바꿉니다 (기본 ctrl-p,ctrl-q)' } },
  ...CREATE_OPTIONS,
] as OptionDef[]).sort(byName)

CREATE_OPTIONS.sort(byName)

/**
 * Option names are lower-case ASCII letters, digits and '-': code-point order is the order
 * localeCompare gives them, without its cost. The first localeCompare of a process loads ICU's
 * collation tables (10-15 ms quiet, 30-50 ms on a loaded 2-core machine): more than all of `run`'s
 * other JavaScript before its first request.
 */
function byName(a: OptionDef, b: OptionDef): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** Docker's RAMInBytes: "64m" → 67108864 (1024-based, optional trailing "b"). */
export function parseBytes(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(s.trim())
  if (!m) throw new TockerError(`invalid argument "${s}" for "${flag}" flag: invalid size: '${s}'`, { code: 'EINVALID', exitCode: 125 })
  const pow = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase())
  return Math.floor(Number(m[1]) * 1024 ** pow)
}

function parseLogOpts(opts: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const o of opts) {
    const i = o.indexOf('=')
    if (i < 0) throw new TockerError(`invalid log opt format: ${o}`, { code: 'EINVALID', exitCode: 125 })
    const k = o.slice(0, i)
    if (k !== 'max-size' && k !== 'max-file') throw new TockerError(`unknown log opt '${k}' for json-file log driver`, { code: 'EINVALID', daemon: true, exitCode: 125 })
    out[k] = o.slice(i + 1)
  }
  return out
}

export async function createBody(o: Record<string, any>, positional: string[], detach: boolean): Promise<ContainerCreateBody> {
  const [image, ...cmd] = positional
  if (o.restart && o.restart !== 'no') throw new TockerError(`restart policies are not supported by tocker (got --restart ${o.restart})`, { code: 'ENOTIMPLEMENTED', exitCode: 125 })
  if (o['log-driver'] && o['log-driver'] !== 'json-file') throw new TockerError(`logging driver "${o['log-driver']}" is not supported: tocker writes json-file logs`, { code: 'ENOTIMPLEMENTED', exitCode: 125 })
  let exposedPorts: Record<string, object> | undefined
  let portBindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined
  if (o.publish?.length || o.expose?.length) {
    const ports = await import('../network/port-spec.js')
    const parsed = ports.parsePortSpecs(o.publish ?? [])
    exposedPorts = { ...parsed.exposedPorts }
    for (const e of o.expose ?? []) for (const k of ports.parseExposeSpec(e)) exposedPorts[k] = {}
    portBindings = parsed.portBindings as typeof portBindings
  }
  const interactive = !!o.interactive
  const attach = !detach
  const cpus = o.cpus !== undefined ? Number(o.cpus) : undefined
  if (cpus !== undefined && !(cpus > 0)) throw new TockerError(`invalid argument "${o.cpus}" for "--cpus" flag: range of CPUs is from 0.01 to the number of CPUs available`, { code: 'EINVALID', exitCode: 125 })
  const labels = kvMap(o.label)
  const security = clientSecurityOpts(o['security-opt'] ?? [])
  const env = (o.env ?? []).map((e: string) => (e.includes('=') ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : e))
  // The mount flags' parser only for a command line that has some (one file less to load for most runs).
  const spec = o.volume?.length || o.mount?.length || o.tmpfs?.length ? await import('./mount-spec.js') : undefined
  const { binds, volumes } = spec ? spec.splitVolumeFlags(o.volume ?? []) : { binds: [], volumes: {} }
  const mounts = spec ? ((o.mount as string[] | undefined) ?? []).map(spec.parseMountFlag) : []
  const tmpfs = spec ? spec.tmpfsFlags(o.tmpfs ?? []) : {}
  const network: string = o.network ?? o.net ?? 'default'
  // --network-alias and --ip go to the container's network (Docker's NetworkingConfig).
  const aliases: string[] = o['network-alias'] ?? []
  const endpoint = aliases.length || o.ip ? { Aliases: aliases.length ? aliases : undefined, IPAMConfig: o.ip ? { IPv4Address: String(o.ip) } : undefined } : undefined
  return {
    Image: image,
    Cmd: cmd.length ? cmd : null,
    Entrypoint: o.entrypoint !== undefined ? (o.entrypoint === '' ? [] : [o.entrypoint]) : undefined,
    Env: env,
    WorkingDir: o.workdir ?? '',
    User: o.user ?? '',
    Hostname: o.hostname ?? '',
    Tty: !!o.tty,
    OpenStdin: interactive,
    StdinOnce: interactive && attach,
    AttachStdin: interactive && attach,
    AttachStdout: attach,
    AttachStderr: attach,
    Labels: labels,
    StopSignal: o['stop-signal'],
    StopTimeout: o['stop-timeout'],
    ExposedPorts: exposedPorts,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    NetworkingConfig: endpoint ? { EndpointsConfig: { [network === 'default' ? 'bridge' : network]: endpoint } } : undefined,
    HostConfig: {
      Binds: binds,
      Mounts: mounts.length ? mounts : undefined,
      Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
      Memory: o.memory ? parseBytes(o.memory, '--memory') : 0,
      MemorySwap: o['memory-swap'] ? (o['memory-swap'] === '-1' ? -1 : parseBytes(o['memory-swap'], '--memory-swap')) : 0,
      NanoCpus: cpus ? Math.round(cpus * 1e9) : 0,
      CpuShares: o['cpu-shares'] ?? 0,
      PidsLimit: o['pids-limit'] ?? null,
      AutoRemove: !!o.rm,
      // -t from a terminal: its size goes with the create, as Docker's CLI sends it (API 1.42+).
      ConsoleSize: o.tty && process.stdout.isTTY ? [process.stdout.rows ?? 24, process.stdout.columns ?? 80] : undefined,
      PortBindings: portBindings ?? {},
      PublishAllPorts: !!o['publish-all'],
      NetworkMode: network,
      Links: o.link?.length ? o.link : undefined,
      LogConfig: { Type: 'json-file', Config: parseLogOpts(o['log-opt'] ?? []) },
      Privileged: !!o.privileged,
      SecurityOpt: security.securityOpt.length ? security.securityOpt : null,
      ...(security.maskedPaths ? { MaskedPaths: security.maskedPaths, ReadonlyPaths: security.readonlyPaths } : {}),
    },
  }
}
