// tocker run: create a container from an image (pulling it if needed) and start it; -d prints the
// full ID and returns, otherwise the terminal is attached until the container exits and its exit
// code becomes ours.
import type { TockerCommand } from '../command.js'
import { describeCreateOptions } from '../container-options.js'

export const run: TockerCommand = {
  command: 'run <image> [command..]',
  describe: 'Create and run a new container from an image',
  errorExitCode: 125,
  builder: (y) => describeCreateOptions(y, true),
  async run(_a, g) {
    const [{ engineClient }, { rawCommandArgs, parseInterspersed }, { RUN_OPTIONS, createBody }, { createWithPull }] = await Promise.all([
      import('../engine.js'),
      import('../argv.js'),
      import('../container-options.js'),
      import('../pull-image.js'),
    ])
    const { options: o, positional } = parseInterspersed(rawCommandArgs([['run'], ['container', 'run']]), RUN_OPTIONS)
    const detach = !!o.detach
    const body = await createBody(o, positional, detach)
    const client = await engineClient(g)
    const { Id } = await createWithPull(() => client.createContainer(body, o.name as string | undefined), body.Image, g)
    if (detach) {
      const { withRunExitCode } = await import('../run-attached.js')
      await client.startContainer(Id).catch((err) => {
        throw withRunExitCode(err)
      })
      process.stdout.write(`${Id}\n`)
      return 0
    }
    const { attachAndRun } = await import('../run-attached.js')
    return attachAndRun(client, Id, { tty: !!o.tty, stdin: !!o.interactive, start: true, removeAfter: !!o.rm, sigProxy: o['sig-proxy'] !== false })
  },
}
