// tocker rmi IMAGE... (also `image rm`): DELETE /images/{name} for each; the engine untags, then
// deletes images nothing references any more and the layers no other image uses, and answers with
// Docker's list ("Untagged: …", "Deleted: sha256:…") or its conflicts.
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
    const [{ engineClient }, { isTockerError }, { errorText }] = await Promise.all([import('../engine.js'), import('../../errors.js'), import('../report.js')])
    const client = await engineClient(g)
    let failed = false
    for (const name of args) {
      try {
        for (const item of await client.removeImage(name, { force: Boolean(a.force), noprune: Boolean(a['no-prune']) })) {
          process.stdout.write('Untagged' in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`)
        }
      } catch (err) {
        if (!isTockerError(err)) throw err
        failed = true
        process.stderr.write(errorText(err, g.debug))
      }
    }
    return failed ? 1 : 0
  },
}
