// tocker ps / container ls: list containers like `docker ps`.
import { filtersJson } from '../filters.js'
import { writeStdout } from '../output.js'
import { LIST_FORMAT_HELP, type Command } from '../spec.js'

export const ps: Command = {
  usage: '[OPTIONS]',
  paths: ['container ls', 'container list', 'container ps', 'ps'],
  args: { max: 0 },
  options: [
    { name: 'all', short: 'a', type: 'bool', description: { en: 'Show all containers (default shows just running)', ko: '멈춘 것까지 모든 컨테이너를 보여 줍니다 (기본은 실행 중인 것만)' } },
    { name: 'filter', short: 'f', type: 'filter', valueName: 'filter', description: { en: 'Filter output based on conditions provided', ko: '조건으로 걸러 냅니다 (status=, name=, id=, exited=, ancestor=, label=)' } },
    { name: 'format', type: 'string', description: LIST_FORMAT_HELP },
    { name: 'last', short: 'n', type: 'int', default: -1, description: { en: 'Show n last created containers (includes all states)', ko: '마지막으로 만든 n개의 컨테이너를 보여 줍니다 (모든 상태 포함)' } },
    { name: 'latest', short: 'l', type: 'bool', description: { en: 'Show the latest created container (includes all states)', ko: '가장 최근에 만든 컨테이너를 보여 줍니다 (모든 상태 포함)' } },
    { name: 'no-trunc', type: 'bool', description: { en: "Don't truncate output", ko: '출력을 줄이지 않습니다 (전체 ID 등)' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Only display container IDs', ko: '컨테이너 ID만 출력합니다' } },
    { name: 'size', short: 's', type: 'bool', description: { en: 'Display total file sizes', ko: '파일 크기 합계를 보여 줍니다 (지원하지 않음, 무시)' } },
  ],
  async run({ opts: a, g }) {
    const [{ engineClient }, { formatPs }] = await Promise.all([import('../engine.js'), import('../format/ps.js')])
    const client = await engineClient(g)
    const limit = a.latest ? 1 : (a.last as number | undefined)
    const list = await client.listContainers({
      all: !!a.all,
      limit: limit && limit > 0 ? limit : undefined,
      filters: filtersJson((a.filter as string[] | undefined) ?? []),
    })
    writeStdout(await formatPs(list, { quiet: !!a.quiet, noTrunc: !!a['no-trunc'], format: a.format as string | undefined }))
  },
}
