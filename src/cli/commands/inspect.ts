// tocker inspect / container inspect: Docker-shaped JSON of containers (an array), or --format.
import type { TockerCommand } from '../command.js'

export const inspect: TockerCommand = {
  command: 'inspect <names..>',
  describe: 'Return low-level information on containers',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true })
      .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template, e.g. {{.State.Status}}' })
      .option('type', { type: 'string', choices: ['container', 'image'], describe: 'Only inspect objects of the given type' })
      .option('size', { alias: 's', type: 'boolean', describe: 'Display total file sizes (ignored)' }),
  async run(a, g) {
    const [{ engineClient }, { render }, { isTockerError }] = await Promise.all([import('../engine.js'), import('../format/template.js'), import('../../errors.js')])
    const client = a.type === 'image' ? undefined : await engineClient(g)
    const found: unknown[] = []
    let failed = false
    for (const name of a.names as string[]) {
      if (client) {
        try {
          found.push(await client.inspectContainer(name))
          continue
        } catch (err) {
          if (!isTockerError(err) || err.status !== 404 || a.type === 'container') throw err
        }
      }
      // Like Docker's `inspect`: a name that is no container may be an image.
      const image = await inspectImage(g.root, name)
      if (image) found.push(image)
      else {
        failed = true
        process.stderr.write(`Error: No such object: ${name}\n`)
      }
    }
    if (a.format) {
      for (const o of found) process.stdout.write(render(String(a.format), o) + '\n')
    } else {
      process.stdout.write(JSON.stringify(found, null, 4) + '\n')
    }
    return failed ? 1 : 0
  },
}

async function inspectImage(root: string, name: string): Promise<unknown | undefined> {
  const [{ ImageStore }, { imageInspect }] = await Promise.all([import('../../image/store.js'), import('../format/image-inspect.js')])
  const store = new ImageStore(root)
  const img = store.resolve(name)
  return img ? imageInspect(img, store.layerDirs(img.id)) : undefined
}
