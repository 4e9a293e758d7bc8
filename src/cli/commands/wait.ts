// tocker wait: block until containers stop, print their exit codes.
import type { TockerCommand } from '../command.js'

export const wait: TockerCommand = {
  command: 'wait <containers..>',
  describe: 'Block until one or more containers stop, then print their exit codes',
  builder: (y) => y.positional('containers', { type: 'string', array: true }),
  async run(a, g) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(a.containers as string[], async (c) => String((await client.waitContainer(c, 'not-running')).StatusCode))
  },
}
