// The OCI runtime spec (config.json of a bundle), as far as tocker reads it, plus tocker's own
// annotation for an overlay root filesystem. https://github.com/opencontainers/runtime-spec

export const OCI_VERSION = '1.0.2'

/**
 * Annotation naming the layers of an overlay root filesystem. When a bundle's config.json has it,
 * the runtime mounts overlayfs at root.path instead of bind-mounting root.path itself. The value
 * is JSON: {"lowerdir": ["/top/layer", ..., "/bottom/layer"], "upperdir": "/abs", "workdir": "/abs"}
 * (lowerdir top first, as overlayfs wants it; without upperdir the root is read-only), and
 * "volatile": true for a writable layer nobody keeps (overlay.ts says what it saves).
 * Mounted inside the container's own mount namespace, the overlay disappears with the container's
 * last process: no mount is ever left on the host.
 */
export const OVERLAY_ANNOTATION = 'dev.tocker.rootfs.overlay'

export interface OverlayRootfs {
  lowerdir: string[]
  upperdir?: string
  workdir?: string
  /** overlayfs's "volatile": no sync of the writable layer, at unmount either (see overlay.ts). */
  volatile?: boolean
}

export interface User {
  uid: number
  gid: number
  umask?: number
  additionalGids?: number[]
  /** tocker extension (the spec reserves it for Windows): "name[:group]" or "uid[:gid]", looked up in the container's /etc/passwd and /etc/group. */
  username?: string
}

export interface Capabilities {
  bounding?: string[]
  effective?: string[]
  inheritable?: string[]
  permitted?: string[]
  ambient?: string[]
}

export interface Rlimit {
  type: string // "RLIMIT_NOFILE"
  soft: number
  hard: number
}

export interface ConsoleSize {
  height: number
  width: number
}

export interface Process {
  terminal?: boolean
  consoleSize?: ConsoleSize
  user: User
  args: string[]
  env?: string[]
  cwd: string
  capabilities?: Capabilities
  rlimits?: Rlimit[]
  noNewPrivileges?: boolean
  oomScoreAdj?: number
  apparmorProfile?: string
  selinuxLabel?: string
}

export interface Root {
  path: string
  readonly?: boolean
}

export interface Mount {
  destination: string
  type?: string
  source?: string
  options?: string[]
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time'

export interface Namespace {
  type: NamespaceType
  path?: string
}

export interface Device {
  type: 'c' | 'b' | 'u' | 'p'
  path: string
  major?: number
  minor?: number
  fileMode?: number
  uid?: number
  gid?: number
}

export interface IdMapping {
  containerID: number
  hostID: number
  size: number
}

export interface LinuxResources {
  memory?: { limit?: number; swap?: number; reservation?: number }
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string }
  pids?: { limit: number }
  devices?: unknown[]
  [key: string]: unknown
}

/** One condition on a syscall argument: `arg[index] op value` (MASKED_EQ: `arg & value == valueTwo`). */
export interface LinuxSeccompArg {
  index: number
  value: number
  valueTwo?: number
  op: string // "SCMP_CMP_EQ", ...
}

export interface LinuxSyscall {
  names: string[]
  action: string // "SCMP_ACT_ALLOW", ...
  errnoRet?: number
  /** All must hold (AND). */
  args?: LinuxSeccompArg[]
}

/** linux.seccomp: the filter the runtime loads just before the container's program runs. */
export interface LinuxSeccomp {
  defaultAction: string
  defaultErrnoRet?: number
  architectures?: string[] // "SCMP_ARCH_X86_64", ...
  flags?: string[] // "SECCOMP_FILTER_FLAG_LOG", ...
  listenerPath?: string
  listenerMetadata?: string
  syscalls?: LinuxSyscall[]
}

export interface Linux {
  namespaces?: Namespace[]
  uidMappings?: IdMapping[]
  gidMappings?: IdMapping[]
  devices?: Device[]
  cgroupsPath?: string
  resources?: LinuxResources
  rootfsPropagation?: string
  maskedPaths?: string[]
  readonlyPaths?: string[]
  sysctl?: Record<string, string>
  mountLabel?: string
  seccomp?: LinuxSeccomp
  /** runtime-spec 1.1: offsets of the time namespace's clocks (with a new "time" namespace). */
  timeOffsets?: Partial<Record<'monotonic' | 'boottime', { secs?: number; nanosecs?: number }>>
}

/** A hook (config.md "POSIX-platform Hooks"): args includes argv[0]; timeout in seconds. */
export interface Hook {
  path: string
  args?: string[]
  env?: string[]
  timeout?: number
}

export interface Hooks {
  /** Deprecated by the spec (createRuntime replaces it), still run, first. */
  prestart?: Hook[]
  createRuntime?: Hook[]
  createContainer?: Hook[]
  startContainer?: Hook[]
  poststart?: Hook[]
  poststop?: Hook[]
}

export interface Spec {
  ociVersion: string
  process?: Process
  root?: Root
  hostname?: string
  domainname?: string
  mounts?: Mount[]
  annotations?: Record<string, string>
  linux?: Linux
  hooks?: Hooks
}

/** The state of a container, as `state` prints it (runtime spec, "State"). */
export interface State {
  ociVersion: string
  id: string
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped'
  pid: number
  bundle: string
  rootfs: string
  created: string
  owner: string
  annotations?: Record<string, string>
}
