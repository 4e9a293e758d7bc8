// The wire types of tocker's engine API: the subset of the Docker Engine API (v1.43-ish) tocker
// serves, with Docker's field names, so that the real `docker` CLI can talk to the engine too.
// Only types here, defined once: the server, the client, the engine and the network layer (which
// builds NetworkSettings and reads port maps) import them; this file imports nothing.

/** Config of POST /containers/create (Docker's container.Config + HostConfig in one body). */
export interface ContainerConfig {
  Hostname?: string
  Domainname?: string
  User?: string
  AttachStdin?: boolean
  AttachStdout?: boolean
  AttachStderr?: boolean
  ExposedPorts?: PortSet
  Tty?: boolean
  OpenStdin?: boolean
  StdinOnce?: boolean
  Env?: string[] | null
  Cmd?: string[] | null
  Entrypoint?: string[] | null
  Image: string
  Volumes?: Record<string, object> | null
  WorkingDir?: string
  Labels?: Record<string, string> | null
  StopSignal?: string
  StopTimeout?: number
}

/** Docker's PortBinding: HostIp "" means every address, HostPort "" means "pick one" (both may be absent on the wire). */
export interface PortBinding {
  HostIp?: string
  HostPort?: string
}

/** "80/tcp" -> bindings (HostConfig.PortBindings; NetworkSettings.Ports with null for unpublished). */
export type PortMap = Record<string, PortBinding[] | null>
/** "80/tcp" -> {} (Config.ExposedPorts). */
export type PortSet = Record<string, object>

export interface HostConfig {
  /** -v: "SRC:DST[:MODE]", SRC a host path (absolute) or a volume name. */
  Binds?: string[] | null
  /** --mount. */
  Mounts?: MountSpecBody[] | null
  /** --tmpfs: destination -> mount options ("rw,size=64m"). */
  Tmpfs?: Record<string, string> | null
  /** --link: "NAME:ALIAS" (Docker stores "/name:/container/alias"). */
  Links?: string[] | null
  NetworkMode?: string
  PortBindings?: PortMap | null
  PublishAllPorts?: boolean
  AutoRemove?: boolean
  Memory?: number
  MemorySwap?: number
  NanoCpus?: number
  CpuShares?: number
  PidsLimit?: number | null
  LogConfig?: { Type: string; Config: Record<string, string> }
  RestartPolicy?: { Name: string; MaximumRetryCount?: number }
  Privileged?: boolean
  /** "seccomp=unconfined|builtin|<profile JSON>", "no-new-privileges[=bool]", "apparmor=…", "label=…" */
  SecurityOpt?: string[] | null
  /** Set (to []) by the CLI's --security-opt systempaths=unconfined: no masked / read-only paths. */
  MaskedPaths?: string[] | null
  ReadonlyPaths?: string[] | null
}

export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig
  NetworkingConfig?: NetworkingConfig | null
}

/** One element of HostConfig.Mounts (Docker's mount.Mount): what --mount sends. */
export interface MountSpecBody {
  Type?: 'bind' | 'volume' | 'tmpfs' | string
  Source?: string
  Target?: string
  ReadOnly?: boolean
  Consistency?: string
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null; Subpath?: string } | null
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null
}

/** The create body's NetworkingConfig: per network, what the container's endpoint asks for. */
export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointConfigBody | null> | null
}

/** What a client asks of an endpoint (create's NetworkingConfig, POST /networks/{id}/connect). */
export interface EndpointConfigBody {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null
  Links?: string[] | null
  Aliases?: string[] | null
  MacAddress?: string
  DriverOpts?: Record<string, string> | null
}

export interface ContainerCreateResponse {
  Id: string
  Warnings: string[]
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead'

export interface ContainerState {
  Status: ContainerStatus
  Running: boolean
  Paused: boolean
  Restarting: boolean
  OOMKilled: boolean
  Dead: boolean
  Pid: number
  ExitCode: number
  Error: string
  StartedAt: string // RFC 3339, "0001-01-01T00:00:00Z" when never
  FinishedAt: string
}

export interface Port {
  IP?: string
  PrivatePort: number
  PublicPort?: number
  Type: string
}

export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs'
  /** The volume's name (Type volume). */
  Name?: string
  Source: string
  Destination: string
  /** The volume's driver (Type volume): "local". */
  Driver?: string
  Mode: string
  RW: boolean
  Propagation: string
}

