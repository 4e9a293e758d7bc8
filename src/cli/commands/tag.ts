// tocker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]: another name for an image (POST
// /images/{name}/tag: the engine adds a key in repositories.json pointing at the same image ID).
import type { Command } from '../spec.js'

export const tag: Command = {
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  paths: ['image tag', 'tag'],
  args: { min: 2, max: 2 },
  complete: 'images',
  options: [],
  async run({ args, g }) {
    const [{ parseReference, familiarName }, { TockerError }, { engineClient }] = await Promise.all([
      import('../../image/reference.js'),
      import('../../errors.js'),
      import('../engine.js'),
    ])
    const [source, target] = args
    // Docker's CLI checks the new name before asking the engine.
    let ref
    try {
      ref = parseReference(target)
    } catch (err) {
      throw new TockerError(`Error parsing reference: "${target}" is not a valid repository/tag: ${(err as Error).message}`, { code: 'EINVALIDREF' })
    }
    if (ref.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { daemon: true, code: 'EINVALID' })
    const client = await engineClient(g)
    await client.tagImage(source, familiarName(ref), ref.tag ?? 'latest')
  },
}
