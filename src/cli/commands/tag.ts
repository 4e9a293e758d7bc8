// tocker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]: another name for an image (a new key in
// repositories.json pointing at the same image ID; nothing is copied).
import type { Command } from '../spec.js'

export const tag: Command = {
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  paths: ['image tag', 'tag'],
  args: { min: 2, max: 2 },
  complete: 'images',
  options: [],
  async run({ args, g }) {
    const [{ ImageStore }, { parseReference, withDefaultTag, fullString, familiarString }, { TockerError }] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/reference.js'),
      import('../../errors.js'),
    ])
    const source = args[0]
    const target = args[1]
    let ref
    try {
      ref = parseReference(target)
    } catch (err) {
      throw new TockerError(`Error parsing reference: "${target}" is not a valid repository/tag: ${(err as Error).message}`)
    }
    if (ref.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { daemon: true, status: 400 })
    const store = new ImageStore(g.root)
    const id = store.resolveId(source)
    if (!id) {
      let shown = source
      try {
        shown = familiarString(withDefaultTag(parseReference(source)))
      } catch {
        // an ID prefix or something unparsable: shown as typed
      }
      throw new TockerError(`No such image: ${shown}`, { daemon: true, status: 404 })
    }
    store.tag(id, fullString(withDefaultTag(ref)))
  },
}