/** One network of a container (NetworkSettings.Networks.<name>). */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string } | null
  Links: string[] | null
  Aliases: string[] | null
  MacAddress: string
  NetworkID: string
  EndpointID: string
  Gateway: string
  IPAddress: string
  IPPrefixLen: number
  IPv6Gateway: string
  GlobalIPv6Address: string
  GlobalIPv6PrefixLen: number
  DriverOpts: null
  DNSNames: string[] | null
}

/**
 * inspect's NetworkSettings: the default bridge's fields at the top and the same under
 * Networks.<name>. A container that never started has only the first five (empty).
 */
export interface NetworkSettings {
  IPAddress: string
  IPPrefixLen: number
  Gateway: string
  MacAddress: string
  Ports: PortMap
  Bridge?: string
  SandboxKey?: string
  HairpinMode?: boolean
  EndpointID?: string
  GlobalIPv6Address?: string
  GlobalIPv6PrefixLen?: number
  IPv6Gateway?: string
  Networks?: Record<string, EndpointSettings>
}

/** One element of GET /containers/json. */
export interface ContainerSummary {
  Id: string
  Names: string[] // ["/web"]
  Image: string
  ImageID: string
  Command: string
  Created: number // unix seconds
  Ports: Port[]
  Labels: Record<string, string>
  State: ContainerStatus
  Status: string // "Up 3 minutes", "Exited (0) 2 hours ago", "Created"
  HostConfig: { NetworkMode: string }
  Mounts: MountPoint[]
}

/** GET /containers/{id}/json. */
export interface ContainerInspect {
  Id: string
  Created: string
  Path: string
  Args: string[]
  State: ContainerState
  Image: string
  ResolvConfPath: string
  HostnamePath: string
  HostsPath: string
  LogPath: string
  Name: string
  RestartCount: number
  Driver: string
  Platform: string
  MountLabel: string
  ProcessLabel: string
  AppArmorProfile: string
  ExecIDs: string[] | null
  HostConfig: HostConfig
  GraphDriver: { Name: string; Data: Record<string, string> }
  Mounts: MountPoint[]
  Config: ContainerConfig
  NetworkSettings: NetworkSettings
}

export interface ContainerWaitResponse {
  StatusCode: number
  Error?: { Message: string } | null
  /** tocker's own: the kernel's OOM killer ended a process of the container (so `run` can say why). */
  OOMKilled?: boolean
}

export interface ContainerTopResponse {
  Titles: string[]
  Processes: string[][]
}

export interface ExecCreateBody {
  AttachStdin?: boolean
  AttachStdout?: boolean
  AttachStderr?: boolean
  DetachKeys?: string
  Tty?: boolean
  Env?: string[]
  Cmd: string[]
  Privileged?: boolean
  User?: string
  WorkingDir?: string
}

export interface ExecInspect {
  ID: string
  Running: boolean
  ExitCode: number | null
  ProcessConfig: { entrypoint: string; arguments: string[]; tty: boolean; user: string; privileged: boolean }
  OpenStdin: boolean
  OpenStderr: boolean
  OpenStdout: boolean
  ContainerID: string
  Pid: number
}

/** GET /images/json element (served from the image store). */
export interface ImageSummary {
  Id: string
  ParentId: string
  RepoTags: string[]
  RepoDigests: string[]
  Created: number
  Size: number
  SharedSize: number
  VirtualSize?: number
  Labels: Record<string, string> | null
  Containers: number
}

export interface ErrorBody {
  message: string
}

/** The stream ids of Docker's multiplexed attach/logs framing (8-byte header: [stream,0,0,0,size BE32]). */
export const STREAM = { stdin: 0, stdout: 1, stderr: 2 } as const

