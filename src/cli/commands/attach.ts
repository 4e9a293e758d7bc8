// tocker attach: connect this terminal to a running container's stdio (its output from now on,
// and stdin if the container has it open).
import type { TockerCommand } from '../command.js'

export const attach: TockerCommand = {
  command: 'attach <container>',
  describe: "Attach local standard input, output, and error streams to a running container",
  builder: (y) =>
    y
      .positional('container', { type: 'string' })
      .parserConfiguration({ 'boolean-negation': false })
      .option('no-stdin', { type: 'boolean', describe: 'Do not attach STDIN' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Proxy all received signals to the process' }),
  async run(a, g) {
    const [{ engineClient }, { TockerError }] = await Promise.all([import('../engine.js'), import('../../errors.js')])
    const client = await engineClient(g)
    const info = await client.inspectContainer(String(a.container))
    if (!info.State.Running) throw new TockerError('You cannot attach to a stopped container, start it first')
    const { attachAndRun } = await import('../run-attached.js')
    return attachAndRun(client, info.Id, { tty: !!info.Config.Tty, stdin: !a['no-stdin'] && !!info.Config.OpenStdin, start: false, removeAfter: false })
  },
}
