// Wire types of what the engine answers about containers: state, inspect, ps summaries, wait, top,
// prune, execs and the archive path stat.

import type { ContainerConfig, HostConfig, PortMap } from './container-create.js'

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

export interface ContainerPruneReport {
  ContainersDeleted: string[] | null
  SpaceReclaimed: number
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
