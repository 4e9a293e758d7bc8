// Docker's views of a container: `inspect` (ContainerInspect) and `ps` (ContainerSummary, with
// Docker's filters, sorting, limit and the ports column). Read-only: nothing here changes state.
import { join } from 'node:path'
import { familiarOf } from '../image/reference.js'
import type { ContainerInspect, ContainerSummary, Port } from '../api/types.js'
import { TockerError } from '../errors.js'
import { containerDir, type ContainerRecord } from './state.js'
import { statusText } from './status.js'

export type ListFilters = Record<string, string[] | Record<string, boolean>>

/** `execIds`: the running execs in the container (null when none, as Docker shows). */
export function inspectView(rec: ContainerRecord, containersDir: string, execIds: string[] | null): ContainerInspect {
  const dir = containerDir(containersDir, rec.Id)
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: rec.State,
    Image: rec.ImageID,
    ResolvConfPath: join(dir, 'resolv.conf'),
    HostnamePath: join(dir, 'hostname'),
    HostsPath: join(dir, 'hosts'),
    LogPath: rec.LogPath,
    Name: `/${rec.Name}`,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds,
    HostConfig: rec.HostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: rec.LowerDirs.join(':'),
        UpperDir: join(dir, 'upper'),
        WorkDir: join(dir, 'work'),
        MergedDir: join(dir, 'rootfs'),
      },
    },
    Mounts: rec.Mounts,
    Config: { ...rec.Config, Image: rec.Image },
    NetworkSettings: rec.NetworkSettings,
  }
}

/** The filters `GET /containers/json` accepts (moby's acceptedPsFilterTags); any other is a 400. */
const PS_FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume']
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']

export function listView(records: ContainerRecord[], q: { all: boolean; limit?: number; filters: ListFilters }): ContainerSummary[] {
  const filters: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(q.filters ?? {})) {
    if (!PS_FILTERS.includes(k)) throw new TockerError(`invalid filter '${k}'`, { code: 'EINVALID', daemon: true })
    filters[k] = Array.isArray(v) ? v : Object.keys(v).filter((x) => v[x])
  }
  for (const v of filters.status ?? []) if (!STATES.includes(v)) throw new TockerError(`Unrecognised filter value for status: ${v}`, { code: 'EINVALID', daemon: true })
  let recs = [...records].sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0))
  const limit = q.limit && q.limit > 0 ? q.limit : undefined
  // Docker: -n/-l (limit) and a status filter imply -a.
  const all = q.all || limit !== undefined || !!filters.status?.length
  if (!all) recs = recs.filter((r) => r.State.Running)
  recs = recs.filter((r) => matchesFilters(r, filters))
  if (limit) recs = recs.slice(0, limit)
  const now = Date.now()
  return recs.map((r) => ({
    Id: r.Id,
    Names: [`/${r.Name}`],
    Image: r.Image,
    ImageID: r.ImageID,
    Command: [r.Path, ...r.Args].join(' '),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: portsOf(r),
    Labels: r.Config.Labels ?? {},
    State: r.State.Status,
    Status: statusText(r.State, now),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode ?? 'default' },
    Mounts: r.Mounts,
  }))
}

function portsOf(r: ContainerRecord): Port[] {
  const out: Port[] = []
  // Docker lists no ports for a container that is not running.
  if (!r.State.Running) return out
  const published = r.NetworkSettings.Ports ?? {}
  const keys = new Set([...Object.keys(r.Config.ExposedPorts ?? {}), ...Object.keys(published)])
  for (const key of keys) {
    const [port, proto = 'tcp'] = key.split('/')
    const bindings = published[key]
    if (bindings && bindings.length) {
      for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto })
    } else {
      out.push({ PrivatePort: Number(port), Type: proto })
    }
  }
  return out
}

function matchesFilters(r: ContainerRecord, f: Record<string, string[]>): boolean {
  const any = (k: string, test: (v: string) => boolean) => !f[k]?.length || f[k].some(test)
  return (
    any('status', (v) => r.State.Status === v) &&
    any('name', (v) => {
      try {
        return new RegExp(v).test(r.Name) || new RegExp(v).test(`/${r.Name}`)
      } catch {
        return r.Name.includes(v)
      }
    }) &&
    any('id', (v) => r.Id.startsWith(v)) &&
    any('exited', (v) => r.State.Status === 'exited' && r.State.ExitCode === Number(v)) &&
    any('ancestor', (v) => r.Image === v || r.ImageID === v || r.ImageID.startsWith(`sha256:${v}`) || familiarOf(r.Image) === familiarOf(v)) &&
    // Docker's label filter wants every label asked for (docker-compose asks for project and oneoff).
    (f.label ?? []).every((v) => {
      const i = v.indexOf('=')
      const labels = r.Config.Labels ?? {}
      return i < 0 ? v in labels : labels[v.slice(0, i)] === v.slice(i + 1)
    })
  )
}
