// GET /version, GET /info, GET /system/df and the headers of /_ping, with Docker's shapes and this
// machine's real values: counts from the engine's records and the image store, CPUs and memory
// from the kernel, the OS from /etc/os-release, the storage and cgroup drivers tocker really uses,
// the bridge's subnet. The host's facts (cgroups, sysctls, mounts) come from the runtime backend. `docker info`/`docker version`/`docker system df` print these.
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, hostname, machine, release, totalmem } from 'node:os'
import { join } from 'node:path'
import type { ContainerSummary, DiskUsage } from '../api/types.js'
import { API_VERSION, MIN_API_VERSION } from '../api/types.js'
import type { HostFacts } from '../runtime/host-facts.js'
import { TockerError } from '../errors.js'
import { writeFileAtomic } from '../sys/atomic-file.js'
import { loadDaemonConfig } from '../image/registry/config.js'
import type { ImageService } from './images/service.js'
import type { ContainerRecord } from './state.js'

export interface SystemSources {
  root: string
  version: string
  records(): ContainerRecord[]
  images: ImageService
  /** Streams of GET /events open now. */
  eventListeners(): number
  /** The default bridge (its subnet once the first container chose one). */
  bridge?(): { name: string; subnet?: string; gateway?: string } | undefined
  /** What the kernel says of the host (the runtime backend reads it). */
  host(): HostFacts
}

const arch = () => (process.arch === 'x64' ? 'amd64' : process.arch)

export function version(s: Pick<SystemSources, 'version'>) {
  const facts = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: arch(),
    KernelVersion: release(),
    BuildTime: '',
  }
  return {
    Platform: { Name: 'tocker' },
    Components: [{ Name: 'Engine', Version: s.version, Details: { ...facts, Experimental: 'false' } }],
    Version: s.version,
    ...facts,
  }
}

/** /etc/os-release's PRETTY_NAME and VERSION_ID, as Docker reports the host. */
function osRelease(): { name: string; version: string } {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    const get = (k: string) => (new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '').replace(/^"(.*)"$/, '$1')
    return { name: get('PRETTY_NAME') || 'Linux', version: get('VERSION_ID') }
  }
  return { name: 'Linux', version: '' }
}

/** A stable ID for this engine's store (Docker keeps one in engine-id). */
function engineId(root: string): string {
  const path = join(root, 'engine-id')
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const id = randomUUID()
  writeFileAtomic(path, id + '\n')
  return id
}

export function info(s: SystemSources) {
  const recs = s.records()
  const running = recs.filter((r) => r.State.Running && !r.State.Paused).length
  const paused = recs.filter((r) => r.State.Paused).length
  const host = s.host()
  const cg = host.cgroups
  const limits = cg.usable ? cg.controllers : []
  const os = osRelease()
  const daemon = loadDaemonConfig()
  const bridge = s.bridge?.()
  const subnet = bridge?.subnet
  const warnings: string[] = []
  if (!cg.usable) warnings.push(`WARNING: resource limits (--memory, --cpus, --pids-limit) are not available: ${cg.why ?? cg.reason}`)
  const insecure = daemon.insecureRegistries
  return {
    ID: engineId(s.root),
    Containers: recs.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: recs.length - running - paused,
    Images: s.images.count(),
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', host.backingFilesystem],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: limits.includes('memory'),
    SwapLimit: limits.includes('memory'),
    CpuCfsPeriod: limits.includes('cpu'),
    CpuCfsQuota: limits.includes('cpu'),
    CPUShares: limits.includes('cpu'),
    CPUSet: limits.includes('cpuset'),
    PidsLimit: limits.includes('pids'),
    OomKillDisable: false,
    IPv4Forwarding: host.ipv4Forwarding,
    BridgeNfIptables: host.bridgeNfIptables,
    BridgeNfIp6tables: host.bridgeNfIp6tables,
    Debug: false,
    NFd: host.openFds,
    NEventsListener: s.eventListeners(),
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: host.cgroupVersion,
    KernelVersion: release(),
    OperatingSystem: os.name,
    OSVersion: os.version,
    OSType: 'linux',
    Architecture: machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8', ...insecure.filter((r) => r.includes('/'))],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: daemon.mirrors, Secure: true, Official: true },
        ...Object.fromEntries(insecure.filter((r) => !r.includes('/')).map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }])),
      },
      Mirrors: daemon.mirrors,
    },
    NCPU: availableParallelism(),
    MemTotal: totalmem(),
    GenericResources: null,
    DockerRootDir: s.root,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: s.version,
    Runtimes: { tocker: { path: 'tocker runtime' } },
    DefaultRuntime: 'tocker',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    // Containers outlive the engine (each has its own shim): Docker calls that live restore.
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=cgroupns'],
    DefaultAddressPools: subnet ? [{ Base: subnet, Size: Number(subnet.split('/')[1] ?? 16) }] : [],
    // tocker's own: the bridge containers are attached to (`tocker info` shows it).
    ...(bridge ? { Bridge: { Name: bridge.name, Subnet: bridge.subnet ?? '', Gateway: bridge.gateway ?? '' } } : {}),
    Warnings: warnings.length ? warnings : null,
  }
}

/**
 * Bytes in a container's writable layer, as Docker's SizeRw counts them (files, not directories).
 * The directory is the container's to fill: `find -P` walks it in a child process (never following
 * a link, never blocking the engine), and a bound on time keeps a huge tree from holding df up.
 */
export function writableLayerSize(upper: string): Promise<number> {
  if (!existsSync(upper)) return Promise.resolve(0)
  return new Promise((resolve, reject) => {
    execFile('find', ['-P', upper, '-xdev', '-mindepth', '1', '!', '-type', 'd', '-printf', '%i %s\\n'], { timeout: 10_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      // find reports files that vanished under it (a running container deletes them) and exits 1:
      // still a size. Anything else (the time bound, output past maxBuffer, a directory it could
      // not read) is an error, not a smaller size.
      const other = err ? unexpectedFindErrors(String(stderr)) : []
      if (err && ((err as { killed?: boolean }).killed || typeof err.code !== 'number' || other.length)) {
        return reject(new TockerError(`measuring the writable layer ${upper}: ${other[0] ?? err.message}`, { code: 'ESTATE', status: 500, cause: err }))
      }
      const seen = new Set<string>()
      let total = 0
      for (const line of stdout.split('\n')) {
        const [ino, size] = line.split(' ')
        if (!ino || seen.has(ino)) continue
        seen.add(ino)
        total += Number(size) || 0
      }
      resolve(total)
    })
  })
}

/** find's complaints on stderr other than "No such file or directory" (a file gone while it walked). */
export function unexpectedFindErrors(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !/: No such file or directory$/.test(l))
}

export async function diskUsage(s: SystemSources, containers: ContainerSummary[]): Promise<DiskUsage> {
  const { layersSize, images } = s.images.diskUsage()
  const imageSize = new Map(images.map((i) => [i.Id, i.Size]))
  const withSizes = await Promise.all(
    containers.map(async (c) => {
      const rw = await writableLayerSize(join(s.root, 'containers', c.Id, 'upper'))
      return { ...c, SizeRw: rw, SizeRootFs: rw + (imageSize.get(c.ImageID) ?? 0) }
    }),
  )
  return { LayersSize: layersSize, Images: images, Containers: withSizes, Volumes: [], BuildCache: [] }
}
