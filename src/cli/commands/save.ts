// tocker save [-o FILE] IMAGE...: images (with their tags) as one tar archive, docker-archive and
// OCI layout at once like Docker 25+ (see src/image/archive/save.ts). Written to a temporary file
// next to FILE and renamed at the end, so a failed save leaves no half archive.
import { once } from 'node:events'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Command } from '../spec.js'

export const save: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  paths: ['image save', 'save'],
  args: { min: 1 },
  complete: 'images',
  options: [{ name: 'output', short: 'o', type: 'string', description: { en: 'Write to a file, instead of STDOUT', ko: '표준 출력 대신 이 파일에 씁니다' } }],
  async run({ opts: a, args, g }) {
    const [{ ImageStore }, { saveImages }, ref, { TockerError }] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/archive/save.js'),
      import('../../image/reference.js'),
      import('../../errors.js'),
    ])
    const output = a.output as string | undefined
    if (!output && process.stdout.isTTY) throw new TockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect')
    const store = new ImageStore(g.root)
    const items = new Map<string, { image: NonNullable<ReturnType<typeof store.get>>; tags: string[] }>()
    for (const name of args) {
      const img = store.resolve(String(name))
      if (!img) {
        let shown = String(name)
        try {
          shown = ref.familiarString(ref.withDefaultTag(ref.parseReference(shown)))
        } catch {
          // shown as typed
        }
        throw new TockerError(`No such image: ${shown}`, { daemon: true, status: 404 })
      }
      const item = items.get(img.id) ?? { image: img, tags: [] }
      items.set(img.id, item)
      // By name: that tag (or, for a bare repository name, all its tags); by ID: no tags (Docker).
      if (store.resolveId(String(name)) !== undefined && !isIdOf(String(name), img.id)) {
        const r = ref.parseReference(String(name))
        const wanted =
          r.tag === undefined && r.digest === undefined ? img.repoTags.filter((t) => ref.fullName(ref.parseReference(t)) === ref.fullName(r)) : r.digest ? [] : [ref.fullString(r)]
        for (const t of wanted) if (!item.tags.includes(t)) item.tags.push(t)
      }
    }
    if (!output) {
      await saveImages(store, [...items.values()], process.stdout)
      return
    }
    const tmp = path.join(path.dirname(path.resolve(output)), `.tocker_save_${process.pid}_${path.basename(output)}`)
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 })
    try {
      await once(out, 'open')
      await saveImages(store, [...items.values()], out)
      out.end()
      await once(out, 'close')
      fs.renameSync(tmp, output)
    } catch (err) {
      out.destroy()
      fs.rmSync(tmp, { force: true })
      throw err
    }
  },
}

function isIdOf(name: string, id: string): boolean {
  return id.startsWith(name) || id.slice(7).startsWith(name)
}
