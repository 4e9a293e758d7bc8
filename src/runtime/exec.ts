// exec: run another process in a running container, `runc exec` / `docker exec`.
//
// The new process must be in *all* of the container's namespaces and its cgroup. Node's main
// thread setns()es into its IPC, UTS and network namespaces and spawns the shim in exec mode; the
// shim joins the mount namespace, then the PID namespace, and forks the process into the
// container's cgroup (clone3 CLONE_INTO_CGROUP where the kernel can, as PID 1 is: no cgroup.procs
// write, no RCU grace period), which joins the cgroup namespace itself, once born (exec-mode.c
// says why), and gets the same preparation as PID 1 (user, capabilities, cwd, ...). Why not Node for the mount
// namespace: the shim would then be started by a path looked up inside the container's root,
// which the container controls. Why not Node for the PID namespace: the shim would then be a
// process of the container (visible in its /proc) while its root is still the host's
// (native-shims/shim/main.c, exec_mode).
import type { ChildProcess } from 'node:child_process'
import { closeSync, constants, mkdirSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { constants as osConstants } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { TockerError } from '../errors.js'
import { flock, LOCK_NB, LOCK_SH } from '../sys/fs.js'
import { setns } from '../sys/ns.js'
import { kill, receiveFd, SOCK_CLOEXEC, SOCK_SEQPACKET, socketpair } from '../sys/proc.js'
import { O_DIRECTORY, O_PATH } from '../sys/mount.js'
import type { ManagedCgroup } from '../cgroups/index.js'
import { note } from '../trace/trace.js'
import { openContainerCgroup } from './cgroup.js'
import { NAMESPACES, restoreNamespaces, saveNamespaces, warmThreadpool } from './namespaces.js'
import { encodeProcess, processEnv } from './process-spec.js'
import { RootDir } from './root-dir.js'
import { compileSeccomp, seccompHandover } from './seccomp/compile.js'
import { INHERIT_STDIO, shimTraceArgs, spawnExecShim, type ShimChannel, type StdioFds } from './shim.js'
import type { NamespaceType, Process } from './spec.js'
import { mergeEnv } from './env.js'
import { DEFAULT_STATE_ROOT, execStatusDir, readState, stateDir, statusOf, type ExitStatus } from './state.js'
import { resolveUser } from './user.js'
import { sharesMountNamespace } from './shared-mounts.js'
import { appArmorProfile } from './apparmor.js'

export interface ExecOptions {
  stateRoot?: string
  args: string[]
  /** Added to the container's environment (same names replace). */
  env?: string[]
  /** Default: the container process's cwd. */
  cwd?: string
  /** "uid[:gid]" or "name[:group]"; default: the container process's user. */
  user?: string
  /**
   * The whole process instead of args/env/cwd/user on top of the container's (runc exec
   * --process FILE, or what its flags made of the container's process).
   */
  process?: Process
  stdio?: StdioFds
  /** process.terminal: the caller's unix socket; the pty master is sent there (runc --console-socket). */
  consoleSocket?: string
  /**
   * A terminal whose master the caller keeps (the engine's exec -t): the process gets
   * process.terminal of this size, from the container's own devpts, and ExecProcess.console is the
   * master. As runc does it: the process opens the container's /dev/ptmx after joining its mount
   * namespace and sends the master back over a socketpair (SCM_RIGHTS, console.c), so the slave
   * is a /dev/pts/N the container sees, never one of the host's ptys.
   */
  terminal?: { rows: number; cols: number }
  /** runc exec -d: the shim leaves once the process runs; it goes to the caller's subreaper. */
  detach?: boolean
  /** fds of this process the new one gets as 3, 4, ... (runc --preserve-fds). */
  preserveFds?: number[]
  /** runc exec --cgroup: a cgroup below the container's to put the process in (cgroup v2). */
  subCgroup?: string
  /** runc exec refuses a paused container unless told (--ignore-paused). */
  ignorePaused?: boolean
  warn?: (message: string) => void
  /**
   * Also record the exit status as <state dir>/execs/<statusName>.json (see execStatus), for
   * whoever was not there to see the process end (an engine restarted meanwhile).
   */
  statusName?: string
}

export interface ExecProcess {
  /** Its PID as the host sees it (the shim's child; the shim exits with its status). */
  pid: number
  /** The shim waiting for it (outside the container: it writes the status, then exits with it). */
  shimPid: number
  /** With ExecOptions.terminal: the pty's master (ours to close). */
  console?: number
  /** Its exit code (128+n for a signal). */
  wait(): Promise<number>
  /** Let this process exit without waiting for it. */
  detach(): void
}

/** The namespaces Node joins for exec (mount and pid by the shim, cgroup by the process: see above). */
const JOINED: NamespaceType[] = ['ipc', 'uts', 'network']

export async function execProcess(id: string, o: ExecOptions): Promise<ExecProcess> {
  const stateRoot = o.stateRoot ?? DEFAULT_STATE_ROOT
  const st = readState(stateRoot, id)
  if (!st) throw new TockerError(`container ${id} is still being created`, { code: 'ECONFLICT' })
  const status = statusOf(stateRoot, st)
  if (status === 'stopped') throw new TockerError(`cannot exec in a stopped container`, { code: 'ECONFLICT' })
  if (status === 'paused' && !o.ignorePaused) throw new TockerError('cannot exec in a paused container (use --ignore-paused to override)', { code: 'ECONFLICT' })

  const proc: Process = o.process ?? {
    ...st.process,
    args: o.args,
    env: mergeEnv(st.process.env ?? [], o.env ?? []),
    cwd: o.cwd ?? st.process.cwd,
    user: o.user ? { uid: 0, gid: 0, username: o.user } : st.process.user,
    ...(o.terminal ? { terminal: true, consoleSize: { height: o.terminal.rows, width: o.terminal.cols } } : {}),
  }
  if (!proc.args?.length) throw new TockerError('args must not be empty', { code: 'EINVALID' })
  if (o.terminal && (o.process || o.consoleSocket)) throw new TockerError("terminal: the master is ours or the console socket's, not both", { code: 'EINVALID', internal: true })
  if (proc.terminal && !o.consoleSocket && !o.terminal) throw new TockerError('cannot allocate tty if runc will detach without setting console socket', { code: 'EINVALID' })
  const cgroup = o.subCgroup ? subCgroupOf(st.cgroupPath, o.subCgroup) : openContainerCgroup(st.cgroupPath)
  await warmThreadpool()
  // The container's own filter, for every process that enters it (as runc exec does).
  const filter = st.seccomp ? await compileSeccomp(st.seccomp) : undefined

  // The container's user database, read inside its root (through /proc/<pid>/root).
  const rootDir = RootDir.open(`/proc/${st.pid}/root`)
  let encoded: Buffer
  try {
    const user = resolveUser(proc.user, (p) => rootDir.readFile(p))
    encoded = encodeProcess(proc, user, processEnv(proc, user), filter, {
      terminal: proc.terminal ? { rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0, console: false } : undefined,
      keyring: st.keyring,
      apparmor: appArmorProfile(proc.apparmorProfile, o.warn),
    })
  } finally {
    rootDir.close()
  }

  const statusFd = o.statusName === undefined ? undefined : openExecStatusDir(stateRoot, id, o.statusName)
  const nsFds = JOINED.map((type) => ({ type, fd: openSync(`/proc/${st.pid}/ns/${NAMESPACES[type].file}`, 'r') }))
  const mntFd = openSync(`/proc/${st.pid}/ns/mnt`, 'r')
  const pidFd = openSync(`/proc/${st.pid}/ns/pid`, 'r')
  const cgroupnsFd = openSync(`/proc/${st.pid}/ns/cgroup`, 'r')
  // The cgroup (v2: openContainerCgroup checks) the process is born in, named by an fd: the shim
  // opens no host path once in the container's mount namespace.
  const cgroupFd = cgroup ? openSync(cgroup.path, O_PATH | O_DIRECTORY) : undefined
  // A user namespace of the container's own (userns.ts): the process enters it last, right before it
  // takes its uid (process.c), as PID 1 did.
  const usernsFd = readlinkSync(`/proc/${st.pid}/ns/user`) !== readlinkSync('/proc/self/ns/user') ? openSync(`/proc/${st.pid}/ns/user`, 'r') : undefined
  // No mount namespace of its own (shared-mounts.ts): joining the namespace does not give PID 1's
  // root (a chroot); the shim chroot()s into it, through this fd.
  const rootFd = sharesMountNamespace(stateDir(stateRoot, id)) ? openSync(`/proc/${st.pid}/root`, O_PATH | O_DIRECTORY) : undefined
  // -t for the caller: our end receives the master, the other goes to the shim (--console-fd).
  const consolePair = o.terminal ? socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC) : undefined
  let child: ChildProcess | undefined
  let channel: ShimChannel | undefined
  let spawned = false
  try {
    const saved = saveNamespaces(JOINED)
    try {
      for (const { type, fd } of nsFds) setns(fd, NAMESPACES[type].flag, `/proc/${st.pid}/ns/${NAMESPACES[type].file}`)
      const args = ['exec', '--mntns-fd', '4', '--pidns-fd', '5']
      if (statusFd !== undefined) args.push('--status-dir-fd', '6', '--status-name', o.statusName!)
      const extra = statusFd === undefined ? [mntFd, pidFd] : [mntFd, pidFd, statusFd]
      args.push('--cgroupns-fd', String(4 + extra.push(cgroupnsFd) - 1))
      if (cgroupFd !== undefined) args.push('--cgroup-fd', String(4 + extra.push(cgroupFd) - 1))
      if (usernsFd !== undefined) args.push('--userns-fd', String(4 + extra.push(usernsFd) - 1))
      if (consolePair) args.push('--console-fd', String(4 + extra.push(consolePair[1]) - 1))
      if (rootFd !== undefined) args.push('--root-fd', String(4 + extra.push(rootFd) - 1))
      if (o.preserveFds?.length) args.push('--preserve-base', String(4 + extra.length), '--preserve-fds', String(o.preserveFds.length))
      if (o.consoleSocket) args.push('--console-socket', o.consoleSocket)
      if (o.detach) args.push('--detach', '1')
      args.push(...shimTraceArgs())
      // A time namespace of the container's own: the shim joins it too (Node's threads cannot).
      if (readlinkSync(`/proc/${st.pid}/ns/time`) !== readlinkSync('/proc/self/ns/time')) args.push('--timens', `/proc/${st.pid}/ns/time`)
      ;({ child, channel } = spawnExecShim(args, o.stdio ?? INHERIT_STDIO, [...extra, ...(o.preserveFds ?? [])]))
      spawned = true
    } finally {
      restoreNamespaces(saved)
    }
  } finally {
    for (const { fd } of nsFds) closeSync(fd)
    closeSync(mntFd)
    closeSync(pidFd)
    closeSync(cgroupnsFd)
    if (cgroupFd !== undefined) closeSync(cgroupFd)
    if (statusFd !== undefined) closeSync(statusFd)
    if (usernsFd !== undefined) closeSync(usernsFd)
    if (consolePair) closeSync(consolePair[1])
    if (consolePair && !spawned) closeSync(consolePair[0])
    if (rootFd !== undefined) closeSync(rootFd)
  }

  let pid: number
  let consoleFd: number | undefined
  try {
    // The shim joins the mount and PID namespaces itself (see the top of this file) and reports it
    // (with --trace): /proc/<pid>/ns/mnt, then pid, then the fork.
    channel.describeNext('setns', `/proc/${st.pid}/ns/mnt, CLONE_NEWNS (by the shim, pid ${child.pid}, its first act)`)
    channel.describeNext('setns', `/proc/${st.pid}/ns/pid, CLONE_NEWPID (by the shim, for the process it forks)`)
    channel.describeNext('setns', `/proc/${st.pid}/ns/cgroup, CLONE_NEWCGROUP (by the process, once in its cgroup)`)
    let how: string | undefined
    ;({ pid, cgroup: how } = channel.expectPidAndReady())
    if (cgroup) placeExec(cgroup, pid, how)
    if (st.seccomp && filter) channel.describeNext('seccomp', seccompHandover(st.seccomp, filter, !!proc.noNewPrivileges))
    channel.sendSpec(encoded)
    // The process set its terminal up before it answered the spec: the master is queued.
    if (consolePair) consoleFd = receiveFd(consolePair[0], "the exec's pty master")
    channel.go()
  } catch (err) {
    if (consoleFd !== undefined) closeSync(consoleFd)
    if (consolePair) closeSync(consolePair[0])
    channel.close()
    // The exec'd process ends when the channel closes (a refused one has ended already), and the
    // shim reaps it and ends: wait for that, so that the error is answered once the process is gone.
    // Killing the shim first orphaned the process to the container's PID 1: a `ps` in the container
    // right after the answer listed a dying "[tocker-exec]" (CI's lab guide run, chapter 4), and a
    // PID 1 that never reaps would keep it as a zombie. A shim that does not end soon is killed.
    const shim = child!
    const ended = shimExit(shim).then(() => true)
    if (!(await Promise.race([ended, sleep(1000, false, { ref: false })]))) {
      kill(shim.pid!, 9)
      await Promise.race([ended, sleep(5000, undefined, { ref: false })])
    }
    throw err
  }
  channel.close()
  if (consolePair) closeSync(consolePair[0])
  const c = child
  const exited = shimExit(c)
  return { pid, shimPid: c.pid!, console: consoleFd, wait: () => exited, detach: () => c.unref() }
}

