// tocker rmi IMAGE... (also `image rm`): untag, then delete images nothing references any more, and
// the layers no other image uses. Docker's output ("Untagged: …", "Deleted: sha256:…") and conflicts
// (an image tagged in several repositories named by ID; an image a container uses).
import type { Command } from '../spec.js'

export const rmi: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  paths: ['image rm', 'image remove', 'rmi'],
  args: { min: 1 },
  complete: 'images',
  options: [
    { name: 'force', short: 'f', type: 'bool', description: { en: 'Force removal of the image', ko: '이미지를 강제로 삭제합니다' } },
    { name: 'no-prune', type: 'bool', description: { en: 'Do not delete untagged parents', ko: '태그 없는 부모 이미지를 지우지 않습니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ ImageStore }, { imageUsers }, { isTockerError }, { errorText }] = await Promise.all([
      import('../../image/store.js'),
      import('../../engine/image-usage.js'),
      import('../../errors.js'),
      import('../report.js'),
    ])
    const store = new ImageStore(g.root)
    let failed = false
    for (const name of args) {
      try {
        const r = store.removeImage(String(name), { force: Boolean(a.force), users: (id) => imageUsers(g.root, id) })
        for (const u of r.untagged) process.stdout.write(`Untagged: ${u}\n`)
        for (const d of r.deleted) process.stdout.write(`Deleted: ${d}\n`)
      } catch (err) {
        if (!isTockerError(err)) throw err
        failed = true
        process.stderr.write(errorText(err, g.debug))
      }
    }
    return failed ? 1 : 0
  },
}
