// tocker rename OLD NEW
import type { Command } from '../spec.js'

export const rename: Command = {
  usage: 'CONTAINER NEW_NAME',
  paths: ['container rename', 'rename'],
  args: { min: 2, max: 2 },
  complete: 'containers',
  options: [],
  async run({ args, g }) {
    const { engineClient } = await import('../engine.js')
    const client = await engineClient(g)
    await client.renameContainer(args[0], args[1])
  },
}
