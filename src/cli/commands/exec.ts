// tocker exec: run a new process in a running container (its namespaces and cgroup, its env,
// user and working directory unless -e/-u/-w say otherwise); the exit code is the process's.
import type { TockerCommand } from '../command.js'

const EXEC_OPTIONS = {
  interactive: { kind: 'boolean', alias: ['i'] },
  tty: { kind: 'boolean', alias: ['t'] },
  detach: { kind: 'boolean', alias: ['d'] },
  env: { kind: 'array', alias: ['e'] },
  workdir: { kind: 'string', alias: ['w'] },
  user: { kind: 'string', alias: ['u'] },
  privileged: { kind: 'boolean' },
  'detach-keys': { kind: 'string' },
} as const

export const exec: TockerCommand = {
  command: 'exec <container> <command..>',
  describe: 'Execute a command in a running container',
  builder: (y) =>
    y
      .parserConfiguration({ 'unknown-options-as-args': true })
      .strictOptions(false)
      .option('interactive', { alias: 'i', type: 'boolean', describe: 'Keep STDIN open even if not attached' })
      .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' })
      .option('detach', { alias: 'd', type: 'boolean', describe: 'Detached mode: run command in the background' })
      .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables' })
      .option('workdir', { alias: 'w', type: 'string', describe: 'Working directory inside the container' })
      .option('user', { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' }),
  async run(_a, g) {
    const [{ engineClient }, { rawCommandArgs, parseInterspersed }] = await Promise.all([import('../engine.js'), import('../argv.js')])
    const { options: o, positional } = parseInterspersed(rawCommandArgs([['exec'], ['container', 'exec']]), EXEC_OPTIONS as never)
    const [container, ...cmd] = positional
    if (!container || cmd.length === 0) {
      process.stderr.write(`"tocker exec" requires at least 2 arguments.\nSee 'tocker exec --help'.\n`)
      return 1
    }
    const client = await engineClient(g)
    const tty = !!o.tty
    const detach = !!o.detach
    const { Id } = await client.createExec(container, {
      Cmd: cmd,
      Env: (o.env as string[] | undefined) ?? [],
      WorkingDir: (o.workdir as string | undefined) ?? '',
      User: (o.user as string | undefined) ?? '',
      Tty: tty,
      AttachStdin: !!o.interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
    })
    if (detach) {
      await client.startExecDetached(Id, tty)
      return 0
    }
    const { pipeAttached } = await import('../attach-stdio.js')
    const conn = await client.startExecAttached(Id, tty)
    await pipeAttached({ ...conn, stdin: !!o.interactive, tty, resize: tty ? (h, w) => void client.resizeExec(Id, h, w).catch(() => {}) : undefined })
    const info = await client.inspectExec(Id)
    return info.ExitCode ?? 0
  },
}
