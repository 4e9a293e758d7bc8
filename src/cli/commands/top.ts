// tocker top: the container's processes as the host's ps shows them (default `ps -ef`).
import type { Command } from '../spec.js'

export const top: Command = {
  usage: 'CONTAINER [ps OPTIONS]',
  paths: ['container top', 'top'],
  args: { min: 1 },
  interspersed: false,
  complete: 'containers',
  options: [],
  async run({ args, g }) {
    const [{ engineClient }, { table }] = await Promise.all([import('../engine.js'), import('../output.js')])
    const client = await engineClient(g)
    const psArgs = args.slice(1).join(' ') || undefined
    const r = await client.topContainer(args[0], psArgs)
    process.stdout.write(table(r.Titles, r.Processes))
  },
}
