// The control socket to the shim and its gate: a SOCK_SEQPACKET socketpair, so every message keeps
// its boundaries and the shim (which reports the PID of the gate it forked) and the gate (which
// answers requests) can share it. Node reads it with plain blocking read(2)s: the runtime is inside
// the container's namespaces while it talks to the gate, and there only synchronous calls are allowed.
import { closeSync, readSync, writeSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { waitpid } from '../sys/spawn.js'
import { report, type TraceEvent } from '../trace/trace.js'
import { GateError, parseError } from './gate-error.js'
import { MSG, shimTraceEvent } from './shim-messages.js'

/**
 * What create asks of its shim and gate over the channel: the seam a unit test's recording fake
 * implements (test/unit/fakes/shim.ts, installed with useCreateShim).
 */
export type CreateChannel = Pick<ShimChannel, 'expectPids' | 'expectPidAndReady' | 'cgroupNamespace' | 'mount' | 'chroot' | 'describeNext' | 'runHooks' | 'flush' | 'sendSpec' | 'sendSpecLater' | 'stateSaved' | 'go' | 'close'>

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
  /**
   * create with --cgroup, exec with --cgroup-fd (expectPids' and expectPidAndReady's `cgroup`): how
   * the gate or exec's process got into the container's cgroup: "born" (forked into it: clone3
   * CLONE_INTO_CGROUP), or the errno name of the kernel's refusal (it was fork()ed where the shim
   * is, and the runtime must move it).
   */
  private cgroupHow: string | undefined
  /** Requests sent to the gate whose answers have not been read yet; '' = report as is. */
  private readonly pending: string[] = []
  private failure: GateError | undefined

  /** Read and account for one message; throws at end of file or on an error outside a request. */
  private pump(waitingFor: string): void {
    const msg = this.receive()
    if (!msg) {
      this.reapFirst()
      throw new TockerError(`the container's first process exited before ${waitingFor}`, { code: 'ERUNTIME' })
    }
    switch (msg[0]) {
      case MSG.trace:
        this.traceReport(msg.subarray(1))
        return
      case MSG.pid: {
        const [gate, shim, cgroup] = msg.subarray(1).toString().split(' ')
        ;[this.gatePid, this.shimPid] = [Number(gate), Number(shim)]
        this.cgroupHow = cgroup
        this.reapFirst() // the second shim is running, so the first has exited (or is exiting)
        return
      }
      case MSG.ready:
        this.ready = true
        return
      case MSG.ok:
      case MSG.error: {
        // Before R, an error is the shim's or the gate's own (it could not start): fatal.
        if (msg[0] === MSG.error && !this.ready) throw parseError(msg)
        const what = this.pending.shift()
        if (what === undefined) throw new TockerError('the shim answered a request that was never made', { code: 'ERUNTIME' })
        if (msg[0] === MSG.error && !this.failure) {
          const err = parseError(msg)
          this.failure = what ? new GateError(`${what}: ${err.message.replace(/^mount \S+ on \S+: /, '')}`, err.errno, err.gateExitCode) : err
        }
        return
      }
      default:
        throw new TockerError(`unexpected message '${String.fromCharCode(msg[0])}' from the shim`, { code: 'ERUNTIME' })
    }
  }

  /**
   * create mode: the PIDs of the gate and of the shim (in our PID namespace), as soon as the shim
   * has reported them. The gate's own "ready" may come before or after; it is only needed before
   * pivot_root (the gate binds start.sock by a host path), and every answer of the gate to a
   * request comes after it, so flush() before pivot_root covers it.
   */
  expectPids(): { pid: number; shimPid: number; cgroup?: string } {
    while (!this.gatePid) this.pump('it reported its pid')
    return { pid: this.gatePid, shimPid: this.shimPid, cgroup: this.cgroupHow }
  }

  /** Like expectPids, and the gate is ready too. */
  expectPidAndReady(): { pid: number; shimPid: number; cgroup?: string } {
    while (!this.gatePid || !this.ready) this.pump('it was ready')
    return { pid: this.gatePid, shimPid: this.shimPid, cgroup: this.cgroupHow }
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

  /**
   * Have the gate chroot() into `rootfs` (answer read by flush()): instead of pivot_root, for a
   * container that shares the caller's mount namespace (shared-mounts.ts, gate.c do_chroot).
   */
  chroot(rootfs: string): void {
    this.send(MSG.chroot, rootfs)
    this.pending.push(`error entering the root ${rootfs}`)
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

  /**
   * create mode: state.json is on disk, so the gate may outlive us now (it waits for `start`).
   * Until it hears this, end of file on the control socket makes it exit: a creator that died
   * before saving the state would leave a container nobody knows of (gate.c state_saved). One
   * write, no answer: no round trip. A gate that already failed (its E waits for flush()) is gone,
   * and the write finds the socket closed.
   */
  stateSaved(): void {
    try {
      this.send(MSG.saved)
    } catch (err) {
      if (!peerGone(err)) throw err
    }
  }

  /** exec mode: release the gate and wait until its execve succeeded (end of file) or failed. */
  go(): void {
    // G goes out first: the gate may still be preparing the process (sendSpecLater), and then
    // execs the moment it is done, without waiting for another round trip. If it failed, it
    // answered E and exited, and writing G finds the socket closed.
    try {
      this.send(MSG.go)
    } catch (err) {
      if (!peerGone(err)) throw err
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
 * A write to a gate that has exited (after its E, which flush() reads): EPIPE, or ECONNRESET when
 * it exited with messages of ours still unread in its queue (a UNIX socket whose peer closes with
 * data unread resets: unix_release_sock; seen when the spec failed, e.g. exec permission denied).
 */
function peerGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'EPIPE' || code === 'ECONNRESET'
}
