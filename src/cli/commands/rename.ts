// tocker rename OLD NEW
import type { TockerCommand } from '../command.js'

export const rename: TockerCommand = {
  command: 'rename <container> <newName>',
  describe: 'Rename a container',
  builder: (y) => y.positional('container', { type: 'string' }).positional('newName', { type: 'string' }),
  async run(a, g) {
    const { engineClient } = await import('../engine.js')
    const client = await engineClient(g)
    await client.renameContainer(String(a.container), String(a.newName))
  },
}
