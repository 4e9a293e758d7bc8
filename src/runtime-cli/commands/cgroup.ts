// pause, resume, ps, events, update: runc's commands that work on the container's cgroup (v2).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { TockerError } from '../../errors.js'
import { containerPids, containerState, containerStats, pauseContainer, readState, updateContainer, type LinuxResourcesInput } from '../../runtime/index.js'
import { opt, type RuntimeCommand } from '../command.js'

export const pause: RuntimeCommand = {
  name: 'pause',
  summary: 'pause suspends all processes inside the container',
  usage: '<container-id>',
  description:
    'Where "<container-id>" is the name for the instance of the container to be\npaused. \n\nDESCRIPTION:\n   The pause command suspends all processes in the instance of the container.\n\nUse runc list to identify instances of containers and their current status.',
  args: { exact: 1 },
  options: [],
  async run({ args, g }) {
    pauseContainer(args[0], true, { stateRoot: g.root })
  },
}

export const resume: RuntimeCommand = {
  name: 'resume',
  summary: 'resumes all processes that have been previously paused',
  usage: '<container-id>',
  description:
    'Where "<container-id>" is the name for the instance of the container to be\nresumed.\n\nDESCRIPTION:\n   The resume command resumes all processes in the instance of the container.\n\nUse runc list to identify instances of containers and their current status.',
  args: { exact: 1 },
  options: [],
  async run({ args, g }) {
    pauseContainer(args[0], false, { stateRoot: g.root })
  },
}

export const ps: RuntimeCommand = {
  name: 'ps',
  summary: 'ps displays the processes running inside a container',
  usage: '<container-id> [ps options]',
  args: { min: 1 },
  interspersed: false,
  options: [opt('format', 'string', 'select one of: table or json (default: "table")', { short: 'f', default: 'table' })],
  async run({ opts, args, g }) {
    const st = readState(g.root, args[0])
    if (!st) throw new TockerError('container is still being created', { code: 'ECONFLICT' })
    const pids = containerPids(st)
    if (opts.format === 'json') {
      process.stdout.write((pids.length ? JSON.stringify(pids) : 'null') + '\n')
      return
    }
    if (opts.format !== 'table') throw new TockerError('invalid format option', { code: 'EINVALID' })
    const psArgs = args.length > 1 ? args.slice(1) : ['-ef']
    const r = spawnSync('ps', psArgs, { encoding: 'utf8' })
    if (r.error) throw new TockerError(`exec ps: ${r.error.message}`, { code: 'ERUNTIME' })
    const lines = (r.stdout + r.stderr).split('\n')
    const pidIndex = lines[0].trim().split(/\s+/).indexOf('PID')
    if (pidIndex < 0) throw new TockerError("couldn't find PID field in ps output", { code: 'ERUNTIME' })
    const wanted = new Set(pids)
    let out = lines[0] + '\n'
    for (const line of lines.slice(1)) {
      if (line && wanted.has(Number(line.trim().split(/\s+/)[pidIndex]))) out += line + '\n'
    }
    process.stdout.write(out)
  },
}

/** runc's types.Stats, from what cgroup v2 counts (cpu, memory, pids). */
function runcStats(s: NonNullable<ReturnType<typeof containerStats>>): Record<string, unknown> {
  const { stats } = s
  return {
    cpu: {
      usage: { total: (stats.cpuUsageUsec ?? 0) * 1000, percpu: null, kernel: 0, user: 0 },
      throttling: { periods: stats.cpuPeriods ?? 0, throttledPeriods: stats.cpuThrottled ?? 0, throttledTime: (stats.cpuThrottledUsec ?? 0) * 1000 },
    },
    memory: { usage: { usage: stats.memoryCurrent ?? 0, failcnt: stats.memoryMaxEvents ?? 0 }, oom_kills: stats.oomKills ?? 0 },
    pids: { current: stats.pidsCurrent ?? s.pids.length },
    blkio: {},
    hugetlb: {},
  }
}

/** Go's time.ParseDuration, for the units an interval uses. */
function parseDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  let total = 0
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) throw new TockerError(`time: invalid duration "${s}"`, { code: 'EINVALID' })
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]]
  if (total <= 0) throw new TockerError('duration interval must be greater than 0', { code: 'EINVALID' })
  return total
}

export const events: RuntimeCommand = {
  name: 'events',
  summary: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
  usage: '<container-id>',
  description: 'Where "<container-id>" is the name for the instance of the container.\n\nDESCRIPTION:\n   The events command displays information about the container. By default the\ninformation is displayed once every 5 seconds.',
  args: { exact: 1 },
  options: [opt('interval', 'string', 'set the stats collection interval', { default: '5s' }), opt('stats', 'bool', "display the container's stats then exit")],
  async run({ opts, args, g }) {
    const id = args[0]
    const interval = parseDuration(String(opts.interval))
    const emit = (type: string, data?: unknown): void => {
      process.stdout.write(JSON.stringify(data === undefined ? { type, id } : { type, id, data }) + '\n')
    }
    const statsNow = (): Record<string, unknown> => {
      const s = containerStats(id, { stateRoot: g.root })
      return s ? runcStats(s) : { cpu: { usage: { total: 0 } }, memory: {}, pids: {} }
    }
    if (opts.stats) {
      emit('stats', statsNow())
      return
    }
    let ooms = containerStats(id, { stateRoot: g.root })?.stats.oomKills ?? 0
    while (containerState(id, { stateRoot: g.root }).status !== 'stopped') {
      const s = containerStats(id, { stateRoot: g.root })
      if (s && (s.stats.oomKills ?? 0) > ooms) {
        ooms = s.stats.oomKills ?? 0
        emit('oom')
      }
      emit('stats', statsNow())
      await sleep(interval)
    }
  },
}

