// Starting tocker's shim (native-shims/shim/) in its three modes: create (posix_spawn, forks once,
// so the shim that stays is not our child), the user namespace's holder (userns.ts) and exec (a
// child_process we wait for). Each gets a SOCK_SEQPACKET control socket (shim-channel.ts).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { SOCK_CLOEXEC, SOCK_SEQPACKET, SOCK_STREAM, socketpair } from '../sys/proc.js'
import { sealedCopy } from '../sys/memfd.js'
import { POSIX_SPAWN_SETSID, posixSpawn } from '../sys/spawn.js'
import { traced } from '../trace/trace.js'
import { locateNativeHelper } from './native-helper.js'
import { seam } from '../sys/seam.js'
import { ShimChannel, type CreateChannel } from './shim-channel.js'

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
  channel: CreateChannel
  /** Our end of the exit socket: the shim writes its exit.json there last (see main.c). */
  exitFd: number
}

type CreateShim = (args: string[], stdio: StdioFds, preserveFds?: number[], usernsFd?: number) => CreatedShim

/** The create shim's seam: the real spawn below, or (unit tests) a recording fake of the channel. */
const createShim = seam<CreateShim>((...a) => spawnRealCreateShim(...a))

/** Start the shim for a create (see spawnRealCreateShim), through the installed implementation. */
export const spawnCreateShim: CreateShim = (...a) => createShim.get()(...a)

/** Install a fake create shim until the returned function is called (tests only). */
export const useCreateShim = createShim.use

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
function spawnRealCreateShim(args: string[], stdio: StdioFds, preserveFds: number[] = [], usernsFd?: number): CreatedShim {
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
    throw new TockerError(`cannot start ${argv0}`, { code: 'ERUNTIME' })
  }
  child.on('error', () => {}) // reported through the channel instead
  return { child, channel: new ShimChannel(ours) }
}