/**
 * The exec'd process in its cgroup: born there (the shim's clone3 CLONE_INTO_CGROUP said "born"),
 * or moved in by a write to cgroup.procs (the kernel refused clone3's cgroup: `how` is its errno
 * name). --explain says which.
 */
function placeExec(cgroup: ManagedCgroup, pid: number, how: string | undefined): void {
  if (how === 'born') return note('cgroup', 'explain.note.cgroup.execBorn', { pid, path: cgroup.path })
  note('cgroup', 'explain.note.cgroup.execMoved', { pid, path: cgroup.path, errno: how ?? '?' })
  cgroup.addProcess(pid)
}

/** The exec shim's end, as an exit code (128+n for a signal), also when it has ended already. */
function shimExit(c: ChildProcess): Promise<number> {
  return new Promise<number>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => resolve(code ?? 128 + (signal ? ((osConstants.signals as Record<string, number>)[signal] ?? 0) : 0))
    if (c.exitCode !== null || c.signalCode !== null) done(c.exitCode, c.signalCode)
    else c.once('exit', done)
  })
}

/** runc exec --cgroup: an existing cgroup below the container's (cgroup v2: a relative path). */
function subCgroupOf(containerCgroup: string | undefined, sub: string) {
  if (!containerCgroup) throw new TockerError(`--cgroup ${sub}: the container has no cgroup`, { code: 'EINVALID' })
  // runc's v2 form is "path" or ":path" (the controller list of v1 is empty).
  const rel = sub.replace(/^:/, '')
  if (rel.startsWith('/') || rel.split('/').includes('..')) throw new TockerError(`--cgroup ${sub}: must be a path below the container's cgroup`, { code: 'EINVALID' })
  const cg = openContainerCgroup(join(containerCgroup, rel))
  if (!cg) throw new TockerError(`--cgroup ${sub}: no such cgroup ${join(containerCgroup, rel)}`, { code: 'EINVALID' })
  return cg
}

