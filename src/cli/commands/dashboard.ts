// tocker dashboard: Docker Desktop's images and containers views in a browser, with an x-ray of
// each container's kernel side (src/dashboard/). Runs in the foreground, as Jupyter does, and
// prints the address to open, access token included; Ctrl-C stops it. The engine is started
// first if none answers (as for any command).
import type { Command } from '../spec.js'

export const dashboard: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [
    {
      name: 'port',
      short: 'p',
      type: 'int',
      default: 8686,
      description: { en: 'Port to listen on (on 127.0.0.1 only); 0 chooses a free one', ko: '들을 포트 (127.0.0.1에서만); 0이면 빈 포트를 고릅니다' },
    },
  ],
  async run({ opts: a, g }) {
    const [{ engineClient }, { engineAddress }, { startDashboard }, guard, { t, lang }, { TockerError }] = await Promise.all([
      import('../engine.js'),
      import('../../api/socket.js'),
      import('../../dashboard/server.js'),
      import('../../dashboard/guard.js'),
      import('../../i18n/index.js'),
      import('../../errors.js'),
    ])
    const port = Number(a.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TockerError(`invalid argument "${a.port}" for "-p, --port" flag: a port is 0 to 65535`, { code: 'EUSAGE_FLAG', exitCode: 125 })
    }
    // A fixed token (tests, a teacher's projector) comes from the environment, never from the
    // command line: any local user can read another's /proc/PID/cmdline, not its environment.
    const fixed = process.env.TOCKER_DASHBOARD_TOKEN
    const bad = fixed !== undefined ? guard.checkToken(fixed) : undefined
    if (bad) throw new TockerError(`TOCKER_DASHBOARD_TOKEN: ${bad}`, { code: 'EUSAGE' })
    await (await engineClient(g)).ping()
    const d = await startDashboard({ socket: engineAddress(g.root, g.host).socket, port, token: fixed ?? guard.newToken(), lang: lang() })
    process.stdout.write(`${t('dashboard.listening')}\n\n    ${d.url}\n\n${t('dashboard.tokenNote')}\n${t('dashboard.vagrant')}\n`)
    await new Promise<void>((resolve) => {
      const stop = () => void d.close().then(resolve)
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      process.once('SIGHUP', stop)
    })
  },
}