export const API_VERSION = '1.43'
/** The oldest API version the engine answers (Docker's own minimum). */
export const MIN_API_VERSION = '1.24'
export const ZERO_TIME = '0001-01-01T00:00:00Z'

// ---- images and system (Docker Engine API 1.43 shapes) ----

/** One element of DELETE /images/{name} and of ImagesDeleted in POST /images/prune. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string }

export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[] | null
  SpaceReclaimed: number
}

export interface ContainerPruneReport {
  ContainersDeleted: string[] | null
  SpaceReclaimed: number
}

/** GET /images/{name}/history element, newest first. */
export interface ImageHistoryItem {
  Id: string // the image ID for the top entry, "<missing>" below it
  Created: number // unix seconds
  CreatedBy: string
  Tags: string[] | null
  Size: number
  Comment: string
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string
  RepoTags: string[]
  RepoDigests: string[]
  Parent: string
  Comment: string
  Created: string
  DockerVersion: string
  Author: string
  Config: Record<string, unknown>
  Architecture: string
  Variant?: string
  Os: string
  Size: number
  VirtualSize?: number
  GraphDriver: { Name: string; Data: Record<string, string> }
  RootFS: { Type: string; Layers: string[] }
  Metadata: { LastTagTime: string }
}

/** POST /auth body (Docker's registry.AuthConfig), also what X-Registry-Auth carries, base64url'd. */
export interface AuthConfig {
  username?: string
  password?: string
  auth?: string
  email?: string
  serveraddress?: string
  identitytoken?: string
  registrytoken?: string
}

/** GET /system/df. */
export interface DiskUsage {
  LayersSize: number
  Images: ImageSummary[]
  Containers: (ContainerSummary & { SizeRw: number; SizeRootFs: number })[]
  Volumes: (Volume & { UsageData: { Size: number; RefCount: number } })[]
  BuildCache: unknown[]
}

// ---- volumes and networks (Docker Engine API 1.43 shapes) ----

/** GET /volumes/{name}, an element of GET /volumes. */
export interface Volume {
  CreatedAt: string
  Driver: string
  Labels: Record<string, string> | null
  Mountpoint: string
  Name: string
  Options: Record<string, string> | null
  Scope: 'local'
}

/** POST /volumes/create */
export interface VolumeCreateBody {
  Name?: string
  Driver?: string
  DriverOpts?: Record<string, string> | null
  Labels?: Record<string, string> | null
}

export interface VolumeListResponse {
  Volumes: Volume[]
  Warnings: string[] | null
}

export interface VolumePruneReport {
  VolumesDeleted: string[] | null
  SpaceReclaimed: number
}

export interface IPAMConfig {
  Subnet?: string
  IPRange?: string
  Gateway?: string
  AuxiliaryAddresses?: Record<string, string> | null
}

/** GET /networks/{id}, an element of GET /networks (Containers empty in lists, as Docker's). */
export interface NetworkResource {
  Name: string
  Id: string
  Created: string
  Scope: 'local'
  Driver: string
  EnableIPv6: boolean
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IPAMConfig[] | null }
  Internal: boolean
  Attachable: boolean
  Ingress: boolean
  ConfigFrom: { Network: string }
  ConfigOnly: boolean
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>
  Options: Record<string, string>
  Labels: Record<string, string>
}

/** POST /networks/create */
export interface NetworkCreateBody {
  Name: string
  CheckDuplicate?: boolean
  Driver?: string
  Scope?: string
  Internal?: boolean
  Attachable?: boolean
  Ingress?: boolean
  ConfigOnly?: boolean
  ConfigFrom?: { Network?: string } | null
  EnableIPv4?: boolean
  EnableIPv6?: boolean
  IPAM?: { Driver?: string; Config?: IPAMConfig[] | null; Options?: Record<string, string> | null } | null
  Options?: Record<string, string> | null
  Labels?: Record<string, string> | null
}

export interface NetworkCreateResponse {
  Id: string
  Warning: string
}

