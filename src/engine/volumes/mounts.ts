// What a container mounts, from its create request, in Docker's rules and words
// (moby volume/mounts/linux_parser.go and daemon/volumes.go registerMountPoints):
//   HostConfig.Binds   -v SRC:DST[:MODE]: SRC absolute = a host path (created when missing), else a
//                      volume name (created when missing); DST alone = an anonymous volume
//   HostConfig.Mounts  --mount type=bind|volume|tmpfs,…: a bind source must exist
//   HostConfig.Tmpfs   --tmpfs DST[:OPTIONS]
//   Config.Volumes     -v /path (the CLI sends it here) and the image's VOLUME: an anonymous volume
//                      at each destination nothing else mounts
// Pure: it parses and checks, it creates nothing (see resolve.ts for that).
import { isAbsolute, posix } from 'node:path'
import { TockerError } from '../../errors.js'
import type { HostConfig, MountSpecBody } from '../../api/types.js'
import { VOLUME_NAME } from './store.js'

export interface MountPlan {
  Type: 'bind' | 'volume' | 'tmpfs'
  /** bind: the host path; volume: the name ('' = anonymous, named at create); tmpfs: ''. */
  Source: string
  Destination: string
  RW: boolean
  /** Docker's inspect "Mode": what -v said ("ro", "z"…), "z" for a local volume, else "". */
  Mode: string
  /** Docker's inspect "Propagation": "rprivate" for binds, "" otherwise. */
  Propagation: string
  /** -v with a host path that does not exist: Docker creates it (--mount refuses it). */
  CreateSource?: boolean
  /** Do not copy the image's content at the destination into an empty volume (volume-nocopy). */
  NoCopy?: boolean
  /** tmpfs: mount(2) data, e.g. "size=65536k,mode=1777". */
  Data?: string
  /** volume: labels for a volume this mount creates (--mount volume-label=…). */
  Labels?: Record<string, string>
  /** volume: driver options for a volume this mount creates (--mount volume-opt=…). */
  DriverOpts?: Record<string, string>
  /** The image's VOLUME (or Config.Volumes): an anonymous volume. */
  FromConfig?: boolean
  /** tmpfs of --mount: listed in inspect's Mounts (--tmpfs ones are not, as in Docker). */
  Listed?: boolean
  /** volume, once resolved: made for this container with no name (rm -v removes it with it). */
  Anonymous?: boolean
}

function invalid(message: string): TockerError {
  return new TockerError(message, { daemon: true, code: 'EINVALIDMOUNT' })
}

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'copy', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'])
const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'])

/** Docker's ValidMountMode: at most one of each kind (rw/ro, z/Z, propagation, copy/nocopy). */
export function validMode(mode: string): boolean {
  if (mode === '') return true
  const seen = { rw: 0, label: 0, prop: 0, copy: 0 }
  for (const m of mode.split(',')) {
    if (!MODES.has(m)) return false
    if (m === 'ro' || m === 'rw') seen.rw++
    else if (m === 'z' || m === 'Z') seen.label++
    else if (m === 'copy' || m === 'nocopy') seen.copy++
    else seen.prop++
  }
  return seen.rw <= 1 && seen.label <= 1 && seen.prop <= 1 && seen.copy <= 1
}

function mountConfigError(type: string, why: string): TockerError {
  return invalid(`invalid mount config for type ${JSON.stringify(type)}: ${why}`)
}

