// tocker start: start stopped containers (their writable layer and config are kept); -a attaches
// to the output and returns the container's exit code, -i also forwards stdin.
import type { TockerCommand } from '../command.js'

export const start: TockerCommand = {
  command: 'start <containers..>',
  describe: 'Start one or more stopped containers',
  errorExitCode: 1,
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('attach', { alias: 'a', type: 'boolean', describe: 'Attach STDOUT/STDERR and forward signals' })
      .option('interactive', { alias: 'i', type: 'boolean', describe: "Attach container's STDIN" }),
  async run(a, g) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    const refs = a.containers as string[]
    if (!a.attach && !a.interactive) return forEachContainer(refs, (c) => client.startContainer(c))
    if (refs.length > 1) throw new Error('you cannot start and attach multiple containers at once')
    const { attachAndRun } = await import('../run-attached.js')
    const info = await client.inspectContainer(refs[0])
    return attachAndRun(client, info.Id, { tty: !!info.Config.Tty, stdin: !!a.interactive && !!info.Config.OpenStdin, start: true, removeAfter: false })
  },
}
