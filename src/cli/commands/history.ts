// tocker history IMAGE (also `image history`): how the image was made, newest step first (GET
// /images/{name}/history), as Docker prints it: IMAGE CREATED CREATED BY SIZE COMMENT, the
// command shortened to 45 characters unless --no-trunc; -H=false for exact dates and bytes.
import { LIST_FORMAT_HELP, type Command } from '../spec.js'
import { writeStdout } from '../output.js'

const HEADERS: Record<string, string> = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' }

export const history: Command = {
  usage: '[OPTIONS] IMAGE',
  paths: ['image history', 'history'],
  args: { min: 1, max: 1 },
  complete: 'images',
  options: [
    { name: 'format', type: 'string', description: LIST_FORMAT_HELP },
    { name: 'human', short: 'H', type: 'bool', default: true, description: { en: 'Print sizes and dates in human readable format', ko: '크기와 날짜를 읽기 쉽게 보여 줍니다' } },
    { name: 'no-trunc', type: 'bool', description: { en: "Don't truncate output", ko: '출력을 줄이지 않습니다' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Only show image IDs', ko: '이미지 ID만 출력합니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { formatRows }, { ago, humanSize }, { ellipsis }] = await Promise.all([
      import('../engine.js'),
      import('../format/template.js'),
      import('../output.js'),
      import('../format/ps.js'),
    ])
    const items = await (await engineClient(g)).imageHistory(args[0])
    const noTrunc = Boolean(a['no-trunc'])
    const human = a.human !== false
    const rows = items.map((h) => {
      const createdBy = h.CreatedBy.replaceAll('\t', ' ')
      return {
        ID: h.Id.startsWith('sha256:') && !noTrunc ? h.Id.slice(7, 19) : h.Id,
        CreatedSince: human ? ago(h.Created * 1000) : new Date(h.Created * 1000).toISOString().replace(/\.000Z$/, 'Z'),
        CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.000Z$/, 'Z'),
        CreatedBy: noTrunc ? createdBy : ellipsis(createdBy, 45),
        Size: human ? humanSize(h.Size) : String(h.Size),
        Comment: h.Comment,
      }
    })
    let format = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
    if (a.quiet) format = '{{.ID}}'
    else if (a.format) format = String(a.format)
    writeStdout(formatRows(format, rows, HEADERS))
  },
}
