// tocker wait: block until containers stop, print their exit codes.
import type { Command } from '../spec.js'

export const wait: Command = {
  usage: 'CONTAINER [CONTAINER...]',
  paths: ['container wait', 'wait'],
  args: { min: 1 },
  complete: 'containers',
  options: [],
  async run({ args, g }) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(args, async (c) => String((await client.waitContainer(c, 'not-running')).StatusCode), client)
  },
}
