// tocker inspect / container inspect: Docker-shaped JSON of containers (an array), or --format.
import type { TockerCommand } from '../command.js'

export const inspect: TockerCommand = {
  command: 'inspect <names..>',
  describe: 'Return low-level information on containers',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true })
      .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template, e.g. {{.State.Status}}' })
      .option('type', { type: 'string', describe: 'Only "container" is served by the engine' })
      .option('size', { alias: 's', type: 'boolean', describe: 'Display total file sizes (ignored)' }),
  async run(a, g) {
    const [{ engineClient }, { render }, { isTockerError }] = await Promise.all([import('../engine.js'), import('../format/template.js'), import('../../errors.js')])
    const client = await engineClient(g)
    const found: unknown[] = []
    let failed = false
    for (const name of a.names as string[]) {
      try {
        found.push(await client.inspectContainer(name))
      } catch (err) {
        if (!isTockerError(err) || err.status !== 404) throw err
        failed = true
        process.stderr.write(`Error: No such object: ${name}\n`)
      }
    }
    if (a.format) {
      for (const o of found) process.stdout.write(render(String(a.format), o) + '\n')
    } else {
      process.stdout.write(JSON.stringify(found, null, 4) + '\n')
    }
    return failed ? 1 : 0
  },
}
