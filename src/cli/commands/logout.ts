// tocker logout [SERVER]: forget the credentials `tocker login` stored for a registry.
import type { TockerCommand } from '../command.js'
import { registryHostOf } from './login.js'

export const logoutCommand: TockerCommand = {
  command: 'logout [server]',
  describe: 'Log out from a registry',
  needsRoot: false,
  builder: (y) => y.positional('server', { type: 'string', describe: 'Registry host[:port] (default: Docker Hub)' }),
  async run(a) {
    const { removeCredentials, credentialKey } = await import('../../image/registry/config.js')
    const host = registryHostOf(a.server as string | undefined)
    const name = credentialKey(host)
    if (!removeCredentials(host)) {
      process.stdout.write(`Not logged in to ${name}\n`)
      return
    }
    process.stdout.write(`Removing login credentials for ${name}\n`)
  },
}
