// tocker port CONTAINER [PRIVATE_PORT[/PROTO]]: the published ports of a container, as Docker
// prints them ("80/tcp -> 0.0.0.0:8081", or "0.0.0.0:8081" for one port), read from inspect.
import type { TockerCommand } from '../command.js'

export const port: TockerCommand = {
  command: 'port <container> [privatePort]',
  describe: 'List port mappings or a specific mapping for the container',
  builder: (y) =>
    y
      .positional('container', { type: 'string', describe: 'Container name or ID' })
      .positional('privatePort', { type: 'string', describe: 'PRIVATE_PORT[/PROTO], e.g. 80 or 53/udp' }),
  async run(a, g) {
    const [{ engineClient }, { portCommandLines }] = await Promise.all([import('../engine.js'), import('../../network/port-format.js')])
    const client = await engineClient(g)
    const c = await client.inspectContainer(String(a.container))
    const privatePort = a.privatePort === undefined ? undefined : String(a.privatePort)
    const lines = portCommandLines(c.NetworkSettings?.Ports, String(a.container), privatePort)
    if (lines.length) process.stdout.write(lines.join('\n') + '\n')
  },
}
