// tocker kill: send a signal (default SIGKILL) to the container's first process.
import type { TockerCommand } from '../command.js'

export const kill: TockerCommand = {
  command: 'kill <containers..>',
  describe: 'Kill one or more running containers',
  builder: (y) => y.positional('containers', { type: 'string', array: true }).option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send to the container' }),
  async run(a, g) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(a.containers as string[], (c) => client.killContainer(c, a.signal as string))
  },
}
