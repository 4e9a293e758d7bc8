// tocker logs: what the container wrote, from its json-file log (kept by the shim even while the
// engine is down). -f follows until the container stops (or Ctrl-C).
import type { TockerCommand } from '../command.js'

/** Docker's --since/--until: a duration ("10m", "1h30m"), an RFC 3339 time, or unix seconds. */
export function parseTimeArg(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v)
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(v)
  if (dur && v) {
    const [, h = '0', m = '0', s = '0', ms = '0'] = dur
    return (now - (Number(h) * 3600e3 + Number(m) * 60e3 + Number(s) * 1e3 + Number(ms))) / 1000
  }
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw new Error(`invalid value for "since": failed to parse value as time or duration: "${v}"`)
  return t / 1000
}

export const logs: TockerCommand = {
  command: 'logs <container>',
  describe: 'Fetch the logs of a container',
  builder: (y) =>
    y
      .positional('container', { type: 'string' })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'Follow log output' })
      .option('tail', { alias: 'n', type: 'string', default: 'all', describe: 'Number of lines to show from the end of the logs' })
      .option('timestamps', { alias: 't', type: 'boolean', describe: 'Show timestamps' })
      .option('since', { type: 'string', describe: 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)' })
      .option('until', { type: 'string', describe: 'Show logs before a timestamp or relative time' })
      .option('details', { type: 'boolean', describe: 'Show extra details (none in tocker)' }),
  async run(a, g) {
    const [{ engineClient, }, { demultiplex }] = await Promise.all([import('../engine.js'), import('../../api/client.js')])
    const client = await engineClient(g)
    const res = await client.logs(String(a.container), {
      follow: a.follow ? 1 : undefined,
      stdout: 1,
      stderr: 1,
      timestamps: a.timestamps ? 1 : undefined,
      tail: a.tail === 'all' ? undefined : Number(a.tail),
      since: a.since ? parseTimeArg(String(a.since)) : undefined,
      until: a.until ? parseTimeArg(String(a.until)) : undefined,
    })
    const raw = res.headers['content-type'] === 'application/vnd.docker.raw-stream'
    const write = raw ? (d: Buffer) => void process.stdout.write(d) : demultiplex((s, d) => (s === 2 ? process.stderr : process.stdout).write(d))
    await new Promise<void>((resolve, reject) => {
      res.on('data', write)
      res.on('end', resolve)
      res.on('error', reject)
    })
  },
}