/** POST /networks/{id}/connect */
export interface NetworkConnectBody {
  Container: string
  EndpointConfig?: EndpointConfigBody | null
}

/** POST /networks/{id}/disconnect */
export interface NetworkDisconnectBody {
  Container: string
  Force?: boolean
}

export interface NetworkPruneReport {
  NetworksDeleted: string[] | null
}

/**
 * GET /containers/{id}/kernel (tocker's own, `tocker kernel`): what the kernel holds for a running
 * container, read from /proc and with the commands a learner could type (ip, iptables-save).
 */
export interface KernelView {
  Id: string
  Name: string
  /** PID 1 of the container, as the host sees it. */
  Pid: number
  /** Each namespace's inode beside the engine's (the host's): Shared when they are the same. */
  Namespaces: { Type: string; Container: string; Host: string; Shared: boolean }[]
  /** The container's "/": its overlay and where to see the merged tree. */
  /** Layers and LowerDirs: the image's layers (top first); InitDir: the container's init layer above them (its mount points), when it has one. */
  Root: { FsType: string; Layers?: number; LowerDirs?: string[]; InitDir?: string; UpperDir?: string; WorkDir?: string; MergedDir: string; SeeAt: string; Note: string }
  /** Its mount table as it sees it (/proc/<pid>/mountinfo); Role says what each one is for. */
  Mounts: KernelMount[]
  MountsTruncated?: boolean
  Cgroup: { Path: string; Dir?: string; Own: boolean; Files: Record<string, string> }
  Network?: KernelNetwork
  Process: KernelProcess
}

export interface KernelMount {
  Target: string
  FsType: string
  Source: string
  /** The directory of the source filesystem that is mounted: "/" for a whole filesystem, else a bind mount of that path. */
  Root: string
  Options: string
  /** root, proc, dev, sys, etc, masked, readonly, bind, other */
  Role: string
  /** --step, before pivot_root: the host directory the container's "/" is still at (Target is relative to it). */
  Under?: string
}

export interface KernelInterface {
  Name: string
  Mac?: string
  State?: string
  Addresses: string[]
}

export interface KernelNetwork {
  Interfaces: KernelInterface[]
  HostVeth?: { Name: string; Master?: string; State?: string; Exists: boolean }
  Bridge?: KernelInterface
  /** Its iptables rules, as iptables-save prints them, with the table ("-t nat -A TOCKER …"). */
  Rules: string[]
}

export interface KernelProcess {
  Uid: string
  Gid: string
  CapEff: string
  CapEffNames: string[]
  CapBnd: string
  CapBndNames: string[]
  /** 0 disabled, 1 strict, 2 filter (/proc/<pid>/status's Seccomp). */
  Seccomp: number
  SeccompFilters: number
  NoNewPrivs: boolean
}

/** What one --step phase changed in the kernel (the difference of two KernelViews). */
export interface KernelChanges {
  Namespaces?: { Type: string; Container: string; Host: string; Shared: boolean }[]
  MountsAdded?: KernelMount[]
  MountsRemoved?: KernelMount[]
  /** pivot_root: how many of the mounts under the rootfs directory now make up its "/" tree. */
  MountsNowRoot?: number
  Cgroup?: { Path: string; Files: Record<string, string> }
  Interfaces?: KernelInterface[]
  HostVeth?: { Name: string; Master?: string; Exists: boolean }
  RulesAdded?: string[]
  RulesRemoved?: string[]
  Process?: Partial<KernelProcess>
  /** The process the view was read from is gone (the container stopped). */
  Gone?: boolean
  /** The view could not be read (the pause still happens). */
  Error?: string
}

/** Docker's ContainerPathStat: what HEAD/GET /containers/{id}/archive send, base64 JSON in X-Docker-Container-Path-Stat. */
export interface ContainerPathStat {
  name: string
  size: number
  /** Go's os.FileMode bits (1<<31 a directory, 1<<27 a symlink). */
  mode: number
  mtime: string
  linkTarget: string
}
