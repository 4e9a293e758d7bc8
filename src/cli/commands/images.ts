// tocker images [REPOSITORY[:TAG]] (also `image ls`): the images in the store, as Docker lists them:
// REPOSITORY TAG IMAGE ID CREATED SIZE, newest first; -q IDs only, --digests, --no-trunc,
// -f/--filter (dangling, reference, label, before, since), --format.
import { filtersJson } from '../filters.js'
import { writeStdout } from '../output.js'
import { LIST_FORMAT_HELP, type Command, type CommandContext } from '../spec.js'

async function run({ opts: a, args, g }: CommandContext): Promise<number> {
  // The Go template engine (format/template.js) only for a --format that needs it (field-rows.ts).
  const [{ engineClient }, { imageRows, IMAGE_HEADERS, DEFAULT_IMAGES_FORMAT, defaultImagesTable }] = await Promise.all([import('../engine.js'), import('../format/images.js')])
  const filters = [...((a.filter as string[] | undefined) ?? [])]
  if (args[0]) filters.push(`reference=${args[0]}`)
  const client = await engineClient(g)
  const list = await client.listImages({ all: !!a.all, filters: filtersJson(filters) })
  const rows = imageRows(list, { digests: Boolean(a.digests), noTrunc: Boolean(a['no-trunc']) })
  let format: string
  if (a.quiet) format = '{{.ID}}'
  else if (a.format) format = String(a.format)
  else if (a.digests) format = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
  else format = DEFAULT_IMAGES_FORMAT
  if (format === DEFAULT_IMAGES_FORMAT) {
    writeStdout(defaultImagesTable(rows))
    return 0
  }
  const { formatFieldRows } = await import('../format/field-rows.js')
  writeStdout(formatFieldRows(format, rows, IMAGE_HEADERS) ?? (await import('../format/template.js')).formatRows(format, rows, IMAGE_HEADERS))
  return 0
}

export const images: Command = {
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  paths: ['image ls', 'image list', 'images'],
  args: { max: 1 },
  complete: 'images',
  options: [
    { name: 'all', short: 'a', type: 'bool', description: { en: 'Show all images (default hides intermediate images)', ko: '모든 이미지를 보여 줍니다 (기본은 중간 이미지를 숨김)' } },
    { name: 'digests', type: 'bool', description: { en: 'Show digests', ko: '다이제스트(sha256)도 보여 줍니다' } },
    { name: 'filter', short: 'f', type: 'filter', valueName: 'filter', description: { en: 'Filter output based on conditions provided', ko: '조건으로 걸러 냅니다 (dangling=, reference=, label=, before=, since=)' } },
    { name: 'format', type: 'string', description: LIST_FORMAT_HELP },
    { name: 'no-trunc', type: 'bool', description: { en: "Don't truncate output", ko: '출력을 줄이지 않습니다 (전체 ID)' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Only show image IDs', ko: '이미지 ID만 출력합니다' } },
  ],
  run,
}
