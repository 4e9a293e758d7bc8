// tocker port CONTAINER [PRIVATE_PORT[/PROTO]]: the published ports of a container, as Docker
// prints them ("80/tcp -> 0.0.0.0:8081", or "0.0.0.0:8081" for one port), read from inspect.
import type { Command } from '../spec.js'
import { writeStdout } from '../output.js'

export const port: Command = {
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  paths: ['container port', 'port'],
  args: { min: 1, max: 2 },
  complete: 'containers',
  options: [],
  async run({ args, g }) {
    const [{ engineClient }, { portCommandLines }] = await Promise.all([import('../engine.js'), import('../../network/port-format.js')])
    const client = await engineClient(g)
    const c = await client.inspectContainer(args[0])
    const privatePort = args[1]
    const lines = portCommandLines(c.NetworkSettings?.Ports, args[0], privatePort)
    if (lines.length) writeStdout(lines.join('\n') + '\n')
  },
}
