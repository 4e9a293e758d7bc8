// create, run, start, kill, delete: runc's lifecycle commands over the runtime library.
//
// create (and run -d) use runc's process model: PID 1 becomes the caller's (its subreaper's)
// child and nothing of ours stays (see native-shims/shim/main.c); the pid file names PID 1;
// `start` releases it. A foreground `run` keeps tocker's shim (it waits for the exit code itself).
import { closeSync, openSync, renameSync, statSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { TockerError } from '../../errors.js'
import { createContainer, deleteContainer, killContainer, loadBundle, startContainer } from '../../runtime/index.js'
import { DEFAULT_SIGNALS } from '../signals.js'
import { forwardSignals as forwardSignalsTo } from '../../sys/signals.js'
import { opt, type RuntimeCommand, type RuntimeContext } from '../command.js'

const BUNDLE = opt('bundle', 'string', 'path to the root of the bundle directory, defaults to the current directory', { short: 'b', default: '' })
const CONSOLE_SOCKET = opt('console-socket', 'string', "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
const PID_FILE = opt('pid-file', 'string', 'specify the file to write the process id to')
const NO_PIVOT = opt('no-pivot', 'bool', 'do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk')
const NO_NEW_KEYRING = opt('no-new-keyring', 'bool', 'do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key')
const PRESERVE_FDS = opt('preserve-fds', 'int', 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', { default: 0 })

/** runc's createPidFile: written beside the target as ".<name>" and renamed, so a reader never sees half. */
export function writePidFile(file: string | undefined, pid: number): void {
  if (!file) return
  const path = resolve(file)
  const tmp = join(dirname(path), `.${basename(path)}`)
  const fd = openSync(tmp, 'wx', 0o666)
  try {
    writeSync(fd, String(pid))
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/**
 * The fds the container's process gets beyond stdio: systemd socket activation's LISTEN_FDS first
 * (when LISTEN_PID names us, as go-systemd's activation.Files checks), then --preserve-fds N more.
 * Returns them and the environment to add (LISTEN_FDS, LISTEN_PID=1: the program is PID 1).
 */
export function preservedFds(n: number): { fds: number[]; env: string[] } {
  if (!Number.isInteger(n) || n < 0) throw new TockerError(`invalid --preserve-fds ${n}`, { code: 'EINVALID' })
  const fds: number[] = []
  const env: string[] = []
  const listen = Number(process.env.LISTEN_FDS ?? 0)
  if (listen > 0 && Number(process.env.LISTEN_PID) === process.pid) {
    for (let i = 0; i < listen; i++) fds.push(3 + i)
    env.push(`LISTEN_FDS=${listen}`, 'LISTEN_PID=1')
  }
  const base = 3 + fds.length
  for (let fd = base; fd < base + n; fd++) {
    try {
      statSync(`/proc/self/fd/${fd}`)
    } catch (err) {
      throw new TockerError(`unable to stat preserved-fd ${fd - base} (of ${n}): ${(err as Error).message}`, { code: 'EBADF' })
    }
    fds.push(fd)
  }
  return { fds, env }
}

/**
 * PID 1's parent when this command leaves it running: runc's model (the caller, an engine or its
 * shim, supervises it), or for `tocker runtime` tocker's shim, which waits for it and records its
 * exit status: a person at a shell has no supervisor to reap it.
 */
const detachedParent = (ctx: RuntimeContext): 'caller' | 'shim' => (ctx.g.dialect === 'tocker' ? 'shim' : 'caller')

async function createFor(ctx: RuntimeContext, parent: 'caller' | 'shim') {
  const { opts: o, args, g, log } = ctx
  const bundle = loadBundle(o.bundle || process.cwd())
  const preserved = preservedFds(Number(o['preserve-fds']))
  if (preserved.env.length) bundle.spec.process!.env = [...(bundle.spec.process!.env ?? []), ...preserved.env]
  if (o['no-pivot']) log.debug('--no-pivot: pivot_root is used all the same (the root is always a mount of its own)')
  return createContainer({
    id: args[0],
    bundle: { path: bundle.path, spec: bundle.spec },
    stateRoot: g.root,
    parent,
    consoleSocket: o['console-socket'] || undefined,
    preserveFds: preserved.fds,
    noNewKeyring: !!o['no-new-keyring'],
    cgroupsDisabled: g.cgroupManager === 'disabled',
    systemdCgroup: g.systemdCgroup,
    warn: (m) => log.warn(m),
  })
}

export const create: RuntimeCommand = {
  name: 'create',
  summary: 'create a container',
  usage: '<container-id>',
  description:
    'Where "<container-id>" is your name for the instance of the container that you\nare starting. The name you provide for the container instance must be unique on\nyour host.\n\nThe create command creates an instance of a container for a bundle. The bundle\nis a directory with a specification file named "config.json" and a root\nfilesystem.',
  args: { exact: 1 },
  failurePrefix: 'create failed',
  options: [BUNDLE, CONSOLE_SOCKET, PID_FILE, NO_PIVOT, NO_NEW_KEYRING, PRESERVE_FDS],
  async run(ctx) {
    const c = await createFor(ctx, detachedParent(ctx))
    try {
      writePidFile(ctx.opts['pid-file'], c.pid)
    } catch (err) {
      c.detach()
      await deleteContainer(c.id, { stateRoot: ctx.g.root, force: true })
      throw err
    }
    c.detach()
  },
}

export const run: RuntimeCommand = {
  name: 'run',
  summary: 'create and run a container',
  usage: '<container-id>',
  description:
    'Where "<container-id>" is your name for the instance of the container that you\nare starting. The name you provide for the container instance must be unique on\nyour host.\n\nThe run command creates an instance of a container for a bundle.',
  args: { exact: 1 },
  failurePrefix: 'run failed',
  options: [
    BUNDLE,
    CONSOLE_SOCKET,
    opt('detach', 'bool', "detach from the container's process", { short: 'd' }),
    opt('keep', 'bool', 'do not delete the container after it exits'),
    PID_FILE,
    opt('no-subreaper', 'bool', 'disable the use of the subreaper used to reap reparented processes'),
    NO_PIVOT,
    NO_NEW_KEYRING,
    PRESERVE_FDS,
  ],
  async run(ctx) {
    const { opts: o, g, log } = ctx
    const detach = !!o.detach
    const c = await createFor(ctx, detach ? detachedParent(ctx) : 'shim')
    const lib = { stateRoot: g.root, warn: (m: string) => log.warn(m) }
    try {
      await c.start()
      writePidFile(o['pid-file'], c.pid)
    } catch (err) {
      c.detach()
      await deleteContainer(c.id, { ...lib, force: true })
      throw err
    }
    if (detach) {
      c.detach()
      return 0
    }
    const stop = forwardSignals(c.pid)
    try {
      return await c.wait()
    } finally {
      stop()
      if (!o.keep) await deleteContainer(c.id, { ...lib, force: true })
    }
  },
}

export const start: RuntimeCommand = {
  name: 'start',
  summary: 'executes the user defined process in a created container',
  usage: '<container-id>',
  description:
    'Where "<container-id>" is your name for the instance of the container that you\nare starting. The name you provide for the container instance must be unique on\nyour host.\n\nThe start command executes the user defined process in a created container.',
  args: { exact: 1 },
  options: [],
  async run({ args, g, log }) {
    await startContainer(args[0], { stateRoot: g.root, warn: (m) => log.warn(m) })
  },
}

/** runc's parseSignal: a number, or a name with or without SIG, any case. */
export function parseRuncSignal(raw: string): number {
  const s = raw.trim()
  if (/^\d+$/.test(s)) return Number(s)
  const name = s.toUpperCase().replace(/^SIG/, '')
  const n = DEFAULT_SIGNALS[`SIG${name}`]
  if (n === undefined) throw new TockerError(`unknown signal "${raw}"`, { code: 'EINVALID' })
  return n
}

export const kill: RuntimeCommand = {
  name: 'kill',
  summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
  usage: '<container-id> [signal]',
  description: 'Where "<container-id>" is the name for the instance of the container and\n"[signal]" is the signal to be sent to the init process.',
  args: { min: 1, max: 2 },
  options: [opt('all', 'bool', 'send the specified signal to all processes inside the container', { short: 'a' })],
  async run({ opts, args, g }) {
    killContainer(args[0], parseRuncSignal(args[1] ?? 'SIGTERM'), { stateRoot: g.root, all: !!opts.all })
  },
}

export const del: RuntimeCommand = {
  name: 'delete',
  summary: 'delete any resources held by the container often used with detached container',
  usage: '<container-id>',
  description: 'Where "<container-id>" is the name for the instance of the container.',
  args: { exact: 1 },
  options: [opt('force', 'bool', 'Forcibly deletes the container if it is still running (uses SIGKILL)', { short: 'f' })],
  async run({ opts, args, g, log }) {
    try {
      await deleteContainer(args[0], { stateRoot: g.root, force: !!opts.force, warn: (m) => log.warn(m) })
    } catch (err) {
      // runc: deleting what does not exist with --force is no error.
      if (opts.force && err instanceof TockerError && err.status === 404) return 0
      throw err
    }
  },
}

/** In the foreground, ^C and friends go to the container's process (runc's signal proxy). */
export function forwardSignals(pid: number): () => void {
  return forwardSignalsTo(pid, ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'])
}
