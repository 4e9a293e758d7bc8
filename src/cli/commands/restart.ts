// tocker restart: stop (as `stop` does) then start again, keeping the writable layer.
import type { TockerCommand } from '../command.js'

export const restart: TockerCommand = {
  command: 'restart <containers..>',
  describe: 'Restart one or more containers',
  builder: (y) => y.positional('containers', { type: 'string', array: true }).option('time', { alias: 't', type: 'number', describe: 'Seconds to wait before killing the container' }),
  async run(a, g) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(a.containers as string[], (c) => client.restartContainer(c, a.time as number | undefined))
  },
}
