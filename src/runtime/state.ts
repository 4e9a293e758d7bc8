// A container's state directory, <state root>/<id>/ (default root /run/tocker/runtime: like
// runc's /run/runc, it is on a tmpfs, because containers do not survive a reboot either):
//   state.json   written once by create (temp file + rename): ids, pids, bundle, exec defaults
//   start.sock   the gate waits on it until `start`; its existence means "created"
//   exit.json    written by the shim when PID 1 ends: {"exitCode", "signal", "finishedAt"}, into
//                exit.reserved, space the shim takes at create so that a full disk cannot lose it
//   execs/       <name>.json: an exec's status, written by its shim (exec.ts); each exec shim
//                holds a shared flock on this directory for as long as it lives
// The status is never stored: it is read from the kernel each time (is PID 1 still the process
// we started? has it been released?), so a crashed engine or CLI cannot leave it stale.
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { flock, LOCK_EX, LOCK_NB } from '../sys/fs.js'
import { TockerError } from '../errors.js'
import { writeFileAtomic } from '../sys/atomic-file.js'
import { removeTree } from '../sys/remove-tree.js'
import { bootTimeMs, isSameProcess } from '../sys/proc-stat.js'
import { pollPause } from './poll.js'
import { openCgroupPath } from '../cgroups/index.js'
import { OCI_VERSION, type Hooks, type LinuxSeccomp, type Process, type State } from './spec.js'

export const DEFAULT_STATE_ROOT = '/run/tocker/runtime'

/** runc's rule for container ids. */
const ID_PATTERN = /^[\w+.-]+$/

export interface StoredState {
  ociVersion: string
  id: string
  /** PID 1 of the container, in the host's PID namespace. */
  pid: number
  /** Its start time (field 22 of /proc/<pid>/stat), to tell it from a later process with the same PID. */
  pidStartTime: string
  shimPid: number
  shimStartTime: string
  bundle: string
  rootfs: string
  created: string
  owner: string
  annotations?: Record<string, string>
  /** The container's cgroup, if it got one. */
  cgroupPath?: string
  /** What exec starts from: the container process's env, cwd, user and privileges. */
  process: Process
  /** The container's seccomp filter: every exec'd process gets the same one. */
  seccomp?: LinuxSeccomp
  /** The session keyring the container joined (runc: "_ses.<id>"): exec joins it too. */
  keyring?: string
  /** In a user namespace of its own: exec enters it too. */
  userns?: boolean
  /** 'caller': runc's process model (no shim stays; PID 1 is the caller's subreaper's child). */
  parent?: 'caller'
  /** The hooks still to run after create: poststart (by start) and poststop (by delete). */
  hooks?: Pick<Hooks, 'poststart' | 'poststop'>
}

export interface ExitStatus {
  exitCode: number
  signal: number
  finishedAt: string
}

export function checkId(id: string): void {
  if (!id || !ID_PATTERN.test(id) || id === '.' || id === '..') throw new TockerError(`invalid container id format: ${id}`, { code: 'EINVALID' })
}

export function stateDir(root: string, id: string): string {
  checkId(id)
  return join(root, id)
}

/** mkdir of the state dir: atomic, so two creates of the same id cannot both win. */
export function makeStateDir(root: string, id: string): string {
  const dir = stateDir(root, id)
  mkdirSync(root, { recursive: true, mode: 0o711 })
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TockerError('container with given ID already exists', { code: 'EEXIST', status: 409 }) // runc 1.1's words
    throw err
  }
  return dir
}

/**
 * Without fsync: it sat on create's critical path (0.3-30 ms on this machine's ext4, where an
 * engine with --root outside /var/lib/tocker keeps its state root) and buys nothing: the state
 * names processes, and the crash an fsync guards against (power, kernel) ends them all. Until
 * then readers see the whole file (temp file + rename). After such a crash the file may be
 * empty: readState says so (STALE_STATE) instead of a JSON error, and delete --force clears it.
 */
export function writeState(root: string, st: StoredState): void {
  const dir = stateDir(root, st.id)
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify(st, null, 2) + '\n', { mode: 0o600, durable: false })
}

/** readState's error for a state.json that a crash of the machine cut short (see writeState). */
export const STALE_STATE = 'ESTALESTATE' as const