const STATUS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

/**
 * <state dir>/execs/, made if needed, opened for the shim (which writes <name>.json into it), with
 * a shared flock on it. The shim inherits this very open file description, and a flock belongs to
 * the description: once we close our fd, the lock is the shim's until it exits. A removal of the
 * container waits for it (deleteStateDir); while a removal holds it, no exec starts.
 */
function openExecStatusDir(stateRoot: string, id: string, name: string): number {
  if (!STATUS_NAME.test(name)) throw new TockerError(`invalid exec status name ${JSON.stringify(name)}`, { code: 'EINVALID' })
  const dir = execStatusDir(stateRoot, id)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    if (!flock(fd, LOCK_SH | LOCK_NB, dir)) throw new TockerError(`cannot exec in a stopped container: container ${id} is being removed`, { code: 'ECONFLICT' })
  } catch (err) {
    closeSync(fd)
    throw err
  }
  return fd
}

/** The exit status the shim recorded for an exec started with `statusName` (undefined while it runs). */
export function execStatus(id: string, statusName: string, o: { stateRoot?: string } = {}): ExitStatus | undefined {
  if (!STATUS_NAME.test(statusName)) return undefined
  const path = join(stateDir(o.stateRoot ?? DEFAULT_STATE_ROOT, id), 'execs', `${statusName}.json`)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return JSON.parse(text) as ExitStatus
}

/** Forget an exec's recorded status (its reader has it): the files go. */
export function removeExecStatus(id: string, statusName: string, o: { stateRoot?: string } = {}): void {
  if (!STATUS_NAME.test(statusName)) return
  const dir = join(stateDir(o.stateRoot ?? DEFAULT_STATE_ROOT, id), 'execs')
  for (const suffix of ['.json', '.reserved']) rmSync(join(dir, statusName + suffix), { force: true })
}
