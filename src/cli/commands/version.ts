// tocker version: Docker's "Client:" / "Server:" sections (the client's own facts, the engine's
// from GET /version), or --format with a Go template over {Client, Server} / "json".
import { writeStdout } from '../output.js'
import { OBJECT_FORMAT_HELP, type Command } from '../spec.js'

export const version: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [{ name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP }],
  needsRoot: false,
  async run({ opts: a, g }) {
    const [{ API_VERSION }, fmt, { isTockerError }] = await Promise.all([
      import('../../api/types.js'),
      import('../format/system.js'),
      import('../../errors.js'),
    ])
    const pkg = { version: (await import('../../package-root.js')).packageVersion() }
    const client = {
      Version: pkg.version,
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      GitCommit: '',
      GoVersion: process.version,
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      BuildTime: '',
      Context: 'default',
    }
    let server: unknown = null
    let failure: unknown
    try {
      const { EngineClient } = await import('../../api/client.js')
      const { engineAddress } = await import('../../api/socket.js')
      // Asking for the version never starts an engine: "is it installed, is it running?"
      server = await new EngineClient(engineAddress(g.root, g.host).socket).json('GET', '/version')
    } catch (err) {
      failure = err
    }
    if (a.format) {
      const data = { Client: client, Server: server }
      writeStdout((a.format === 'json' ? JSON.stringify(data) : (await import('../format/template.js')).render(String(a.format), data)) + '\n')
    } else {
      writeStdout(fmt.clientVersionText(client))
      if (server) writeStdout(fmt.serverVersionText(server))
    }
    if (failure) throw isTockerError(failure) ? failure : await engineDown(g)
  },
}

async function engineDown(g: { root: string; host?: string }): Promise<Error> {
  const [{ TockerError }, { engineAddress }] = await Promise.all([import('../../errors.js'), import('../../api/socket.js')])
  const { socket } = engineAddress(g.root, g.host)
  return new TockerError(`Cannot connect to the tocker engine at unix://${socket}. Is the tocker engine running?`, { code: 'EENGINEDOWN' })
}

export { engineDown }
