// The CLI's side of mounts, as Docker's CLI does it (cli/opts/mount.go, container/opts.go):
//   --mount type=…,source=…,target=…  a CSV line → one HostConfig.Mounts entry; its errors are flag
//                                     errors ("invalid argument … for "--mount" flag: …", exit 125)
//   -v SRC:DST[:MODE]                 HostConfig.Binds as written ("./dir" made absolute);
//   -v /path                          an anonymous volume: Config.Volumes
//   --tmpfs DST[:OPTIONS]             HostConfig.Tmpfs
// Everything else (sources, names, modes) the engine checks, so every API client gets the same words.
import { resolve } from 'node:path'
import type { MountSpecBody } from '../api/types.js'
import { TockerError } from '../errors.js'
import { FlagError } from './usage-error.js'

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false
  return undefined
}

/** Go's encoding/csv, one record: fields separated by commas, "quoted, fields" with "" for a quote. */
export function csvFields(line: string): string[] {
  const out: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (line[i] === '"') {
      i++
      for (;;) {
        if (i >= line.length) throw new TockerError('extraneous or missing " in quoted-field', { code: 'ECSV', internal: true })
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += line[i++]
      }
      if (i < line.length && line[i] !== ',') throw new TockerError('extraneous or missing " in quoted-field', { code: 'ECSV', internal: true })
    } else {
      while (i < line.length && line[i] !== ',') field += line[i++]
    }
    out.push(field)
    if (i >= line.length) return out
    i++ // the comma
  }
}

/** go-units RAMInBytes ("64m" = 64 MiB). */
function ramInBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim())
  if (!m) return undefined
  return Math.floor(Number(m[1]) * 1024 ** ' kmgtp'.indexOf((m[2] || ' ').toLowerCase()))
}

/** One --mount value → a Docker mount.Mount. */
export function parseMountFlag(value: string): MountSpecBody {
  const fail = (why: string) => new FlagError(`invalid argument "${value}" for "--mount" flag: ${why}`)
  let fields: string[]
  try {
    fields = csvFields(value)
  } catch (err) {
    throw fail((err as Error).message)
  }
  const mount: MountSpecBody = { Type: 'volume' }
  const volumeOptions = () => (mount.VolumeOptions ??= {})
  const bindOptions = () => (mount.BindOptions ??= {})
  const tmpfsOptions = () => (mount.TmpfsOptions ??= {})
  const boolOf = (key: string, v: string) => {
    const b = parseBool(v)
    if (b === undefined) throw fail(`invalid value for ${key}: ${v}`)
    return b
  }
  for (const field of fields) {
    const eq = field.indexOf('=')
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase()
    const val = eq < 0 ? '' : field.slice(eq + 1)
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true
      else throw fail(`invalid field '${field}' must be a key=value pair`)
      continue
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase()
        break
      case 'source':
      case 'src':
        mount.Source = val === '.' || val.startsWith('./') ? resolve(val) : val
        break
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val
        break
      case 'readonly':
      case 'ro':
        mount.ReadOnly = boolOf(key, val)
        break
      case 'consistency':
        mount.Consistency = val.toLowerCase()
        break
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase()
        break
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = boolOf(key, val)
        break
      case 'volume-nocopy':
        volumeOptions().NoCopy = boolOf('volume-nocopy', val)
        break
      case 'volume-label': {
        const i = val.indexOf('=')
        ;(volumeOptions().Labels ??= {})[i < 0 ? val : val.slice(0, i)] = i < 0 ? '' : val.slice(i + 1)
        break
      }
      case 'volume-driver':
        ;(volumeOptions().DriverConfig ??= {}).Name = val
        break
      case 'volume-opt': {
        const i = val.indexOf('=')
        const dc = (volumeOptions().DriverConfig ??= {})
        ;(dc.Options ??= {})[i < 0 ? val : val.slice(0, i)] = i < 0 ? '' : val.slice(i + 1)
        break
      }
      case 'volume-subpath':
        volumeOptions().Subpath = val
        break
      case 'tmpfs-size': {
        const n = ramInBytes(val)
        if (n === undefined) throw fail(`invalid value for ${key}: ${val}`)
        tmpfsOptions().SizeBytes = n
        break
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val)) throw fail(`invalid value for ${key}: ${val}`)
        tmpfsOptions().Mode = parseInt(val, 8)
        break
      }
      default:
        throw fail(`unexpected key '${key}' in '${field}'`)
    }
  }
  if (!mount.Type) throw fail('type is required')
  if (!mount.Target) throw fail('target is required')
  if (mount.VolumeOptions && mount.Type !== 'volume') throw fail(`cannot mix 'volume-*' options with mount type '${mount.Type}'`)
  if (mount.BindOptions && mount.Type !== 'bind') throw fail(`cannot mix 'bind-*' options with mount type '${mount.Type}'`)
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw fail(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`)
  return mount
}

/** -v values → Binds (with a source) and Config.Volumes (a destination alone: an anonymous volume). */
export function splitVolumeFlags(values: string[]): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = []
  const volumes: Record<string, object> = {}
  for (const v of values) {
    const parts = v.split(':')
    if (parts.length === 1) {
      volumes[v] = {}
      continue
    }
    const [host, ...rest] = parts
    const abs = host === '.' || host.startsWith('./') || host === '..' || host.startsWith('../') ? resolve(host) : host
    binds.push([abs, ...rest].join(':'))
  }
  return { binds, volumes }
}

/** --tmpfs DST[:OPTIONS] → HostConfig.Tmpfs. */
export function tmpfsFlags(values: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values) {
    const i = v.indexOf(':')
    out[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1)
  }
  return out
}
