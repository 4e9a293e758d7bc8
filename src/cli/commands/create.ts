// tocker create: make a container (record, rootfs dirs, config) without starting it; prints its ID.
import { CREATE_OPTIONS } from '../container-options.js'
import { writeStdout } from '../output.js'
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
    const [{ engineClient }, { createBody }] = await Promise.all([import('../engine.js'), import('../container-options.js')])
    const body = await createBody(o, args, false)
    const client = await engineClient(g)
    const create = () => client.createContainer(body, o.name as string | undefined)
    // The pull code (and its message catalogue) is loaded only when the engine says the image is missing.
    const { Id } = await create().catch(async (err) => {
      const pull = await import('../pull-image.js')
      if (!pull.isNoSuchImage(err)) throw err
      return pull.pullThenCreate(create, body.Image, client, o.platform as string | undefined)
    })
    writeStdout(`${Id}\n`)
  },
}
