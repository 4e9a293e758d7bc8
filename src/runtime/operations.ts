// The operations on a container that exists (runc's start, state, list, pause/resume, update,
// events --stats, kill, delete): each reads its state.json and acts on its processes and cgroup.
import { connect } from 'node:net'
import { closeSync, openSync, readdirSync, readlinkSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { kill as sysKill } from '../sys/proc.js'
import { O_DIRECTORY, O_PATH } from '../sys/mount.js'
import { cgroupById, limitsFromResources, openContainerCgroup, pidsOfCgroup, resourceFields } from './cgroup.js'
import { applyLimits, type CgroupStats } from '../cgroups/index.js'
import { hookState, runHooksWarning } from './hooks.js'
import { GO_BYTE, parseStartReply } from './shim.js'
import { note, report } from '../trace/trace.js'
import type { LinuxResources, State } from './spec.js'
import { isSameProcess } from '../sys/proc-stat.js'
import { listIds, publicState, deleteStateDir, readExit, readState, STALE_STATE, stateDir, statusOf, type ExitStatus, type StoredState } from './state.js'
import { stateRootOf, type RuntimeOptions } from './options.js'
import { sharesMountNamespace, unmountSharedRoot } from './shared-mounts.js'
import { pollPause } from './poll.js'
import { whenEnded } from '../sys/process-end.js'
import { waitForExit } from './wait-exit.js'

export { waitForExit }

/** How long delete waits for a killed container's processes to be gone. */
const STOP_TIMEOUT_MS = 10_000

function stopTimeout(id: string): TockerError {
  return new TockerError(`container ${id} did not stop after SIGKILL`, { code: 'ERUNTIME' })
}

function conflict(message: string): TockerError {
  return new TockerError(message, { code: 'ESTATE', status: 409 })
}

function loadState(opts: RuntimeOptions, id: string): StoredState {
  const st = readState(stateRootOf(opts), id)
  if (!st) throw conflict(`container ${id} is still being created`)
  return st
}

/** Release the gate: it execve's the user's program. Throws GateError (126/127) if that fails. */
export async function startContainer(id: string, opts: RuntimeOptions = {}): Promise<void> {
  const stateRoot = stateRootOf(opts)
  const st = loadState(opts, id)
  const status = statusOf(stateRoot, st)
  if (status === 'stopped') throw conflict('cannot start a container that has stopped')
  if (status === 'running') throw conflict('cannot start an already running container')
  if (status === 'paused') throw conflict('cannot start a paused container')
  const dir = stateDir(stateRoot, id)
  // Connect through /proc/self/fd/N: a unix socket path must fit in 108 bytes, the state dir may not.
  const dirFd = openSync(dir, O_PATH | O_DIRECTORY)
  let reply: Buffer
  try {
    reply = await new Promise<Buffer>((resolve, reject) => {
      const sock = connect({ path: `/proc/self/fd/${dirFd}/start.sock` })
      const chunks: Buffer[] = []
      sock.on('connect', () => {
        // From now on the container is running (or failing): `state` must not say "created".
        unlinkSync(join(dir, 'start.sock'))
        sock.write(Buffer.from([GO_BYTE]))
      })
      sock.on('data', (d) => chunks.push(d))
      sock.on('end', () => resolve(Buffer.concat(chunks)))
      sock.on('error', (err) => reject(new TockerError(`cannot start container ${id}: ${err.message}`, { code: 'ERUNTIME', cause: err })))
    })
  } finally {
    closeSync(dirFd)
  }
  // End of file without a word: the socket was closed by a successful execve (close-on-exec).
  // Before it, with --trace, the gate's reports of its last steps (execve).
  const { events, error } = parseStartReply(reply)
  for (const e of events) report(e)
  if (error) throw error
  runPoststart(st, opts.warn)
}

/** poststart hooks: the program runs; a failure is only a warning (runtime spec, lifecycle step 9). */
export function runPoststart(st: StoredState, warn?: (message: string) => void): void {
  if (st.hooks?.poststart?.length) runHooksWarning('poststart', st.hooks.poststart, hookState(st, 'running'), warn ?? (() => {}))
}

export function containerState(id: string, opts: RuntimeOptions = {}): State {
  return publicState(stateRootOf(opts), id)
}

export function listContainers(opts: RuntimeOptions = {}): State[] {
  const stateRoot = stateRootOf(opts)
  const out: State[] = []
  for (const id of listIds(stateRoot)) {
    try {
      out.push(publicState(stateRoot, id))
    } catch {
      // deleted meanwhile
    }
  }
  return out
}

export function exitStatus(id: string, opts: RuntimeOptions = {}): ExitStatus | undefined {
  return readExit(stateRootOf(opts), id)
}

/**
 * How many processes the kernel's OOM killer ended in the container's cgroup during this run (the
 * `oom_kill` count of cgroup v2's memory.events); undefined when the container has no cgroup (no
 * usable cgroup v2, no limits). Read before the container is deleted: the count goes with its cgroup.
 */
export function oomKillCount(id: string, opts: RuntimeOptions = {}): number | undefined {
  const st = loadState(opts, id)
  return openContainerCgroup(st.cgroupPath)?.stats().oomKills
}

/**
 * pause / resume: cgroup v2's freezer on the container's cgroup (every process stops where it
 * is; SIGKILL still ends them). A container without a cgroup cannot be paused.
 */
export function pauseContainer(id: string, pause: boolean, opts: RuntimeOptions = {}): void {
  const stateRoot = stateRootOf(opts)
  const st = loadState(opts, id)
  const status = statusOf(stateRoot, st)
  if (pause && status !== 'running') throw conflict(status === 'paused' ? 'container already paused' : 'container not running')
  if (!pause && status !== 'paused') throw conflict('container not paused')
  const cg = openContainerCgroup(st.cgroupPath)
  if (!cg) throw new TockerError(`cannot ${pause ? 'pause' : 'resume'} container ${id}: it has no cgroup (cgroups are disabled, or /sys/fs/cgroup is not cgroup v2)`, { code: 'ECONFLICT' })
  cg.freeze(pause)
}

/** runc update: new linux.resources for a running container's cgroup. */
export function updateContainer(id: string, resources: LinuxResources, opts: RuntimeOptions = {}): void {
  const st = loadState(opts, id)
  const cg = openContainerCgroup(st.cgroupPath)
  if (!cg) throw new TockerError(`cannot update container ${id}: it has no cgroup (cgroups are disabled, or /sys/fs/cgroup is not cgroup v2)`, { code: 'ECONFLICT' })
  const ignored = resourceFields(resources).filter((f) => !/^(memory\.(limit|swap)|cpu\.(shares|quota|period)|pids\.limit)$/.test(f))
  if (ignored.length) throw new TockerError(`cannot update ${ignored.map((f) => `linux.resources.${f}`).join(', ')}: not supported by tocker`, { code: 'EINVALID' })
  applyLimits(cg, limitsFromResources(resources))
}

/** Counters of the container's cgroup (runc events --stats), or undefined without one. */
export function containerStats(id: string, opts: RuntimeOptions = {}): { stats: CgroupStats; pids: number[] } | undefined {
  const st = loadState(opts, id)
  const cg = openContainerCgroup(st.cgroupPath)
  return cg ? { stats: cg.stats(), pids: cg.pids() } : undefined
}

/** Send a signal to PID 1 (or, with `all`, to every process of the container). */
export function killContainer(id: string, signal: number, opts: RuntimeOptions & { all?: boolean } = {}): void {
  const stateRoot = stateRootOf(opts)
  const st = loadState(opts, id)
  if (statusOf(stateRoot, st) === 'stopped') throw conflict('container not running')
  if (!opts.all) {
    sysKill(st.pid, signal)
    return
  }
  for (const pid of containerPids(st)) sysKill(pid, signal)
}

/** Every process of the container: its cgroup's, or (without one) those in its PID namespace. */
export function containerPids(st: StoredState): number[] {
  const fromCgroup = pidsOfCgroup(st.cgroupPath)
  if (fromCgroup) return fromCgroup
  // Without a cgroup, the container is "every process in PID 1's namespace". Only while PID 1 is the
  // process we started: a PID the kernel has since given to some host process must never make us
  // list (and signal) the host's own namespace.
  if (!isSameProcess({ pid: st.pid, startTime: st.pidStartTime })) return []
  let ns: string
  try {
    ns = readlinkSync(`/proc/${st.pid}/ns/pid`)
  } catch {
    return []
  }
  // No PID namespace of its own (and no cgroup): PID 1 alone, never the host's whole namespace.
  if (ns === readlinkSync('/proc/self/ns/pid')) return [st.pid]
  const pids: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === ns) pids.push(Number(e))
    } catch {
      // gone
    }
  }
  return pids
}

