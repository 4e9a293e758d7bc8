// tocker rm: remove containers (-f kills a running one first; -v is accepted: tocker has no
// anonymous volumes, so there is nothing more to remove).
import type { TockerCommand } from '../command.js'

export const rm: TockerCommand = {
  command: 'rm <containers..>',
  describe: 'Remove one or more containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Force the removal of a running container (uses SIGKILL)' })
      .option('volumes', { alias: 'v', type: 'boolean', describe: 'Remove anonymous volumes associated with the container' }),
  async run(a, g) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(a.containers as string[], (c) => client.removeContainer(c, { force: !!a.force, v: !!a.volumes }))
  },
}
