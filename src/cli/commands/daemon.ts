// tocker daemon: run the engine (tockerd) in the foreground. The CLI starts one in the background
// by itself when none answers; this is for systemd (tocker.service) and for watching it work.
import type { Command } from '../spec.js'

export const daemon: Command = {
  usage: '',
  args: { max: 0 },
  options: [],
  async run({ g }) {
    const [{ runDaemon }, { readFileSync }] = await Promise.all([import('../../api/daemon.js'), import('node:fs')])
    const version = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version
    return runDaemon({ root: g.root, host: g.host, debug: g.debug, version })
  },
}
