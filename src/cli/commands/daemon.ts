// tocker daemon: run the engine (tockerd) in the foreground. The CLI starts one in the background
// by itself when none answers; this is for systemd (tocker.service) and for watching it work.
import type { Command } from '../spec.js'

export const daemon: Command = {
  usage: '',
  args: { max: 0 },
  options: [],
  async run({ g }) {
    const [{ runDaemon }, { packageVersion }] = await Promise.all([import('../../api/daemon.js'), import('../../package-root.js')])
    const version = packageVersion()
    return runDaemon({ root: g.root, host: g.host, debug: g.debug, version })
  },
}
