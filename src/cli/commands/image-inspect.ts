// tocker image inspect IMAGE...: Docker-shaped JSON of images (an array), or -f/--format.
import { OBJECT_FORMAT_HELP, type Command } from '../spec.js'

export const imageInspect: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  complete: 'images',
  options: [{ name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP }],
  async run({ opts: a, args, g }) {
    const [{ ImageStore }, { imageInspect: toJson }, { render }] = await Promise.all([
      import('../../image/store.js'),
      import('../format/image-inspect.js'),
      import('../format/template.js'),
    ])
    const store = new ImageStore(g.root)
    const found: Record<string, unknown>[] = []
    const missing: string[] = []
    for (const name of args) {
      const img = store.resolve(String(name))
      if (img) found.push(toJson(img, store.layerDirs(img.id)))
      else missing.push(String(name))
    }
    if (a.format) {
      for (const o of found) process.stdout.write(render(String(a.format), o) + '\n')
    } else {
      process.stdout.write(JSON.stringify(found, null, 4) + '\n')
    }
    for (const m of missing) process.stderr.write(`Error: No such image: ${m}\n`)
    return missing.length ? 1 : 0
  },
}
