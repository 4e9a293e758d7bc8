// Wire types of tocker's own kernel views (`tocker kernel`, --step): what the kernel holds for a
// running container and what one phase changed in it.

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
