// tocker create: make a container (record, rootfs dirs, config) without starting it; prints its ID.
import { CREATE_OPTIONS } from '../container-options.js'
import type { Command } from '../spec.js'

export const create: Command = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  paths: ['container create', 'create'],
  options: CREATE_OPTIONS,
  args: { min: 1 },
  interspersed: false,
  errorExitCode: 125,
  complete: 'images',
  async run({ opts: o, args, g }) {
    const [{ engineClient }, { createBody }, { createWithPull }] = await Promise.all([
      import('../engine.js'),
      import('../container-options.js'),
      import('../pull-image.js'),
    ])
    const body = await createBody(o, args, false)
    const client = await engineClient(g)
    const { Id } = await createWithPull(() => client.createContainer(body, o.name as string | undefined), body.Image, client, o.platform as string | undefined)
    process.stdout.write(`${Id}\n`)
  },
}
