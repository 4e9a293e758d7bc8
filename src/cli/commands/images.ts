// tocker images [REPOSITORY[:TAG]] (also `image ls`): the images in the store, as Docker lists them:
// REPOSITORY TAG IMAGE ID CREATED SIZE, newest first; -q IDs only, --digests, --no-trunc,
// -f/--filter (dangling, reference, label, before, since), --format.
import type { Argv } from 'yargs'
import type { TockerCommand } from '../command.js'

function builder(y: Argv): Argv {
  return y
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG] (wildcards * and ? allowed)' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (default hides intermediate images)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
    .option('digests', { type: 'boolean', describe: 'Show digests' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    // yargs reads "--no-trunc" as "trunc = false" (boolean negation): declare that too.
    .option('trunc', { type: 'boolean', hidden: true })
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output based on conditions provided (dangling=, reference=, label=, before=, since=)' })
    .option('format', { type: 'string', describe: 'Format output using a Go template, e.g. "{{.Repository}}:{{.Tag}}" or "table {{.ID}}\\t{{.Size}}"' })
}

async function run(a: Record<string, any>, g: { root: string }): Promise<number> {
  const [{ ImageStore }, { imageRows, filterImages, parseImageFilters, IMAGE_HEADERS }, { formatRows }] = await Promise.all([
    import('../../image/store.js'),
    import('../format/images.js'),
    import('../format/template.js'),
  ])
  const store = new ImageStore(g.root)
  const filterArgs = ((a.filter as string[] | undefined) ?? []).map(String)
  if (a.repository) filterArgs.push(`reference=${String(a.repository)}`)
  const filter = parseImageFilters(filterArgs, (n) => store.resolve(n))
  const images = filterImages(store.list(), filter)
  const noTrunc = Boolean(a['no-trunc']) || a.trunc === false
  const rows = imageRows(images, { digests: Boolean(a.digests), noTrunc })
  let format: string
  if (a.quiet) format = '{{.ID}}'
  else if (a.format) format = String(a.format)
  else if (a.digests) format = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
  else format = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
  process.stdout.write(formatRows(format, rows, IMAGE_HEADERS))
  return 0
}

export const images: TockerCommand = {
  command: 'images [repository]',
  describe: 'List images',
  builder,
  run,
}

export const imageLs: TockerCommand = {
  command: 'ls [repository]',
  aliases: ['list'],
  describe: 'List images',
  builder,
  run,
}
