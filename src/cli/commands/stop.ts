// tocker stop: StopSignal (default SIGTERM), then SIGKILL after -t seconds (default 10).
import type { TockerCommand } from '../command.js'

export const stop: TockerCommand = {
  command: 'stop <containers..>',
  describe: 'Stop one or more running containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', describe: 'Seconds to wait before killing the container' })
      .option('signal', { alias: 's', type: 'string', describe: 'Signal to send to the container' }),
  async run(a, g) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(a.containers as string[], (c) => client.stopContainer(c, a.time as number | undefined, a.signal as string | undefined))
  },
}
