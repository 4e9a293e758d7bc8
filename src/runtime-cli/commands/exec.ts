// exec: runc's interface, which podman (through conmon) and containerd-shim use for every exec:
//   exec --process /tmp/runc-process123 --detach --pid-file P [--console-socket S] ID
// or, by hand, `exec [flags] ID COMMAND [ARG...]`, the process then being the container's own
// (env, cwd, user, capabilities) with the flags applied. Failures exit 255 ("exec failed: …"),
// a foreground exec exits with the process's status.
import { readFileSync } from 'node:fs'
import { TockerError } from '../../errors.js'
import { execProcess, readState, type Process } from '../../runtime/index.js'
import { mergeEnv } from '../../runtime/env.js'
import { opt, type RuntimeCommand } from '../command.js'
import { forwardSignals, preservedFds, writePidFile } from './lifecycle.js'

/** runc's -u: "uid[:gid]", numbers only. */
function parseUser(u: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(u)
  if (!m) throw new TockerError(`parsing ${u} as int: invalid syntax`, { code: 'EINVALID' })
  return { uid: Number(m[1]), gid: Number(m[2] ?? 0) }
}

/** The container's process with exec's flags on top (runc's newProcess). */
function processFromFlags(base: Process, o: Record<string, any>, args: string[]): Process {
  const p: Process = { ...base, args, env: mergeEnv(base.env ?? [], o.env ?? []), terminal: !!o.tty, consoleSize: undefined }
  if (o.cwd) p.cwd = o.cwd
  if (o.user) p.user = { ...parseUser(o.user), additionalGids: base.user.additionalGids }
  else p.user = { uid: base.user.uid, gid: base.user.gid, additionalGids: base.user.additionalGids, username: base.user.username }
  if (o['additional-gids']?.length) {
    const gids = (o['additional-gids'] as string[]).map((g) => {
      if (!/^\d+$/.test(g)) throw new TockerError(`invalid additional-gids value ${g}`, { code: 'EINVALID' })
      return Number(g)
    })
    p.user = { ...p.user, additionalGids: gids }
  }
  if (o['no-new-privs']) p.noNewPrivileges = true
  if (o.apparmor) p.apparmorProfile = o.apparmor
  if (o['process-label']) p.selinuxLabel = o['process-label']
  if (o.cap?.length) {
    const add = o.cap as string[]
    const caps = { ...(base.capabilities ?? {}) }
    for (const set of ['bounding', 'effective', 'permitted', 'ambient', 'inheritable'] as const) {
      if (set === 'inheritable' && !caps.inheritable) continue
      caps[set] = [...new Set([...(caps[set] ?? []), ...add])]
    }
    p.capabilities = caps
  }
  return p
}

export const exec: RuntimeCommand = {
  name: 'exec',
  summary: 'execute new process inside the container',
  usage: '<container-id> <command> [command options]  || -p process.json <container-id>',
  description: 'Where "<container-id>" is the name for the instance of the container and\n"<command>" is the command to be executed in the container.\n"<command>" can\'t be empty unless a "-p" flag provided.',
  args: { min: 1 },
  interspersed: false,
  errorExitCode: 255,
  failurePrefix: undefined,
  options: [
    opt('console-socket', 'string', "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"),
    opt('cwd', 'string', 'current working directory in the container'),
    opt('env', 'list', 'set environment variables', { short: 'e' }),
    opt('tty', 'bool', 'allocate a pseudo-TTY', { short: 't' }),
    opt('user', 'string', 'UID (format: <uid>[:<gid>])', { short: 'u' }),
    opt('additional-gids', 'list', 'additional gids', { short: 'g' }),
    opt('process', 'string', 'path to the process.json', { short: 'p' }),
    opt('detach', 'bool', "detach from the container's process", { short: 'd' }),
    opt('pid-file', 'string', 'specify the file to write the process id to'),
    opt('process-label', 'string', 'set the asm process label for the process commonly used with selinux'),
    opt('apparmor', 'string', 'set the apparmor profile for the process'),
    opt('no-new-privs', 'bool', 'set the no new privileges value for the process'),
    opt('cap', 'list', 'add a capability to the bounding set for the process', { short: 'c' }),
    opt('preserve-fds', 'int', 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', { default: 0 }),
    opt('cgroup', 'list', 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.'),
    opt('ignore-paused', 'bool', 'allow exec in a paused container'),
  ],
  async run({ opts: o, args, g, log }) {
    try {
      const [id, ...command] = args
      let proc: Process
      if (o.process) {
        try {
          proc = JSON.parse(readFileSync(o.process, 'utf8')) as Process
        } catch (err) {
          throw new TockerError(`unable to load process ${o.process}: ${(err as Error).message}`, { code: 'EINVALID', cause: err })
        }
      } else {
        if (!command.length) throw new TockerError('exec args cannot be empty', { code: 'EINVALID' })
        const st = readState(g.root, id)
        if (!st) throw new TockerError(`container ${id} is still being created`, { code: 'ECONFLICT' })
        proc = processFromFlags(st.process, o, command)
      }
      if (o.process && o.tty) proc.terminal = true
      const preserved = preservedFds(Number(o['preserve-fds']))
      if (preserved.env.length) proc.env = [...(proc.env ?? []), ...preserved.env]
      const cgroups = (o.cgroup ?? []) as string[]
      if (cgroups.length > 1) throw new TockerError('--cgroup: cgroup v2 takes one path', { code: 'EINVALID' })
      const p = await execProcess(id, {
        stateRoot: g.root,
        args: proc.args,
        process: proc,
        consoleSocket: o['console-socket'] || undefined,
        detach: !!o.detach,
        preserveFds: preserved.fds,
        subCgroup: cgroups[0],
        ignorePaused: !!o['ignore-paused'],
        warn: (m) => log.warn(m),
      })
      writePidFile(o['pid-file'], p.pid)
      if (o.detach) return 0
      // The shim forwards what it gets to the process (native-shims/shim/main.c exec_mode).
      const stop = forwardSignals(p.shimPid)
      try {
        return await p.wait()
      } finally {
        stop()
      }
    } catch (err) {
      // `tocker runtime exec`: the error itself, whose exit code says whether the program could not
      // run (126, 127) or the runtime failed (125).
      if (g.dialect === 'tocker') throw err
      throw new TockerError(`exec failed: ${describe(err)}`, { code: 'ERUNTIME', cause: err })
    }
  },
}

function describe(err: unknown): string {
  if (err instanceof TockerError && err.status === 404) return 'container does not exist'
  if (err instanceof TockerError && err.code === 'EGATE') return `unable to start container process: ${err.message}`
  return (err as Error).message
}
