// The options `run` and `create` share, and how they become the body of POST /containers/create
// (Docker's Config + HostConfig). Parsed with argv.ts so that everything after the image is the
// container's command.
import { resolve } from 'node:path'
import type { Argv } from 'yargs'
import type { ContainerCreateBody } from '../api/types.js'
import { TockerError } from '../errors.js'
import type { OptionSpec } from './argv.js'

export const CREATE_OPTIONS: OptionSpec = {
  interactive: { kind: 'boolean', alias: ['i'] },
  tty: { kind: 'boolean', alias: ['t'] },
  env: { kind: 'array', alias: ['e'] },
  workdir: { kind: 'string', alias: ['w'] },
  user: { kind: 'string', alias: ['u'] },
  hostname: { kind: 'string', alias: ['h'] },
  entrypoint: { kind: 'string' },
  volume: { kind: 'array', alias: ['v'] },
  memory: { kind: 'string', alias: ['m'] },
  'memory-swap': { kind: 'string' },
  cpus: { kind: 'string' },
  'cpu-shares': { kind: 'number', alias: ['c'] },
  'pids-limit': { kind: 'number' },
  rm: { kind: 'boolean' },
  name: { kind: 'string' },
  publish: { kind: 'array', alias: ['p'] },
  'publish-all': { kind: 'boolean', alias: ['P'] },
  expose: { kind: 'array' },
  network: { kind: 'string', alias: ['net'] },
  label: { kind: 'array', alias: ['l'] },
  'log-driver': { kind: 'string' },
  'log-opt': { kind: 'array' },
  'stop-signal': { kind: 'string' },
  'stop-timeout': { kind: 'number' },
  restart: { kind: 'string' },
  platform: { kind: 'string' },
}

export const RUN_OPTIONS: OptionSpec = {
  ...CREATE_OPTIONS,
  detach: { kind: 'boolean', alias: ['d'] },
  'sig-proxy': { kind: 'boolean' },
}

