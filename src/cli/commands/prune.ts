// tocker image prune / container prune: the engine removes what nothing uses (POST /images/prune,
// POST /containers/prune) after Docker's confirmation question (-f to skip it), and this prints
// what went and the space it freed, as Docker does.
import { filtersJson } from '../filters.js'
import type { Command, CommandContext } from '../spec.js'

const FORCE = { name: 'force', short: 'f', type: 'bool', description: { en: 'Do not prompt for confirmation', ko: '확인을 묻지 않습니다' } } as const
const FILTER = { name: 'filter', type: 'filter', valueName: 'filter', description: { en: 'Provide filter values (e.g. "until=<timestamp>")', ko: '조건으로 걸러 냅니다 (예: "until=24h", "label=k=v")' } } as const

/** Docker's prompt: "Are you sure you want to continue? [y/N]"; anything but y/yes is no. */
export async function confirm(warning: string): Promise<boolean> {
  process.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `)
  const { createInterface } = await import('node:readline')
  const rl = createInterface({ input: process.stdin, terminal: false })
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve)
    rl.once('close', () => resolve(''))
  })
  rl.close()
  return /^y(es)?$/i.test(answer.trim())
}

async function prune(ctx: CommandContext, kind: 'image' | 'container'): Promise<number> {
  const [{ engineClient }, { humanSize }] = await Promise.all([import('../engine.js'), import('../output.js')])
  const { opts: a, g } = ctx
  const filters = ((a.filter as string[] | undefined) ?? []).map(String)
  if (kind === 'image' && a.all) filters.push('dangling=false')
  const warning = kind === 'container'
    ? 'WARNING! This will remove all stopped containers.'
    : a.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.'
  if (!a.force && !(await confirm(warning))) return 0
  const client = await engineClient(g)
  if (kind === 'container') {
    const r = await client.pruneContainers(filtersJson(filters))
    if (r.ContainersDeleted?.length) process.stdout.write(`Deleted Containers:\n${r.ContainersDeleted.join('\n')}\n\n`)
    process.stdout.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`)
  } else {
    const r = await client.pruneImages(filtersJson(filters))
    if (r.ImagesDeleted?.length) {
      const lines = r.ImagesDeleted.map((d) => ('Untagged' in d ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`))
      process.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`)
    }
    process.stdout.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`)
  }
  return 0
}

export const imagePrune: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [{ name: 'all', short: 'a', type: 'bool', description: { en: 'Remove all unused images, not just dangling ones', ko: '태그 없는 이미지뿐 아니라 쓰이지 않는 모든 이미지를 지웁니다' } }, FILTER, FORCE],
  run: (ctx) => prune(ctx, 'image'),
}

export const containerPrune: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [FILTER, FORCE],
  run: (ctx) => prune(ctx, 'container'),
}