function checkTarget(type: string, target: string): string {
  if (!target) throw mountConfigError(type, 'field Target must not be empty')
  if (!isAbsolute(target)) throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`)
  const clean = posix.normalize(target).replace(/(.)\/+$/, '$1')
  if (clean === '/') throw mountConfigError(type, "invalid specification: destination can't be '/'")
  return clean
}

/** A volume's name, checked before anything is made (the words of Docker's volume create). */
function checkVolumeName(name: string): void {
  if (name && !VOLUME_NAME.test(name)) {
    throw invalid(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    )
  }
}

/** One -v / Binds entry. */
export function parseBind(raw: string): MountPlan {
  const arr = raw.split(':')
  if (arr.some((p) => p === '')) throw invalid(`invalid spec: ${raw}: empty section between colons`)
  let source = ''
  let target: string
  let mode = ''
  if (arr.length === 1) target = arr[0]
  else if (arr.length === 2) {
    // "/foo:rw" is a destination with a mode, which a volume cannot have.
    if (validMode(arr[1])) throw invalid(`invalid volume specification: '${raw}'`)
    ;[source, target] = arr
  } else if (arr.length === 3) [source, target, mode] = arr
  else throw invalid(`invalid volume specification: '${raw}'`)
  if (!validMode(mode)) throw invalid(`invalid mode: ${mode}`)
  const words = mode ? mode.split(',') : []
  const type = isAbsolute(source) ? 'bind' : 'volume'
  let dest: string
  try {
    dest = checkTarget(type, target)
  } catch (err) {
    throw invalid(`invalid volume specification: '${raw}': ${(err as Error).message}`)
  }
  const rw = !words.includes('ro')
  if (type === 'bind') {
    return { Type: 'bind', Source: posix.normalize(source), Destination: dest, RW: rw, Mode: mode, Propagation: words.find((w) => PROPAGATIONS.has(w)) ?? 'rprivate', CreateSource: true }
  }
  if (!source && !rw) throw invalid(`invalid volume specification: '${raw}': must not set ReadOnly mode when using anonymous volumes`)
  checkVolumeName(source)
  return { Type: 'volume', Source: source, Destination: dest, RW: rw, Mode: mode || 'z', Propagation: '', NoCopy: words.includes('nocopy') }
}

/** One --mount / HostConfig.Mounts entry (the CLI has parsed its CSV already, as Docker's does). */
export function parseMount(m: MountSpecBody): MountPlan {
  const type = m.Type ?? ''
  const rw = !m.ReadOnly
  switch (type) {
    case 'bind': {
      const dest = checkTarget(type, m.Target ?? '')
      if (!m.Source) throw mountConfigError(type, 'field Source must not be empty')
      if (m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified')
      if (m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified')
      if (!isAbsolute(m.Source)) throw mountConfigError(type, `invalid mount path: '${m.Source}' mount path must be absolute`)
      const propagation = m.BindOptions?.Propagation || 'rprivate'
      if (!PROPAGATIONS.has(propagation)) throw mountConfigError(type, `invalid propagation mode: ${propagation}`)
      return { Type: 'bind', Source: posix.normalize(m.Source), Destination: dest, RW: rw, Mode: '', Propagation: propagation, CreateSource: !!m.BindOptions?.CreateMountpoint }
    }
    case 'volume': {
      const dest = checkTarget(type, m.Target ?? '')
      if (m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified')
      if (m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified')
      if (!m.Source && m.ReadOnly) throw mountConfigError(type, 'must not set ReadOnly mode when using anonymous volumes')
      const driver = m.VolumeOptions?.DriverConfig?.Name
      if (driver && driver !== 'local') throw invalid(`create ${m.Source}: error looking up volume plugin ${driver}: plugin "${driver}" not found`)
      if (m.VolumeOptions?.Subpath) throw mountConfigError(type, 'volume subpaths are not supported by tocker')
      checkVolumeName(m.Source ?? '')
      return {
        Type: 'volume',
        Source: m.Source ?? '',
        Destination: dest,
        RW: rw,
        Mode: 'z',
        Propagation: '',
        NoCopy: !!m.VolumeOptions?.NoCopy,
        Labels: m.VolumeOptions?.Labels ?? undefined,
        DriverOpts: m.VolumeOptions?.DriverConfig?.Options ?? undefined,
      }
    }
    case 'tmpfs': {
      const dest = checkTarget(type, m.Target ?? '')
      if (m.Source) throw mountConfigError(type, 'field Source must not be specified')
      if (m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified')
      if (m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified')
      const data: string[] = []
      const size = m.TmpfsOptions?.SizeBytes
      if (size !== undefined && size !== 0) {
        if (!Number.isInteger(size) || size < 0) throw mountConfigError(type, `invalid tmpfs size: ${size}`)
        data.push(`size=${Math.ceil(size / 1024)}k`)
      }
      const mode = m.TmpfsOptions?.Mode
      if (mode !== undefined && mode !== 0) data.push(`mode=${(mode & 0o7777).toString(8)}`)
      return { Type: 'tmpfs', Source: '', Destination: dest, RW: rw, Mode: '', Propagation: '', Data: data.join(','), Listed: true }
    }
    default:
      throw mountConfigError(type, 'mount type unknown')
  }
}

/** One --tmpfs / HostConfig.Tmpfs entry: "DST" -> "rw,size=64m,mode=1777". */
export function parseTmpfs(dest: string, options: string): MountPlan {
  const d = checkTarget('tmpfs', dest)
  const words = options ? options.split(',').filter(Boolean) : []
  return { Type: 'tmpfs', Source: '', Destination: d, RW: !words.includes('ro'), Mode: '', Propagation: '', Data: words.filter((w) => w !== 'ro' && w !== 'rw').join(',') }
}

/**
 * Every mount of a new container, in Docker's order of precedence: Binds and Mounts (a destination
 * twice is an error), --tmpfs, then an anonymous volume for each Config.Volumes / image VOLUME
 * destination not mounted yet. Sorted parents first, so /a is mounted before /a/b.
 */
export function planMounts(hc: HostConfig | undefined, configVolumes: Record<string, object> | null | undefined, imageVolumes: Record<string, object> | null | undefined): MountPlan[] {
  const plans: MountPlan[] = []
  const seen = new Set<string>()
  const add = (p: MountPlan) => {
    if (seen.has(p.Destination)) throw invalid(`Duplicate mount point: ${p.Destination}`)
    seen.add(p.Destination)
    plans.push(p)
  }
  for (const b of hc?.Binds ?? []) add(parseBind(b))
  for (const m of hc?.Mounts ?? []) add(parseMount(m))
  for (const [dest, opts] of Object.entries(hc?.Tmpfs ?? {})) add(parseTmpfs(dest, opts ?? ''))
  for (const dest of [...Object.keys(configVolumes ?? {}), ...Object.keys(imageVolumes ?? {})]) {
    let d: string
    try {
      d = checkTarget('volume', dest)
    } catch (err) {
      throw invalid(`invalid volume specification: '${dest}': ${(err as Error).message}`)
    }
    if (seen.has(d)) continue
    seen.add(d)
    plans.push({ Type: 'volume', Source: '', Destination: d, RW: true, Mode: '', Propagation: '', FromConfig: true })
  }
  return plans.sort((a, b) => depth(a.Destination) - depth(b.Destination))
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length
}
