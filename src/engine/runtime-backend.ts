// The engine's runtime, through the runtime library (src/runtime/container.ts): the OCI spec a
// container gets from its image and options, created under a detached shim that relays its output
// into the json-file log, started, signalled, deleted. The runtime's state (pids, exit.json) lives
// in a state root of its own: /run/tocker/runtime for the default store (a tmpfs, like runc's: it
// is empty after a reboot, exactly when no container runs any more), <root>/runtime otherwise.
import { closeSync, constants, existsSync, mkdirSync, openSync, statSync, watch, writeFileSync, writeSync } from 'node:fs'
import { Socket } from 'node:net'
import { ReadStream } from 'node:tty'
import { setWindowSize } from '../sys/pty.js'
import { isTracing, traced } from '../trace/trace.js'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { assertLimitsSupported } from '../cgroups/index.js'
import { containerResolvConf, hostsFile } from '../network/etc-files.js'
import { containerState, createContainer, createContainerUnchecked, deleteContainer, exitStatus, killContainer, oomKillCount, startContainer, type Container } from '../runtime/container.js'
import type { Spec } from '../runtime/spec.js'
import { DEFAULT_STATE_ROOT, readState, STALE_STATE } from '../runtime/state.js'
import { processKernelView, type ProcessKernelView } from '../runtime/kernel-view.js'
import { openContainerRoot, type ContainerRoot, type RootWanted } from '../runtime/container-root.js'
import { hostFacts, type HostFacts } from '../runtime/host-facts.js'
import { execProcess, execStatus, removeExecStatus } from '../runtime/exec.js'
import { top, type TopResult } from '../runtime/top.js'
import { SOCK_CLOEXEC, SOCK_STREAM, socketpair } from '../sys/proc.js'
import { DEFAULT_ROOT } from '../store/layout.js'
import type { ExecHandle, ExecSpec, ExitRecord, ResolvedImage, RuntimeBackend, StartedProcess } from './backend.js'
import { parseLogFiles, parseLogSize } from './host-config.js'
import { ATTACH_PIN_FILES, LOG_DEFAULTS } from './logs.js'
import { isSameProcess, processStartTime, type ProcessIdentity } from '../sys/proc-stat.js'
import { containerDir, INIT_LAYER, type ContainerRecord } from './state.js'
import { containerSpec, networkMode } from './container-spec.js'

/** FIFOs in the container's directory, made by the shim (native-shims/shim/logs.c). */
const STDIN_FIFO = 'stdin'
const RESIZE_FIFO = 'resize'

export class EngineRuntime implements RuntimeBackend {
  readonly stateRoot: string
  /**
   * Containers this engine created whose gate it has not released yet: their control socket is
   * still ours, and begin releases the gate over it (one write, the gate's execve seen as end of
   * file), not through start.sock (state.json read and checked, a connection made and accepted:
   * 1.5-4 ms more on run's path). Should the engine die meanwhile, the gate sees end of file
   * after the state was saved and waits on start.sock, as after a detach (gate.c state_saved).
   */
  readonly #created = new Map<string, Container>()
  constructor(readonly root: string) {
    this.stateRoot = root.replace(/\/+$/, '') === DEFAULT_ROOT ? DEFAULT_STATE_ROOT : join(root, 'runtime')
  }

  hostFacts(): HostFacts {
    return hostFacts(this.root)
  }

  dir(rec: ContainerRecord): string {
    return containerDir(join(this.root, 'containers'), rec.Id)
  }

  /** inotify on the directory where the shim writes exit.json. */
  watchExit(rec: ContainerRecord, onChange: () => void): { close(): void } | undefined {
    try {
      const w = watch(join(this.stateRoot, rec.Id), onChange)
      w.on('error', () => {})
      return w
    } catch {
      return undefined
    }
  }

  async top(rec: ContainerRecord, psArgs: string): Promise<TopResult> {
    return top(rec.Init!.pid, psArgs)
  }

