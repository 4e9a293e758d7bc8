// tocker info (also `system info`): Docker's layout of GET /info — containers by state, images,
// storage and cgroup drivers, kernel, OS, CPUs, memory, the store root, the bridge — or --format.
import { writeStdout } from '../output.js'
import { OBJECT_FORMAT_HELP, type Command } from '../spec.js'

export const info: Command = {
  usage: '[OPTIONS]',
  paths: ['system info', 'info'],
  args: { max: 0 },
  needsRoot: false,
  options: [
    {
      name: 'format',
      short: 'f',
      type: 'string',
      description: OBJECT_FORMAT_HELP,
    },
  ],
  async run({ opts: a, g }) {
    const [{ EngineClient }, { engineAddress }, fmt] = await Promise.all([import('../../api/client.js'), import('../../api/socket.js'), import('../format/system.js')])
    let server: any
    let failure: unknown
    try {
      server = await new EngineClient(engineAddress(g.root, g.host).socket).json('GET', '/info')
    } catch (err) {
      failure = err
    }
    if (a.format) {
      if (failure) throw await failureOf(failure, g)
      const { render } = await import('../format/template.js')
      writeStdout((a.format === 'json' ? JSON.stringify(server) : render(String(a.format), server)) + '\n')
      return
    }
    writeStdout(`Client:\n Version:    ${await clientVersion()}\n Context:    default\n Debug Mode: ${g.debug}\n\n`)
    if (failure) {
      writeStdout('Server:\n')
      throw await failureOf(failure, g)
    }
    writeStdout(fmt.serverInfoText(server))
  },
}

async function clientVersion(): Promise<string> {
  return (await import('../../package-root.js')).packageVersion()
}

async function failureOf(err: unknown, g: { root: string; host?: string }): Promise<unknown> {
  const [{ isTockerError }, { engineDown }] = await Promise.all([import('../../errors.js'), import('./version.js')])
  return isTockerError(err) ? err : engineDown(g)
}
