// Wire types of POST /containers/create: Docker's container.Config, HostConfig, the port maps and
// the per-network endpoint requests a create (or connect) body carries.

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
  /** -t: the client terminal's [rows, columns] at create (Docker API 1.42+): the pty's size before the program runs. */
  ConsoleSize?: number[] | null
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
