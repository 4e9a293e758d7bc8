// tocker logout [SERVER]: forget the credentials `tocker login` stored for a registry.
import type { Command } from '../spec.js'

export const logout: Command = {
  usage: '[SERVER]',
  args: { max: 1 },
  needsRoot: false,
  options: [],
  async run({ args }) {
    const { removeCredentials, credentialKey, registryHostOf } = await import('../../registry-credentials.js')
    const host = registryHostOf(args[0])
    const name = credentialKey(host)
    if (!removeCredentials(host)) {
      process.stdout.write(`Not logged in to ${name}\n`)
      return
    }
    process.stdout.write(`Removing login credentials for ${name}\n`)
  },
}
