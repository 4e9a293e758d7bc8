// tocker volume create / ls / inspect / rm / prune: Docker's volume commands, through the engine's
// /volumes API, with Docker's output (names printed one per line, the "DRIVER  VOLUME NAME" table,
// inspect's JSON array, prune's question and its "Total reclaimed space").
import { filtersJson } from '../filters.js'
import { kvMap } from '../kv.js'
import { LIST_FORMAT_HELP, OBJECT_FORMAT_HELP, type Command, type CommandContext } from '../spec.js'

const FILTER = { name: 'filter', short: 'f', type: 'filter', valueName: 'filter', description: { en: "Provide filter values (e.g. 'dangling=true')", ko: "조건으로 걸러 냅니다 (예: 'dangling=true', 'name=…', 'label=…')" } } as const

export const volumeCreate: Command = {
  usage: '[OPTIONS] [VOLUME]',
  args: { max: 1 },
  options: [
    { name: 'driver', short: 'd', type: 'string', default: 'local', description: { en: 'Specify volume driver name', ko: '볼륨 드라이버 이름 (local만 지원)' } },
    { name: 'label', type: 'list', description: { en: 'Set metadata for a volume', ko: '볼륨에 메타데이터(레이블)를 붙입니다' } },
    { name: 'name', type: 'string', description: { en: 'Specify volume name', ko: '볼륨 이름' } },
    { name: 'opt', short: 'o', type: 'list', valueName: 'map', description: { en: 'Set driver specific options', ko: '드라이버 옵션 (type=, device=, o=)' } },
  ],
  async run({ opts: a, args, g }) {
    const { engineClient } = await import('../engine.js')
    if (args[0] && a.name && args[0] !== a.name) {
      const { FlagError } = await import('../usage-error.js')
      throw new FlagError(`conflicting options: either specify --name or provide positional arg, not both`)
    }
    const client = await engineClient(g)
    const v = await client.createVolume({ Name: args[0] ?? a.name ?? '', Driver: a.driver as string, DriverOpts: kvMap(a.opt), Labels: kvMap(a.label) })
    process.stdout.write(`${v.Name}\n`)
  },
}

export const volumeLs: Command = {
  usage: '[OPTIONS]',
  paths: ['volume ls', 'volume list'],
  args: { max: 0 },
  options: [FILTER, { name: 'format', type: 'string', description: LIST_FORMAT_HELP }, { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Only display volume names', ko: '볼륨 이름만 출력합니다' } }],
  async run({ opts: a, g }) {
    const [{ engineClient }, { formatRows }] = await Promise.all([import('../engine.js'), import('../format/template.js')])
    const client = await engineClient(g)
    const { Volumes } = await client.listVolumes(filtersJson((a.filter as string[] | undefined) ?? []))
    const rows = (Volumes ?? []).map((v) => ({ ...v, Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','), Links: 'N/A', Size: 'N/A' }))
    const format = a.quiet ? '{{.Name}}' : a.format ? String(a.format) : 'table {{.Driver}}\t{{.Name}}'
    process.stdout.write(formatRows(format, rows, { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Scope: 'SCOPE', CreatedAt: 'CREATED AT' }))
  },
}

async function inspectEach(ctx: CommandContext, get: (name: string) => Promise<unknown>): Promise<number> {
  const [{ render }, { errorText }] = await Promise.all([import('../format/template.js'), import('../report.js')])
  const found: unknown[] = []
  let failed = false
  for (const name of ctx.args) {
    try {
      found.push(await get(name))
    } catch (err) {
      failed = true
      process.stderr.write(errorText(err))
    }
  }
  if (ctx.opts.format) { for (const o of found) process.stdout.write(render(String(ctx.opts.format), o) + '\n') }
  else process.stdout.write(JSON.stringify(found, null, 4) + '\n')
  return failed ? 1 : 0
}

export const volumeInspect: Command = {
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  args: { min: 1 },
  options: [{ name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP }],
  async run(ctx) {
    const client = await (await import('../engine.js')).engineClient(ctx.g)
    return inspectEach(ctx, (name) => client.inspectVolume(name))
  },
}

export const volumeRm: Command = {
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  paths: ['volume rm', 'volume remove'],
  args: { min: 1 },
  options: [{ name: 'force', short: 'f', type: 'bool', description: { en: 'Force the removal of one or more volumes', ko: '없는 볼륨이어도 오류 없이 넘어갑니다 (쓰는 중인 볼륨은 지우지 않습니다)' } }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(args, (v) => client.removeVolume(v, !!a.force))
  },
}

export const volumePrune: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [
    { name: 'all', short: 'a', type: 'bool', description: { en: 'Remove all unused volumes, not just anonymous ones', ko: '익명 볼륨뿐 아니라 쓰이지 않는 모든 볼륨을 지웁니다' } },
    { name: 'filter', type: 'filter', valueName: 'filter', description: { en: 'Provide filter values (e.g. "label=<label>")', ko: '조건으로 걸러 냅니다 (예: "label=<레이블>")' } },
    { name: 'force', short: 'f', type: 'bool', description: { en: 'Do not prompt for confirmation', ko: '확인을 묻지 않습니다' } },
  ],
  async run({ opts: a, g }) {
    const [{ engineClient }, { confirm }, { humanSize }] = await Promise.all([import('../engine.js'), import('./prune.js'), import('../output.js')])
    const filters = [...((a.filter as string[] | undefined) ?? [])]
    if (a.all) filters.push('all=true')
    const warning = a.all ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.'
    if (!a.force && !(await confirm(warning))) return 0
    const client = await engineClient(g)
    const r = await client.pruneVolumes(filtersJson(filters))
    if (r.VolumesDeleted?.length) process.stdout.write(`Deleted Volumes:\n${r.VolumesDeleted.join('\n')}\n\n`)
    process.stdout.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`)
    return 0
  },
}
