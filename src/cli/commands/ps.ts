// tocker ps / container ls: list containers like `docker ps`.
import type { TockerCommand } from '../command.js'

export const ps: TockerCommand = {
  command: 'ps',
  describe: 'List containers',
  builder: (y) =>
    y
      // "--no-trunc" is a flag of its own, not the negation of a "--trunc".
      .parserConfiguration({ 'boolean-negation': false })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
      .option('last', { alias: 'n', type: 'number', describe: 'Show n last created containers (includes all states)' })
      .option('latest', { alias: 'l', type: 'boolean', describe: 'Show the latest created container (includes all states)' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output based on conditions provided (status=, name=, id=, exited=, ancestor=, label=)' })
      .option('format', { type: 'string', describe: 'Format output using a Go template ({{.ID}} {{.Names}} {{.Image}} {{.Status}} …, "table …")' })
      .option('size', { alias: 's', type: 'boolean', describe: 'Display total file sizes (not supported, ignored)' }),
  async run(a, g) {
    const [{ engineClient }, { formatPs }] = await Promise.all([import('../engine.js'), import('../format/ps.js')])
    const filters: Record<string, string[]> = {}
    for (const f of (a.filter as string[] | undefined) ?? []) {
      const i = f.indexOf('=')
      if (i < 0) throw new (await import('../../errors.js')).TockerError(`Bad format of filter (expected name=value)`)
      ;(filters[f.slice(0, i)] ??= []).push(f.slice(i + 1))
    }
    const client = await engineClient(g)
    const limit = a.latest ? 1 : (a.last as number | undefined)
    const list = await client.listContainers({
      all: !!a.all,
      limit: limit && limit > 0 ? limit : undefined,
      filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined,
    })
    process.stdout.write(formatPs(list, { quiet: !!a.quiet, noTrunc: !!a['no-trunc'], format: a.format as string | undefined }))
  },
}