  async prepare(rec: ContainerRecord, _image: ResolvedImage): Promise<void> {
    const dir = this.dir(rec)
    traced('fs', 'mkdir', () => `${dir}/{rootfs,upper,work,init} (upper/ = the writable layer, empty; init/ = the mount points /proc, /sys, /dev, /etc/hosts… as a read-only layer below it; rootfs/ = where the overlay goes)`, () => {
      for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 })
      makeInitLayer(join(dir, INIT_LAYER))
    })
    const mode = networkMode(rec)
    traced('fs', 'write', () => `${dir}/config.json (the OCI bundle's spec: process, namespaces, mounts, limits) + hostname, hosts, resolv.conf`, () => {
      writeFileSync(join(dir, 'hostname'), `${rec.Config.Hostname}\n`)
      writeFileSync(join(dir, 'hosts'), hostsFile({ hostname: rec.Config.Hostname!, mode }))
      writeFileSync(join(dir, 'resolv.conf'), containerResolvConf(mode))
      // The bundle's config.json, for learners to read (the runtime gets the same spec in memory).
      writeFileSync(join(dir, 'config.json'), JSON.stringify(this.spec(rec), null, 2) + '\n')
    })
  }

  /** The OCI spec: Docker's defaults, the image's config and the user's options (container-spec.ts). */
  spec(rec: ContainerRecord): Spec {
    return containerSpec(rec, this.root, this.dir(rec))
  }

  checkLimits(hc: ContainerRecord['HostConfig']): void {
    assertLimitsSupported({
      memoryBytes: hc.Memory || undefined,
      memorySwapBytes: hc.MemorySwap || undefined,
      cpus: hc.NanoCpus ? hc.NanoCpus / 1e9 : undefined,
      cpuShares: hc.CpuShares || undefined,
      pidsLimit: hc.PidsLimit && hc.PidsLimit > 0 ? hc.PidsLimit : undefined,
    })
  }

  async create(rec: ContainerRecord): Promise<StartedProcess> {
    const dir = this.dir(rec)
    // -v with a host directory that does not exist: Docker makes it (--mount type=bind refuses at create).
    for (const p of rec.MountPlans ?? []) if (p.Type === 'bind' && p.CreateSource && !existsSync(p.Source)) mkdirSync(p.Source, { recursive: true, mode: 0o755 })
    // A previous run's state dir (deleted at exit, unless the engine died before it could).
    await this.cleanup(rec)
    const opts = rec.HostConfig.LogConfig?.Config ?? {}
    // Unchecked: the gate prepares the process (user, capabilities, cwd, the program found) while
    // the engine attaches the network, 0.5-1.5 ms it waited for before. A gate that refuses the
    // process exits, and the attach may then fail first, on its namespace gone: the start asks
    // check() for the gate's word then (lifecycle.ts), and begin() hears it otherwise. Traced, the
    // create waits, so that --explain tells the gate's steps before the network's, as they happen.
    const c = await (isTracing() ? createContainer : createContainerUnchecked)({
      id: rec.Id,
      bundle: { path: dir, spec: this.spec(rec) },
      stateRoot: this.stateRoot,
      log: {
        dir,
        name: `${rec.Id}-json.log`,
        // Checked at create (host-config.ts); the shim gets plain numbers.
        maxSize: String(parseLogSize(opts['max-size'] ?? LOG_DEFAULTS.maxSize)),
        maxFile: opts['max-file'] !== undefined ? parseLogFiles(opts['max-file']) : LOG_DEFAULTS.maxFile,
        // While an attach pins the log, the shim keeps the names its follower looks at.
        pinFiles: ATTACH_PIN_FILES,
        tty: !!rec.Config.Tty,
        stdinFifo: rec.Config.OpenStdin ? STDIN_FIFO : undefined,
        stdinOnce: !!rec.Config.StdinOnce,
        resizeFifo: rec.Config.Tty ? RESIZE_FIFO : undefined,
        // Docker's CLI sends its terminal's size with the create (API 1.42+): the pty has it
        // before the program runs, not only after a resize that may come after the first keys.
        ttySize: rec.Config.Tty && rec.HostConfig.ConsoleSize?.[0] && rec.HostConfig.ConsoleSize[1] ? { rows: rec.HostConfig.ConsoleSize[0], cols: rec.HostConfig.ConsoleSize[1] } : undefined,
      },
    })
    this.#created.set(rec.Id, c)
    return {
      shim: { pid: c.shimPid, startTime: processStartTime(c.shimPid) ?? 0 },
      init: { pid: c.pid, startTime: processStartTime(c.pid) ?? 0 },
    }
  }

  check(rec: ContainerRecord): void {
    this.#created.get(rec.Id)?.check()
  }

  async begin(rec: ContainerRecord): Promise<void> {
    const c = this.#created.get(rec.Id)
    if (!c) return startContainer(rec.Id, { stateRoot: this.stateRoot })
    this.#created.delete(rec.Id)
    try {
      await c.start()
    } finally {
      // The shim is our child only by accident of birth: let it (and the container) outlive us.
      c.detach()
    }
  }

  isRunning(id: ProcessIdentity | undefined): boolean {
    return isSameProcess(id)
  }

  readExit(rec: ContainerRecord): ExitRecord | undefined {
    const e = exitStatus(rec.Id, { stateRoot: this.stateRoot })
    if (!e) return undefined
    // Docker's OOMKilled: the kernel's OOM killer ended a process of this container during the
    // run (its cgroup still exists here: cleanup removes it after the exit is recorded).
    return { exitCode: e.exitCode, finishedAt: e.finishedAt, oomKilled: (oomKillCount(rec.Id, { stateRoot: this.stateRoot }) ?? 0) > 0 }
  }

  signal(rec: ContainerRecord, signal: number): void {
    try {
      killContainer(rec.Id, signal, { stateRoot: this.stateRoot })
    } catch (err) {
      // Already stopped (or its state is gone): nothing to signal, as kill(2)'s ESRCH.
      if ((err as TockerError).code === 'ESTATE' || (err as TockerError).code === 'ENOENT') {
        throw new TockerError('no such process', { code: 'ESRCH', internal: true, cause: err })
      }
      throw err
    }
  }

  /**
   * exec -t: a pty of the container's own devpts, whose slave is the process's stdin/stdout/stderr
   * and controlling terminal, and whose master the engine streams to the client, raw. The process
   * opens the container's /dev/ptmx itself, after it joined the container's mount namespace, and
   * sends the master back (ExecOptions.terminal, as runc exec -t does): the engine never opens a
   * path the container controls, and a container without a devpts of its own gets an error, never
   * one of the host's ptys. If the engine goes away, so does the master, and the process gets
   * SIGHUP: an exec session ends with it.
   */
  async #execTty(rec: ContainerRecord, spec: ExecSpec): Promise<ExecHandle> {
    const p = await execProcess(rec.Id, {
      stateRoot: this.stateRoot,
      statusName: spec.id,
      args: spec.args,
      env: spec.env.some((e) => e.startsWith('TERM=')) ? spec.env : [...spec.env, 'TERM=xterm'],
      cwd: spec.cwd,
      user: spec.user,
      // The size comes with the client's first resize.
      terminal: { rows: 0, cols: 0 },
      stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' },
    })
    p.detach()
    if (p.console === undefined) throw new TockerError('exec -t: the process sent no terminal', { code: 'ERUNTIME', internal: true })
    const pty = { master: p.console }
    const master = new ReadStream(pty.master)
    // The master reads EIO once the last process holding the slave is gone: that is its end.
    master.on('error', () => master.destroy())
    return {
      pid: p.pid,
      shim: { pid: p.shimPid, startTime: processStartTime(p.shimPid) ?? 0 },
      stdout: master,
      stdin: master,
      resize: (rows, cols) => {
        try {
          setWindowSize(pty.master, rows, cols)
        } catch {
          /* closed */
        }
      },
      exited: p.wait().finally(() => setTimeout(() => master.destroy(), 100)),
    }
  }

  /**
   * The write end of the container's stdin FIFO (the shim reads it and feeds the container). It
   * appears when the container is created, so an attach made just before `start` waits for it.
   */
  async openStdin(rec: ContainerRecord): Promise<NodeJS.WritableStream | undefined> {
    const path = join(this.dir(rec), STDIN_FIFO)
    for (let delay = 5, waited = 0; waited < 30_000; waited += delay, delay = Math.min(delay * 2, 100)) {
      try {
        // O_NONBLOCK: fail (ENXIO) instead of hanging when no shim is reading the FIFO.
        const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)
        return new Socket({ fd, readable: false, writable: true })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'ENOENT' && code !== 'ENXIO') throw err
      }
      await new Promise((r) => setTimeout(r, delay))
    }
    return undefined
  }

  /** -t: the pty's window size, through the shim's resize FIFO (the shim holds the pty master). */
  resize(rec: ContainerRecord, rows: number, cols: number): void {
    try {
      const fd = openSync(join(this.dir(rec), RESIZE_FIFO), constants.O_WRONLY | constants.O_NONBLOCK)
      try {
        writeSync(fd, `${rows} ${cols}\n`)
      } finally {
        closeSync(fd)
      }
    } catch {
      /* no pty, or the container is ending */
    }
  }

  async cleanup(rec: ContainerRecord): Promise<void> {
    // A start that failed before begin: the gate's control socket goes (it is killed below).
    this.#created.get(rec.Id)?.detach()
    this.#created.delete(rec.Id)
    try {
      await deleteContainer(rec.Id, { stateRoot: this.stateRoot, force: true })
    } catch (err) {
      if ((err as TockerError).code !== 'ENOENT') throw err
    }
  }

  async destroy(_rec: ContainerRecord): Promise<void> {
    // The container's directory (record, upper/work, log) goes with the engine's removeContainerDir.
  }

  /**
   * A process in the container's namespaces and cgroup (the runtime's execProcess). Attached, its
   * stdio are unix socketpairs whose other ends the engine streams to the client; detached, it
   * gets /dev/null as Docker's exec -d does.
   */
  async exec(rec: ContainerRecord, spec: ExecSpec, attached: boolean): Promise<ExecHandle> {
    if (spec.tty && attached) return this.#execTty(rec, spec)
    const ours: Socket[] = []
    const theirs: number[] = []
    const pair = (): number => {
      const [a, b] = socketpair(SOCK_STREAM | SOCK_CLOEXEC)
      ours.push(new Socket({ fd: a, readable: true, writable: true }))
      theirs.push(b)
      return b
    }
    const stdio = attached
      ? { stdin: spec.stdin ? pair() : ('ignore' as const), stdout: pair(), stderr: pair() }
      : { stdin: 'ignore' as const, stdout: 'ignore' as const, stderr: 'ignore' as const }
    let p
    try {
      p = await execProcess(rec.Id, { stateRoot: this.stateRoot, statusName: spec.id, args: spec.args, env: spec.env, cwd: spec.cwd, user: spec.user, stdio })
    } catch (err) {
      for (const s of ours) s.destroy()
      throw err
    } finally {
      for (const fd of theirs) closeSync(fd)
    }
    p.detach()
    const [stdin, stdout, stderr] = spec.stdin && attached ? ours : [undefined, ...ours]
    return { pid: p.pid, shim: { pid: p.shimPid, startTime: processStartTime(p.shimPid) ?? 0 }, stdin, stdout, stderr, exited: p.wait() }
  }

  processes(rec: ContainerRecord): StartedProcess | undefined {
    let st
    try {
      st = readState(this.stateRoot, rec.Id)
    } catch (err) {
      // None, or one cut short by the crash that ended the previous boot (its processes are gone).
      if ((err as TockerError).code === 'ENOENT' || (err as TockerError).code === STALE_STATE) return undefined
      throw err
    }
    if (!st?.pid || !st.shimPid) return undefined
    return { shim: { pid: st.shimPid, startTime: st.shimStartTime }, init: { pid: st.pid, startTime: st.pidStartTime } }
  }

  hasState(rec: ContainerRecord): boolean {
    return existsSync(join(this.stateRoot, rec.Id))
  }

  releasedAt(rec: ContainerRecord): string | undefined {
    let state
    try {
      state = containerState(rec.Id, { stateRoot: this.stateRoot })
    } catch (err) {
      if ((err as TockerError).code === 'ENOENT') return undefined
      throw err
    }
    if (state.status !== 'running') return undefined
    // Releasing the gate unlinks <state>/start.sock: the state dir's mtime is that moment.
    return statSync(join(this.stateRoot, rec.Id)).mtime.toISOString()
  }

  async openRoot(rec: ContainerRecord, want: RootWanted): Promise<ContainerRoot> {
    const dir = this.dir(rec)
    const init = join(dir, INIT_LAYER)
    const lowerDirs = [...(existsSync(init) ? [init] : []), ...rec.LowerDirs]
    return openContainerRoot({ id: rec.Id, init: rec.State.Running ? rec.Init : undefined, lowerDirs, dir }, want)
  }

  async kernel(rec: ContainerRecord): Promise<ProcessKernelView> {
    if (!rec.Init) throw new TockerError(`Container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
    const st = readState(this.stateRoot, rec.Id)
    return processKernelView(rec.Init, { cgroupDir: st?.cgroupPath })
  }

  forgetExec(rec: ContainerRecord, execId: string): void {
    removeExecStatus(rec.Id, execId, { stateRoot: this.stateRoot })
  }

  readExecExit(rec: ContainerRecord, execId: string): ExitRecord | undefined {
    const e = execStatus(rec.Id, execId, { stateRoot: this.stateRoot })
    return e ? { exitCode: e.exitCode, finishedAt: e.finishedAt } : undefined
  }
}

/**
 * Docker's "-init" layer: the mount points the runtime needs in every container's root (/proc,
 * /sys, /dev, and the files /etc/hosts, /etc/hostname, /etc/resolv.conf are bind-mounted onto),
 * made in a read-only layer of their own between the image and the container's writable layer.
 * Without it the runtime would create them in the writable layer whenever the image lacks them,
 * and every `diff`, `commit` and build step would carry them (and a copy of /etc with them).
 */
function makeInitLayer(dir: string): void {
  for (const d of ['', 'proc', 'sys', 'dev', 'etc']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 })
  for (const f of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf']) writeFileSync(join(dir, f), '', { mode: 0o644 })
}

export async function createRuntimeBackend(root: string): Promise<RuntimeBackend> {
  return new EngineRuntime(root)
}
