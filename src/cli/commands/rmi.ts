// tocker rmi IMAGE... (also `image rm`): untag, then delete images nothing references any more, and
// the layers no other image uses. Docker's output ("Untagged: …", "Deleted: sha256:…") and conflicts
// (an image tagged in several repositories named by ID; an image a container uses).
import type { TockerCommand } from '../command.js'

export const rmi: TockerCommand = {
  command: 'rmi <images..>',
  describe: 'Remove one or more images',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true, describe: 'IMAGE (name[:tag], name@digest, ID or ID prefix)' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Force removal of the image' })
      .option('no-prune', { type: 'boolean', describe: 'Do not delete untagged parents (tocker images have none)' }),
  async run(a, g) {
    const [{ ImageStore }, { imageUsers }, { isTockerError }, { reportError }] = await Promise.all([
      import('../../image/store.js'),
      import('../../engine/image-usage.js'),
      import('../../errors.js'),
      import('../main.js'),
    ])
    const store = new ImageStore(g.root)
    let failed = false
    for (const name of a.images as string[]) {
      try {
        const r = store.removeImage(String(name), { force: Boolean(a.force), users: (id) => imageUsers(g.root, id) })
        for (const u of r.untagged) process.stdout.write(`Untagged: ${u}\n`)
        for (const d of r.deleted) process.stdout.write(`Deleted: ${d}\n`)
      } catch (err) {
        if (!isTockerError(err)) throw err
        failed = true
        reportError(err, g.debug, 1)
      }
    }
    return failed ? 1 : 0
  },
}

export const imageRm: TockerCommand = { ...rmi, command: 'rm <images..>', aliases: ['remove', 'rmi'] }
