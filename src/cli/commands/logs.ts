// tocker logs: what the container wrote, from its json-file log (kept by the shim even while the
// engine is down). -f follows until the container stops (or Ctrl-C).
import { TockerError } from '../../errors.js'
import type { Command } from '../spec.js'

/** Docker's --since/--until: a duration ("10m", "1h30m"), an RFC 3339 time, or unix seconds. */
export function parseTimeArg(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v)
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(v)
  if (dur && v) {
    const [, h = '0', m = '0', s = '0', ms = '0'] = dur
    return (now - (Number(h) * 3600e3 + Number(m) * 60e3 + Number(s) * 1e3 + Number(ms))) / 1000
  }
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw new TockerError(`invalid value for "since": failed to parse value as time or duration: "${v}"`, { code: 'EINVALIDTIME' })
  return t / 1000
}

export const logs: Command = {
  usage: '[OPTIONS] CONTAINER',
  paths: ['container logs', 'logs'],
  args: { min: 1, max: 1 },
  complete: 'containers',
  options: [
    { name: 'details', type: 'bool', description: { en: 'Show extra details provided to logs', ko: '로그의 추가 정보를 보여 줍니다 (tocker에는 없음)' } },
    { name: 'follow', short: 'f', type: 'bool', description: { en: 'Follow log output', ko: '새로 나오는 로그를 계속 보여 줍니다 (Ctrl-C로 끝냄)' } },
    {
      name: 'since',
      type: 'string',
      description: { en: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', ko: '이 시각 이후의 로그만 (예: "2013-01-02T13:23:37Z" 또는 "42m"은 42분 전부터)' },
    },
    { name: 'tail', short: 'n', type: 'string', default: 'all', description: { en: 'Number of lines to show from the end of the logs', ko: '로그의 끝에서부터 보여 줄 줄 수' } },
    { name: 'timestamps', short: 't', type: 'bool', description: { en: 'Show timestamps', ko: '각 줄의 시각을 보여 줍니다' } },
    { name: 'until', type: 'string', description: { en: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', ko: '이 시각 이전의 로그만' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { demultiplex }] = await Promise.all([import('../engine.js'), import('../../api/client.js')])
    const client = await engineClient(g)
    const res = await client.logs(args[0], {
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