/** The stored state, or undefined while the container is still being created. Throws if there is no such container. */
export function readState(root: string, id: string): StoredState | undefined {
  const dir = stateDir(root, id)
  const file = join(dir, 'state.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    if (!existsSync(dir)) throw notFound(id)
    return undefined
  }
  try {
    return JSON.parse(text) as StoredState
  } catch (err) {
    // Unreadable and written before this boot: the machine went down before the kernel wrote it
    // out. Its processes went with that boot.
    if (statSync(file).mtimeMs < bootTimeMs()) {
      throw new TockerError(`container ${id}: its state.json was cut short by the crash that ended the previous boot (its processes are gone); delete it with --force`, {
        code: STALE_STATE,
        cause: err,
      })
    }
    throw new TockerError(`container ${id}: cannot read ${file}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
  }
}

export function notFound(id: string): TockerError {
  return new TockerError(`container ${id} does not exist`, { code: 'ENOENT', status: 404 })
}

export function readExit(root: string, id: string): ExitStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir(root, id), 'exit.json'), 'utf8')) as ExitStatus
  } catch {
    return undefined
  }
}

/** For a state directory no exec can have used yet (a create that failed half-way). */
export function removeStateDir(root: string, id: string): void {
  removeTree(stateDir(root, id))
}

/** The directory exec shims write their statuses into (see the top of this file). */
export function execStatusDir(root: string, id: string): string {
  return join(stateDir(root, id), 'execs')
}

/**
 * Remove a container's state directory once no exec shim can write into it any more. An exec's
 * shim lives outside the container's PID namespace: the kill that ends the container ends the
 * exec'd process, and only then does its shim write the status into execs/. Removed while a shim
 * wrote, the tree got a new file behind the walk and the last rmdir failed with ENOTEMPTY (`rm -f`
 * answered "Directory not empty"). Each exec shim holds a shared flock on execs/ (exec.ts); an
 * exclusive one is ours only once every shim has closed its fd, that is, exited. Waiting never
 * blocks the event loop (LOCK_NB, retried); a shim still there after `timeoutMs` is an error.
 */
export async function deleteStateDir(root: string, id: string, timeoutMs = 10_000): Promise<void> {
  const execs = execStatusDir(root, id)
  let fd: number | undefined
  // Most containers never ran an exec: look first (access(2)), as an open's ENOENT costs a thrown
  // Error. One made right after the look is the race the open alone has too.
  try {
    if (existsSync(execs)) fd = openSync(execs, constants.O_RDONLY | constants.O_DIRECTORY)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new TockerError(`open ${execs}: ${(err as Error).message}`, { code: 'ESTATE', cause: err })
  }
  try {
    const started = Date.now()
    for (let tries = 0; fd !== undefined && !flock(fd, LOCK_EX | LOCK_NB, execs); tries++) {
      if (Date.now() - started > timeoutMs) throw new TockerError(`container ${id}: an exec's shim did not exit (it still holds ${execs})`, { code: 'ETIMEDOUT' })
      await pollPause(tries, 20)
    }
    // Held (or no exec ever ran): a new exec's shared flock now fails, so none can start writing.
    removeStateDir(root, id)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && ID_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

export function statusOf(root: string, st: StoredState): State['status'] {
  if (!isSameProcess({ pid: st.pid, startTime: st.pidStartTime })) return 'stopped'
  if (existsSync(join(stateDir(root, st.id), 'start.sock'))) return 'created'
  // Frozen by `pause` (cgroup v2's freezer): runc calls that "paused".
  return st.cgroupPath && openCgroupPath(st.cgroupPath)?.frozen() ? 'paused' : 'running'
}

/** The runtime spec's State: what `state` prints. */
export function publicState(root: string, id: string): State {
  const st = readState(root, id)
  if (!st) return { ociVersion: OCI_VERSION, id, status: 'creating', pid: 0, bundle: '', rootfs: '', created: '', owner: '' }
  const status = statusOf(root, st)
  const out: State = {
    ociVersion: st.ociVersion,
    id: st.id,
    pid: status === 'stopped' ? 0 : st.pid,
    status,
    bundle: st.bundle,
    rootfs: st.rootfs,
    created: st.created,
    owner: st.owner,
  }
  if (st.annotations && Object.keys(st.annotations).length) out.annotations = st.annotations
  return out
}
