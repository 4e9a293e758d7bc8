// tocker top: the container's processes as the host's ps shows them (default `ps -ef`).
import type { TockerCommand } from '../command.js'

export const top: TockerCommand = {
  command: 'top <container> [psOptions..]',
  describe: 'Display the running processes of a container',
  builder: (y) => y.positional('container', { type: 'string' }).parserConfiguration({ 'unknown-options-as-args': true }).strictOptions(false),
  async run(a, g) {
    const [{ engineClient }, { table }] = await Promise.all([import('../engine.js'), import('../output.js')])
    const client = await engineClient(g)
    const psArgs = ((a.psOptions as string[] | undefined) ?? []).join(' ') || undefined
    const r = await client.topContainer(String(a.container), psArgs)
    process.stdout.write(table(r.Titles, r.Processes))
  },
}
