// tocker create: make a container (record, rootfs dirs, config) without starting it; prints its ID.
import type { TockerCommand } from '../command.js'
import { describeCreateOptions } from '../container-options.js'

export const create: TockerCommand = {
  command: 'create <image> [command..]',
  describe: 'Create a new container',
  errorExitCode: 125,
  builder: (y) => describeCreateOptions(y, false),
  async run(_a, g) {
    const [{ engineClient }, { rawCommandArgs, parseInterspersed }, { CREATE_OPTIONS, createBody }, { createWithPull }] = await Promise.all([
      import('../engine.js'),
      import('../argv.js'),
      import('../container-options.js'),
      import('../pull-image.js'),
    ])
    const { options: o, positional } = parseInterspersed(rawCommandArgs([['create'], ['container', 'create']]), CREATE_OPTIONS)
    const body = await createBody(o, positional, false)
    const client = await engineClient(g)
    const { Id } = await createWithPull(() => client.createContainer(body, o.name as string | undefined), body.Image, g)
    process.stdout.write(`${Id}\n`)
  },
}