/**
 * Remove a container: its state and cgroup. A running container is refused unless `force`
 * (then it is killed first); a created one is killed, as runc does.
 */
export async function deleteContainer(id: string, opts: RuntimeOptions & { force?: boolean } = {}): Promise<void> {
  const stateRoot = stateRootOf(opts)
  let st: StoredState | undefined
  try {
    st = readState(stateRoot, id)
  } catch (err) {
    // A state.json a crash of the machine cut short (state.ts): nothing of it runs; --force
    // clears what is left, as for a create that never finished.
    if ((err as TockerError).code !== STALE_STATE || !opts.force) throw err
  }
  if (!st) {
    // No state.json: being created now, or its creator died half-way (its gate then exited too:
    // it lives only while its creator talks to it). Only --force removes what is left.
    if (!opts.force) throw conflict(`container ${id} is still being created`)
    try {
      unmountSharedRoot(stateDir(stateRoot, id), opts.warn ?? (() => {}))
      cgroupById(id)?.remove()
    } finally {
      await deleteStateDir(stateRoot, id)
    }
    return
  }
  const status = statusOf(stateRoot, st)
  if ((status === 'running' || status === 'paused') && !opts.force) throw conflict(`cannot delete container ${id} that is not stopped: ${status}`)
  if (status !== 'stopped') {
    sysKill(st.pid, 9)
  }
  // Wait for PID 1 and the shim: the shim is the last process in the container's mount namespace,
  // and its end is the end of that namespace's mounts (sys/process-end.ts: the kernel unmounts them
  // in the shim's exit, before it wakes us). Usually they are on their way out already: the shim
  // writes exit.json, and its exit takes 1-8 ms more (the overlay's unmount syncs the upper file
  // system). Without pidfds, look again at once a few times, then sleep between looks.
  const procs = [
    { pid: st.pid, startTime: st.pidStartTime },
    { pid: st.shimPid, startTime: st.shimStartTime },
  ]
  const ended = await whenEnded(procs, STOP_TIMEOUT_MS)
  if (ended === false) throw stopTimeout(id)
  if (ended === 'unsupported') {
    const started = Date.now()
    for (let tries = 0; procs.some(isSameProcess); tries++) {
      if (Date.now() - started > STOP_TIMEOUT_MS) throw stopTimeout(id)
      await pollPause(tries, 50)
    }
  }
  // Nothing to unmount: every mount of the container lived in its mount namespace, and the kernel
  // took the namespace (and its mounts) down with the last process in it, the shim. Unless it had
  // none of its own (shared-mounts.ts): then its mounts are in ours, and go now.
  const dir = stateDir(stateRoot, id)
  if (sharesMountNamespace(dir)) {
    note('unmount', 'explain.note.unmount.shared')
    unmountSharedRoot(dir, opts.warn ?? (() => {}))
  } else note('unmount', 'explain.note.unmount.none')
  try {
    openContainerCgroup(st.cgroupPath)?.remove()
  } finally {
    await deleteStateDir(stateRoot, id)
  }
  // poststop: after everything is taken down; a failure is only a warning (lifecycle step 13).
  if (st.hooks?.poststop?.length) runHooksWarning('poststop', st.hooks.poststop, hookState(st, 'stopped'), opts.warn ?? (() => {}))
}