/** The same options for yargs (help text and type checks). */
export function describeCreateOptions(y: Argv, run: boolean): Argv {
  // Repeatable options are plain strings here: a yargs array option would swallow the image and
  // the command after it (`-p 8081:80 httpd`). argv.ts collects the repeats.
  y = y
    .parserConfiguration({ 'unknown-options-as-args': true })
    .strictOptions(false)
    .option('interactive', { alias: 'i', type: 'boolean', describe: 'Keep STDIN open even if not attached' })
    .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' })
    .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables' })
    .option('workdir', { alias: 'w', type: 'string', describe: 'Working directory inside the container' })
    .option('user', { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' })
    .option('hostname', { type: 'string', describe: 'Container host name' })
    .option('entrypoint', { type: 'string', describe: 'Overwrite the default ENTRYPOINT of the image' })
    .option('volume', { alias: 'v', type: 'string', describe: 'Bind mount a host directory: /host:/ctr[:ro]' })
    .option('memory', { alias: 'm', type: 'string', describe: 'Memory limit (e.g. 64m)' })
    .option('memory-swap', { type: 'string', describe: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" })
    .option('cpus', { type: 'string', describe: 'Number of CPUs' })
    .option('cpu-shares', { alias: 'c', type: 'number', describe: 'CPU shares (relative weight)' })
    .option('pids-limit', { type: 'number', describe: 'Tune container pids limit' })
    .option('rm', { type: 'boolean', describe: 'Automatically remove the container when it exits' })
    .option('name', { type: 'string', describe: 'Assign a name to the container' })
    .option('publish', { alias: 'p', type: 'string', describe: "Publish a container's port(s) to the host" })
    .option('publish-all', { alias: 'P', type: 'boolean', describe: 'Publish all exposed ports to random ports' })
    .option('expose', { type: 'string', describe: 'Expose a port or a range of ports' })
    .option('network', { type: 'string', describe: 'Connect a container to a network (bridge, none, host)' })
    .option('label', { alias: 'l', type: 'string', describe: 'Set meta data on a container' })
    .option('log-driver', { type: 'string', describe: 'Logging driver for the container (json-file only)' })
    .option('log-opt', { type: 'string', describe: 'Log driver options (max-size, max-file)' })
    .option('stop-signal', { type: 'string', describe: 'Signal to stop the container' })
    .option('stop-timeout', { type: 'number', describe: 'Timeout (in seconds) to stop a container' })
    .option('restart', { type: 'string', describe: 'Restart policy (only "no" is supported)' })
    .option('platform', { type: 'string', describe: 'Set platform if server is multi-platform capable' })
  if (run) {
    y = y
      .option('detach', { alias: 'd', type: 'boolean', describe: 'Run container in background and print container ID' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Proxy received signals to the process' })
  }
  return y
}

/** Docker's RAMInBytes: "64m" → 67108864 (1024-based, optional trailing "b"). */
export function parseBytes(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(s.trim())
  if (!m) throw new TockerError(`invalid argument "${s}" for "${flag}" flag: invalid size: '${s}'`, { exitCode: 125 })
  const pow = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase())
  return Math.floor(Number(m[1]) * 1024 ** pow)
}

function parseLogOpts(opts: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const o of opts) {
    const i = o.indexOf('=')
    if (i < 0) throw new TockerError(`invalid log opt format: ${o}`, { exitCode: 125 })
    const k = o.slice(0, i)
    if (k !== 'max-size' && k !== 'max-file') throw new TockerError(`unknown log opt '${k}' for json-file log driver`, { daemon: true, exitCode: 125 })
    out[k] = o.slice(i + 1)
  }
  return out
}

function parseBind(v: string): string {
  const parts = v.split(':')
  if (parts.length < 2 || parts.length > 3 || !parts[1]) throw new TockerError(`invalid volume specification: '${v}'`, { exitCode: 125 })
  let src = parts[0]
  if (src.startsWith('.')) src = resolve(src)
  if (!src.startsWith('/')) {
    throw new TockerError(`named volumes are not supported by tocker: "${src}" (use an absolute host path, e.g. -v $PWD/${src}:${parts[1]})`, { exitCode: 125 })
  }
  if (!parts[1].startsWith('/')) throw new TockerError(`invalid volume specification: '${v}': invalid mount config: mount path must be absolute`, { exitCode: 125 })
  if (parts[2] && !parts[2].split(',').every((m) => ['ro', 'rw', 'z', 'Z'].includes(m))) throw new TockerError(`invalid mode: ${parts[2]}`, { exitCode: 125 })
  return [src, ...parts.slice(1)].join(':')
}

export async function createBody(o: Record<string, any>, positional: string[], detach: boolean): Promise<ContainerCreateBody> {
  const [image, ...cmd] = positional
  if (!image) throw new TockerError(`"${detach ? 'run' : 'create'}" requires at least 1 argument.`, { exitCode: 125, hint: 'See \'tocker run --help\'.' })
  if (o.restart && o.restart !== 'no') throw new TockerError(`restart policies are not supported by tocker (got --restart ${o.restart})`, { exitCode: 125 })
  if (o['log-driver'] && o['log-driver'] !== 'json-file') throw new TockerError(`logging driver "${o['log-driver']}" is not supported: tocker writes json-file logs`, { exitCode: 125 })
  let exposedPorts: Record<string, object> | undefined
  let portBindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined
  if (o.publish?.length || o.expose?.length) {
    const ports = await import('../network/port-spec.js')
    const parsed = ports.parsePortSpecs(o.publish ?? [])
    exposedPorts = { ...parsed.exposedPorts }
    for (const e of o.expose ?? []) for (const k of ports.parseExposeSpec(e)) exposedPorts[k] = {}
    portBindings = parsed.portBindings as typeof portBindings
  }
  const interactive = !!o.interactive
  const attach = !detach
  const cpus = o.cpus !== undefined ? Number(o.cpus) : undefined
  if (cpus !== undefined && !(cpus > 0)) throw new TockerError(`invalid argument "${o.cpus}" for "--cpus" flag: range of CPUs is from 0.01 to the number of CPUs available`, { exitCode: 125 })
  const labels: Record<string, string> = {}
  for (const l of o.label ?? []) {
    const i = l.indexOf('=')
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1)
  }
  const env = (o.env ?? []).map((e: string) => (e.includes('=') ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : e))
  return {
    Image: image,
    Cmd: cmd.length ? cmd : null,
    Entrypoint: o.entrypoint !== undefined ? (o.entrypoint === '' ? [] : [o.entrypoint]) : undefined,
    Env: env,
    WorkingDir: o.workdir ?? '',
    User: o.user ?? '',
    Hostname: o.hostname ?? '',
    Tty: !!o.tty,
    OpenStdin: interactive,
    StdinOnce: interactive && attach,
    AttachStdin: interactive && attach,
    AttachStdout: attach,
    AttachStderr: attach,
    Labels: labels,
    StopSignal: o['stop-signal'],
    StopTimeout: o['stop-timeout'],
    ExposedPorts: exposedPorts,
    HostConfig: {
      Binds: (o.volume ?? []).map(parseBind),
      Memory: o.memory ? parseBytes(o.memory, '--memory') : 0,
      MemorySwap: o['memory-swap'] ? (o['memory-swap'] === '-1' ? -1 : parseBytes(o['memory-swap'], '--memory-swap')) : 0,
      NanoCpus: cpus ? Math.round(cpus * 1e9) : 0,
      CpuShares: o['cpu-shares'] ?? 0,
      PidsLimit: o['pids-limit'] ?? null,
      AutoRemove: !!o.rm,
      PortBindings: portBindings ?? {},
      PublishAllPorts: !!o['publish-all'],
      NetworkMode: o.network ?? 'default',
      LogConfig: { Type: 'json-file', Config: parseLogOpts(o['log-opt'] ?? []) },
    },
  }
}
