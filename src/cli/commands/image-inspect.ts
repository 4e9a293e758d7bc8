// tocker image inspect IMAGE...: Docker-shaped JSON of images (an array), or -f/--format.
import type { TockerCommand } from '../command.js'

export const imageInspect: TockerCommand = {
  command: 'inspect <images..>',
  describe: 'Display detailed information on one or more images',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true })
      .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template, e.g. {{.Config.Cmd}}' }),
  async run(a, g) {
    const [{ ImageStore }, { imageInspect: toJson }, { render }] = await Promise.all([
      import('../../image/store.js'),
      import('../format/image-inspect.js'),
      import('../format/template.js'),
    ])
    const store = new ImageStore(g.root)
    const found: Record<string, unknown>[] = []
    const missing: string[] = []
    for (const name of a.images as string[]) {
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
