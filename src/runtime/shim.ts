// Starting tocker's shim (native-shims/shim/, see main.c for why it exists) and talking to it.
//
// The control socket is a SOCK_SEQPACKET socketpair: every message keeps its boundaries, so the
// shim (which reports the PID of the gate it forked) and the gate (which answers requests) can
// share it. Node reads it with plain blocking read(2)s: the runtime is inside the container's
// namespaces while it talks to the gate, and there only synchronous calls are allowed.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { SOCK_CLOEXEC, SOCK_SEQPACKET, SOCK_STREAM, socketpair } from '../sys/proc.js'
import { sealedCopy } from '../sys/memfd.js'
import { POSIX_SPAWN_SETSID, posixSpawn, waitpid } from '../sys/spawn.js'
import { isTracing, report, traced, type TraceEvent } from '../trace/trace.js'
import { capabilityNames } from './caps.js'
import { locateNativeHelper } from './native-helper.js'

/** What the gate said when a request failed: errno, the exit code to use, runc-style text. */
export class GateError extends TockerError {
  constructor(
    message: string,
    readonly errno: number,
    readonly gateExitCode: number,
  ) {
    super(message, { code: 'EGATE', exitCode: gateExitCode === 126 || gateExitCode === 127 ? gateExitCode : undefined, hint: cwdHint(message) })
  }
}

// The gate's refusals of a working directory (native-shims/shim/hygiene.c), explained.
const BREAKOUT_HINT = "The working directory led outside the container's root filesystem, so tocker refused to start the process (the check runc added after CVE-2024-21626): " +
  'use a directory inside the container for WorkingDir or -w. / 작업 디렉터리가 컨테이너의 루트 파일시스템 밖으로 이어져서 tocker가 프로세스 시작을 거부했습니다 ' +
  '(CVE-2024-21626 이후 runc가 넣은 검사): WorkingDir나 -w에는 컨테이너 안의 디렉터리를 쓰세요.'
const PROC_CWD_HINT = '/proc/<pid>/fd/N and the like name files that the process starting the container holds open; tocker closes every such fd before it changes directory, ' +
  'so they lead nowhere (a host directory reached this way was CVE-2024-21626): use an ordinary directory of the container. / ' +
  '/proc/<pid>/fd/N 같은 경로는 컨테이너를 시작하는 프로세스가 열어 둔 파일을 가리킵니다. tocker는 작업 디렉터리를 바꾸기 전에 그런 fd를 모두 닫으므로 ' +
  '이런 경로는 아무 데도 이어지지 않습니다 (이렇게 호스트 디렉터리에 닿은 것이 CVE-2024-21626): 컨테이너 안의 보통 디렉터리를 쓰세요.'