/** update's flags, as linux.resources. */
function resourcesFromFlags(o: Record<string, any>): LinuxResourcesInput {
  const r: LinuxResourcesInput = {}
  const int = (name: string): number | undefined => {
    const v = o[name]
    if (v === undefined || v === '') return undefined
    const n = Number(String(v).replace(/[kKmMgG]$/, ''))
    const mult = /[kK]$/.test(String(v)) ? 1024 : /[mM]$/.test(String(v)) ? 1024 ** 2 : /[gG]$/.test(String(v)) ? 1024 ** 3 : 1
    if (!Number.isFinite(n)) throw new TockerError(`invalid value for --${name}: ${v}`, { code: 'EINVALID' })
    return n * mult
  }
  const memory = { limit: int('memory'), swap: int('memory-swap'), reservation: int('memory-reservation') }
  if (Object.values(memory).some((x) => x !== undefined)) r.memory = memory
  const cpu = { shares: int('cpu-share'), quota: int('cpu-quota'), period: int('cpu-period') }
  if (Object.values(cpu).some((x) => x !== undefined)) r.cpu = cpu
  if (o['cpuset-cpus'] || o['cpuset-mems']) r.cpu = { ...(r.cpu ?? {}), cpus: o['cpuset-cpus'], mems: o['cpuset-mems'] }
  const pids = int('pids-limit')
  if (pids !== undefined) r.pids = { limit: pids }
  for (const name of ['blkio-weight', 'cpu-rt-period', 'cpu-rt-runtime', 'kernel-memory', 'kernel-memory-tcp', 'l3-cache-schema', 'mem-bw-schema']) {
    if (o[name] !== undefined) throw new TockerError(`--${name} is not supported by tocker-runtime`, { code: 'ENOTIMPLEMENTED' })
  }
  return r
}

export const update: RuntimeCommand = {
  name: 'update',
  summary: 'update container resource constraints',
  usage: '<container-id>',
  description: 'Where "<container-id>" is the name for the instance of the container.\n\nThe accepted format of the --resources file is the linux.resources object of\nconfig.json (memory, cpu, pids); "-" reads it from the standard input.',
  args: { exact: 1 },
  options: [
    opt('resources', 'string', "path to a file containing the resources to update or '-' to read from the standard input", { short: 'r' }),
    opt('blkio-weight', 'string', 'Specifies per cgroup weight, range is from 10 to 1000 (not supported)'),
    opt('cpu-period', 'string', 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default'),
    opt('cpu-quota', 'string', 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period'),
    opt('cpu-share', 'string', 'CPU shares (relative weight vs. other containers)'),
    opt('cpu-rt-period', 'string', 'CPU realtime period to be used for hardcapping (in usecs) (not supported)'),
    opt('cpu-rt-runtime', 'string', 'CPU realtime hardcap limit (in usecs) (not supported)'),
    opt('cpuset-cpus', 'string', 'CPU(s) to use (not supported)'),
    opt('cpuset-mems', 'string', 'Memory node(s) to use (not supported)'),
    opt('kernel-memory', 'string', 'Kernel memory limit (in bytes) (not supported)'),
    opt('kernel-memory-tcp', 'string', 'Kernel memory limit (in bytes) for tcp buffer (not supported)'),
    opt('memory', 'string', 'Memory limit (in bytes)'),
    opt('memory-reservation', 'string', 'Memory reservation or soft_limit (in bytes) (not supported)'),
    opt('memory-swap', 'string', "Total memory usage (memory + swap); set '-1' to enable unlimited swap"),
    opt('pids-limit', 'string', 'Maximum number of pids allowed in the container'),
    opt('l3-cache-schema', 'string', 'The string of Intel RDT/CAT L3 cache schema (not supported)'),
    opt('mem-bw-schema', 'string', 'The string of Intel RDT/MBA memory bandwidth schema (not supported)'),
  ],
  async run({ opts, args, g, log }) {
    let resources: LinuxResourcesInput
    if (opts.resources) {
      const text = opts.resources === '-' ? readFileSync(0, 'utf8') : readFileSync(opts.resources, 'utf8')
      try {
        resources = JSON.parse(text) as LinuxResourcesInput
      } catch (err) {
        throw new TockerError(`decode resources: ${(err as Error).message}`, { code: 'EINVALID' })
      }
    } else resources = resourcesFromFlags(opts)
    if (g.cgroupManager === 'disabled') {
      log.warn('cgroups are disabled (--cgroup-manager=disabled): update ignored')
      return
    }
    updateContainer(args[0], resources, { stateRoot: g.root })
  },
}
