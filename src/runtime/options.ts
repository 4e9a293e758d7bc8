// What the runtime's operations take (runc's global and per-command options) and what create returns.
import { DEFAULT_STATE_ROOT } from './state.js'
import type { StdioFds } from './shim.js'
import type { Spec } from './spec.js'

export interface RuntimeOptions {
  /** Where the containers' state directories live (default /run/tocker/runtime). */
  stateRoot?: string
  /** Warnings for the caller's log (resources ignored, a poststart hook that failed, ...). */
  warn?: (message: string) => void
}

/** The shim copies the container's stdout/stderr into Docker's json-file log (native-shims/shim/logs.c). */
export interface LogRelay {
  dir: string
  name: string
  maxSize?: string
  maxFile?: number
  /**
   * Names the shim keeps (current one included) while `<name>.attached` exists, the engine's pin
   * for an attach reading the log (engine/log-pin.ts). Default: the pin is not looked at.
   */
  pinFiles?: number
  /** A pty instead of pipes (-t): its output is logged as "stdout". */
  tty?: boolean
  /** A FIFO (in `dir`) whose bytes become the container's stdin (-i); without it stdin is /dev/null. */
  stdinFifo?: string
  /** Close the container's stdin when the FIFO's last writer leaves (Docker's StdinOnce). */
  stdinOnce?: boolean
  /** A FIFO (in `dir`) taking "ROWS COLS" lines: the pty's window size (-t). */
  resizeFifo?: string
  /** The pty's window size from its creation on, before the program runs (-t; Docker's HostConfig.ConsoleSize). */
  ttySize?: { rows: number; cols: number }
}

export interface CreateOptions extends RuntimeOptions {
  /**
   * Who is PID 1's parent. 'shim' (tocker's engine, the default): the shim stays, waits for it and
   * writes exit.json. 'caller' (runc's model, for conmon and containerd-shim): the shim exits once
   * PID 1 exists, which is then handed to the caller's subreaper (see native-shims/shim/main.c).
   */
  parent?: 'shim' | 'caller'
  /** process.terminal: the caller's unix socket; the pty master is sent there (runc --console-socket). */
  consoleSocket?: string
  /** fds of this process that the container's process gets as 3, 4, ... (runc --preserve-fds, LISTEN_FDS). */
  preserveFds?: number[]
  /** runc --no-new-keyring: keep the caller's session keyring. */
  noNewKeyring?: boolean
  /** crun's --cgroup-manager=disabled (podman --cgroups=disabled): no cgroup; resources only warned about. */
  cgroupsDisabled?: boolean
  /** runc --systemd-cgroup: cgroupsPath is "slice:prefix:name" (mapped onto cgroupfs). */
  systemdCgroup?: boolean
  id: string
  /** A bundle directory, or one already read (the engine builds its spec in memory). */
  bundle: string | { path: string; spec: Spec }
  /** The container's stdin/stdout/stderr: fds of this process it inherits (default 0, 1, 2). */
  stdio?: StdioFds
  /** Instead of stdio: pipes, relayed into a json-file log by the shim. */
  log?: LogRelay
}

export interface Container {
  id: string
  /** PID 1 of the container, as the host sees it. */
  pid: number
  shimPid: number
  stateDir: string
  /** Release the gate: the user's program runs (what startContainer does, without start.sock). */
  start(): Promise<void>
  /**
   * Before start, after an unchecked create: wait for the gate's word on the process and throw its
   * refusal (GateError, exitCode 126/127), as a checked create would have. Nothing after start.
   */
  check(): void
  /** The exit code once PID 1 has ended (128+n for a signal, as Docker reports it). */
  wait(): Promise<number>
  /** Let this process exit while the container runs on (the CLI's create). */
  detach(): void
}

/** Where the containers' state directories live. */
export const stateRootOf = (o: RuntimeOptions): string => o.stateRoot ?? DEFAULT_STATE_ROOT