function cwdHint(message: string): string | undefined {
  if (message.includes('possible container breakout detected')) return BREAKOUT_HINT
  if (/chdir to cwd \("\/proc\//.test(message)) return PROC_CWD_HINT
  return undefined
}

let shimPath: string | undefined

/** native-shims/out/shim (TOCKER_SHIM overrides). */
export function locateShim(): string {
  return (shimPath ??= locateNativeHelper('shim', 'TOCKER_SHIM'))
}

let executable: { path: string; argv0: string } | undefined

/**
 * What the shim is started from: a sealed, read-only memfd copy of native-shims/out/shim, made
 * once per process (src/sys/memfd.ts says why), as /proc/self/fd/N; argv[0] stays the file's path
 * so `ps` shows what it is.
 */
export function shimExecutable(): { path: string; argv0: string } {
  if (executable) return executable
  const bin = locateShim()
  return (executable = { path: `/proc/self/fd/${sealedCopy(bin, 'tocker-shim')}`, argv0: bin })
}

/** Where preserved fds sit in the create shim (after stdio, the control and the exit socket). */
const PRESERVE_BASE = 5

export interface StdioFds {
  stdin: number | 'ignore'
  stdout: number | 'ignore'
  stderr: number | 'ignore'
}

export const INHERIT_STDIO: StdioFds = { stdin: 0, stdout: 1, stderr: 2 }

export interface SpawnedShim {
  child: ChildProcess
  channel: ShimChannel
}

export interface CreatedShim {
  /** Also reaps the shim's first process, which exits at once, once the second has reported. */
  channel: ShimChannel
  /** Our end of the exit socket: the shim writes its exit.json there last (see main.c). */
  exitFd: number
}

/** A file descriptor for each stdio entry ('ignore' becomes /dev/null); `opened` are ours to close. */
function stdioFds(stdio: StdioFds, opened: number[]): number[] {
  return [stdio.stdin, stdio.stdout, stdio.stderr].map((s, i) => {
    if (s !== 'ignore') return s
    const fd = openSync('/dev/null', i === 0 ? 'r' : 'w')
    opened.push(fd)
    return fd
  })
}

/**
 * create mode: start the shim with posix_spawn (no copy of Node's memory), the control socket as
 * its fd 3 and the exit socket as fd 4. The shim forks once and its first self exits at once: we
 * reap that one here, and the shim that stays is not our child. Synchronous: everything exists
 * when this returns, in whatever namespaces the calling thread is in.
 */
export function spawnCreateShim(args: string[], stdio: StdioFds, preserveFds: number[] = [], usernsFd?: number): CreatedShim {
  const { path, argv0 } = shimExecutable()
  const [ctlOurs, ctlTheirs] = socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC)
  const [exitOurs, exitTheirs] = socketpair(SOCK_STREAM | SOCK_CLOEXEC)
  const opened: number[] = [ctlTheirs, exitTheirs]
  let firstPid: number
  try {
    // Preserved fds (runc --preserve-fds, LISTEN_FDS) follow as fds 5, 6, ...: the gate moves them
    // down to 3, 4, ... just before execve (process.c).
    // The user namespace's fd (userns.ts) goes first, as fd 5.
    const userns = usernsFd === undefined ? [] : ['--userns-fd', String(PRESERVE_BASE)]
    const base = PRESERVE_BASE + (usernsFd === undefined ? 0 : 1)
    const preserve = preserveFds.length ? ['--preserve-base', String(base), '--preserve-fds', String(preserveFds.length)] : []
    const extra = usernsFd === undefined ? preserveFds : [usernsFd, ...preserveFds]
    firstPid = posixSpawn(path, [argv0, ...args, ...userns, ...preserve, '--exit-fd', '4'], [], [...stdioFds(stdio, opened), ctlTheirs, exitTheirs, ...extra], POSIX_SPAWN_SETSID)
  } catch (err) {
    closeSync(ctlOurs)
    closeSync(exitOurs)
    throw err
  } finally {
    for (const fd of opened) closeSync(fd)
  }
  return { channel: new ShimChannel(ctlOurs, firstPid), exitFd: exitOurs }
}

/**
 * userns mode (userns.ts): the holder of a new user namespace, our child; its stdio /dev/null. The
 * channel says R once its namespaces exist; closing it lets the holder exit (and reaps it).
 */
export function spawnHolder(args: string[]): { pid: number; channel: ShimChannel } {
  const { path, argv0 } = shimExecutable()
  const [ours, theirs] = socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC)
  const opened: number[] = [theirs]
  try {
    const pid = traced(
      'syscall',
      'posix_spawn',
      () => `${argv0} ${args.join(' ')} (the user namespace's holder)`,
      () => posixSpawn(path, [argv0, ...args], [], [...stdioFds({ stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' }, opened), theirs], 0),
      (p) => `pid ${p}`,
    )
    return { pid, channel: new ShimChannel(ours, pid) }
  } catch (err) {
    closeSync(ours)
    throw err
  } finally {
    for (const fd of opened) closeSync(fd)
  }
}

/**
 * exec mode: the shim becomes the exec'd process itself, so it is our child and we need its
 * exit status: child_process tracks it for us. `extraFds` become its fds 4, 5, ...
 */
export function spawnExecShim(args: string[], stdio: StdioFds, extraFds: number[] = []): SpawnedShim {
  const { path, argv0 } = shimExecutable()
  const [ours, theirs] = socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC)
  let child: ChildProcess
  try {
    child = traced(
      'exec',
      'spawn',
      () => `${argv0} ${args.join(' ')} (from ${path}, control socket on fd 3)`,
      () =>
        spawn(path, args, {
          argv0,
          detached: true, // its own session: the terminal's ^C goes to our caller, which forwards it
          stdio: [stdio.stdin, stdio.stdout, stdio.stderr, theirs, ...extraFds] as StdioOptions,
          env: {},
        }),
      (c) => `pid ${c.pid}`,
    )
  } finally {
    closeSync(theirs)
  }
  if (child.pid === undefined) {
    closeSync(ours)
    throw new TockerError(`cannot start ${argv0}`)
  }
  child.on('error', () => {}) // reported through the channel instead
  return { child, channel: new ShimChannel(ours) }
}

const MSG = { pid: 0x50, ready: 0x52, cgroupns: 0x43, mount: 0x4d, hooks: 0x48, spec: 0x53, go: 0x47, ok: 0x4b, error: 0x45, trace: 0x54 } // 'P' 'R' ...

/** The shim's arguments that make it report its steps (trace.c), when somebody listens here. */
export function shimTraceArgs(): string[] {
  return isTracing() ? ['--trace', '1'] : []
}

/**
 * A T message (the shim's, the gate's or exec's process's own step, see native-shims/shim/trace.c)
 * as a trace event: "<op>\0<detail>\0<result>\0<errno>\0<usec>\0<who>". Capability masks are
 * named; `describe` replaces the detail when the runtime knows better (a mount target it sent as
 * an fd path).
 */
export function shimTraceEvent(payload: Buffer, describe?: string): TraceEvent {
  const [op = '?', detail = '', result = '', errno = '0', usec = '0', who = 'shim'] = payload.toString().split('\0')
  const kind: TraceEvent['kind'] = op === 'mount' ? 'mount' : op === 'fork' || op === 'execve' ? 'exec' : 'syscall'
  return {
    kind,
    op,
    detail: describe ?? detail.replace(/caps=0x([0-9a-f]+)/g, (_, hex: string) => `${hex.replace(/^0+(?=.)/, '0x')} (${capabilitySummary(BigInt(`0x${hex}`))})`),
    result,
    failed: errno !== '0' || undefined,
    ms: Number(usec) > 0 ? Number(usec) / 1000 : undefined,
    by: who,
  }
}

function capabilitySummary(mask: bigint): string {
  const names = capabilityNames(mask)
  return names.length ? `${names.length}: ${names.map((n) => n.replace(/^CAP_/, '')).join(' ')}` : 'none'
}

export class ShimChannel {
  private readonly buf = Buffer.alloc(64 * 1024)
  private closed = false

  /** `firstPid`: create mode's short-lived first shim process, reaped once its successor reported. */
  constructor(
    readonly fd: number,
    private firstPid?: number,
  ) {}

  /** Reap the shim's first process (it exited right after forking the real shim). */
  private reapFirst(): void {
    if (this.firstPid === undefined) return
    const pid = this.firstPid
    this.firstPid = undefined
    waitpid(pid)
  }

  /** One message, or undefined at end of file (the other side is gone). */
  private receive(): Buffer | undefined {
    for (;;) {
      try {
        const n = readSync(this.fd, this.buf, 0, this.buf.length, null)
        return n === 0 ? undefined : Buffer.from(this.buf.subarray(0, n))
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        // ECONNRESET: the gate exited with a message of ours unread (G sent while it was
        // failing). The kernel reports that once, before the messages still queued for us
        // (its E among them): read again.
        if (code === 'EAGAIN' || code === 'EINTR' || code === 'ECONNRESET') continue
        throw err
      }
    }
  }

  private send(type: number, payload: Buffer | string = ''): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload
    writeSync(this.fd, Buffer.concat([Buffer.from([type]), body]))
  }

  // What has been heard so far. Messages come from two processes and are read whenever the
  // runtime needs one: P (the shim), R (the gate, once it is ready), then K or E for each request
  // sent to the gate, in order. Requests may be sent before R: the socket keeps them.
  private gatePid = 0
  private shimPid = 0
  private ready = false
  /** Requests sent to the gate whose answers have not been read yet; '' = report as is. */
  private readonly pending: string[] = []
  private failure: GateError | undefined

  /** Read and account for one message; throws at end of file or on an error outside a request. */
  private pump(waitingFor: string): void {
    const msg = this.receive()
    if (!msg) {
      this.reapFirst()
      throw new TockerError(`the container's first process exited before ${waitingFor}`)
    }
    switch (msg[0]) {
      case MSG.trace:
        this.traceReport(msg.subarray(1))
        return
      case MSG.pid:
        ;[this.gatePid, this.shimPid] = msg.subarray(1).toString().split(' ').map(Number)
        this.reapFirst() // the second shim is running, so the first has exited (or is exiting)
        return
      case MSG.ready:
        this.ready = true
        return
      case MSG.ok:
      case MSG.error: {
        // Before R, an error is the shim's or the gate's own (it could not start): fatal.
        if (msg[0] === MSG.error && !this.ready) throw parseError(msg)
        const what = this.pending.shift()
        if (what === undefined) throw new TockerError('the shim answered a request that was never made')
        if (msg[0] === MSG.error && !this.failure) {
          const err = parseError(msg)
          this.failure = what ? new GateError(`${what}: ${err.message.replace(/^mount \S+ on \S+: /, '')}`, err.errno, err.gateExitCode) : err
        }
        return
      }
      default:
        throw new TockerError(`unexpected message '${String.fromCharCode(msg[0])}' from the shim`)
    }
  }

  /**
   * create mode: the PIDs of the gate and of the shim (in our PID namespace), as soon as the shim
   * has reported them. The gate's own "ready" may come before or after; it is only needed before
   * pivot_root (the gate binds start.sock by a host path), and every answer of the gate to a
   * request comes after it, so flush() before pivot_root covers it.
   */
  expectPids(): { pid: number; shimPid: number } {
    while (!this.gatePid) this.pump('it reported its pid')
    return { pid: this.gatePid, shimPid: this.shimPid }
  }

  /** Like expectPids, and the gate is ready too. */
  expectPidAndReady(): { pid: number; shimPid: number } {
    while (!this.gatePid || !this.ready) this.pump('it was ready')
    return { pid: this.gatePid, shimPid: this.shimPid }
  }

  /** exec mode: the shim itself is the process; it says when it is ready. */
  expectReady(): void {
    while (!this.ready) this.pump('it was ready')
  }

  /**
   * Ask the gate to unshare a new cgroup namespace (no path) or join the one at `path`. Like
   * mount(), the answer is read later, by flush(): the gate works through its requests in order
   * while Node goes on with its own mounts, which saves a round trip between processes each.
   */
  cgroupNamespace(path?: string): void {
    this.send(MSG.cgroupns, path ?? '')
    this.pending.push('error entering the cgroup namespace')
  }

  /**
   * Ask the gate to mount(2) from inside the PID namespace (answer read by flush()). `shown`: how
   * the gate's trace report of it reads (it only knows the fd path it was sent).
   */
  mount(source: string, target: string, fstype: string, flags: number, data: string, what = `error mounting ${fstype}`, shown?: string): void {
    this.send(MSG.mount, [source, target, fstype, String(flags), data].join('\0') + '\0')
    this.pending.push(what)
    if (shown) this.describeNext('mount', shown)
  }

  /** The gate's next trace report of `op` reads `detail` (the runtime's fuller description). */
  describeNext(op: string, detail: string): void {
    const queue = this.described.get(op) ?? []
    queue.push(detail)
    this.described.set(op, queue)
  }

  /** What the runtime knows better than the gate about its next reports of an op (a mount's target, the filter's rules). */
  private readonly described = new Map<string, string[]>()
  /** exec: the process's execve report, held until we know whether it worked. */
  private execveReport: TraceEvent | undefined

  private traceReport(payload: Buffer): void {
    const e = shimTraceEvent(payload)
    const better = this.described.get(e.op)?.shift()
    if (better) e.detail = better
    if (e.op === 'execve' && !e.failed) {
      this.execveReport = e
      return
    }
    report(e)
  }

  /** The held execve report, with its outcome (the socket closed: it ran; or the gate's error). */
  private reportExecve(error?: GateError): void {
    const e = this.execveReport
    this.execveReport = undefined
    if (e) report(error ? { ...e, result: error.message, failed: true } : { ...e, result: 'ok (the process is now the program)' })
  }

  /** Have the gate run hooks now, inside the container's namespaces (hooks.c), and wait for it. */
  runHooks(encoded: string[]): void {
    this.send(MSG.hooks, encoded.join(''))
    this.pending.push('')
    this.flush()
  }

  /** Wait until the gate has done every request sent so far; the first failure throws. */
  flush(): void {
    while (this.pending.length) this.pump('it answered')
    if (this.failure) throw this.failure
  }

  /** Hand over the process to run; the gate prepares everything up to execve and answers. */
  sendSpec(encoded: Buffer): void {
    this.send(MSG.spec, encoded)
    this.pending.push('')
    this.flush()
  }

  /** sendSpec without waiting: the answer is read by the next flush() (or go()). */
  sendSpecLater(encoded: Buffer): void {
    this.send(MSG.spec, encoded)
    this.pending.push('')
  }

  /** exec mode: release the gate and wait until its execve succeeded (end of file) or failed. */
  go(): void {
    // G goes out first: the gate may still be preparing the process (sendSpecLater), and then
    // execs the moment it is done, without waiting for another round trip. If it failed, it
    // answered E and exited, and writing G finds the socket closed.
    try {
      this.send(MSG.go)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err
    }
    this.flush()
    // Its execve report (with --trace) comes first, then end of file (it ran) or E.
    let msg = this.receive()
    while (msg && msg[0] === MSG.trace) {
      this.traceReport(msg.subarray(1))
      msg = this.receive()
    }
    if (msg && msg[0] === MSG.error) {
      const err = parseError(msg)
      this.reportExecve(err)
      throw err
    }
    this.reportExecve()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
    this.reapFirst()
  }
}

/**
 * The start socket's answer (a stream: the gate frames its trace reports there as 'T', 8 hex
 * digits of length, payload): the reports as events, in order, and the error if it did not run.
 * An execve report is completed with the outcome, as ShimChannel does on the control socket.
 */
export function parseStartReply(reply: Buffer): { events: TraceEvent[]; error?: GateError } {
  const events: TraceEvent[] = []
  let at = 0
  while (at + 9 <= reply.length && reply[at] === MSG.trace) {
    const len = parseInt(reply.subarray(at + 1, at + 9).toString(), 16)
    if (!Number.isFinite(len) || at + 9 + len > reply.length) break
    events.push(shimTraceEvent(reply.subarray(at + 9, at + 9 + len)))
    at += 9 + len
  }
  const rest = reply.subarray(at)
  const error = rest.length > 0 && rest[0] === MSG.error ? parseError(rest) : undefined
  for (const e of events) {
    if (e.op === 'execve' && !e.failed) Object.assign(e, error ? { result: error.message, failed: true } : { result: 'ok (the process is now the program)' })
  }
  return { events, error }
}

/** "E<errno>\0<exit code>\0<message>" → GateError. */
export function parseError(msg: Buffer): GateError {
  const [errno, code, ...rest] = msg.subarray(1).toString().split('\0')
  return new GateError(rest.join(' '), Number(errno), Number(code))
}

export const GO_BYTE = MSG.go
export const ERROR_BYTE = MSG.error
