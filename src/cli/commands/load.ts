// tocker load [-i FILE]: import images from a tar archive (docker save output or an OCI layout,
// plain or gzip'd) read from FILE or STDIN; prints "Loaded image: NAME:TAG" or "Loaded image ID: …".
import type { TockerCommand } from '../command.js'

export const load: TockerCommand = {
  command: 'load',
  describe: 'Load an image from a tar archive or STDIN',
  builder: (y) =>
    y
      .option('input', { alias: 'i', type: 'string', describe: 'Read from tar archive file, instead of STDIN' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress the load output' }),
  async run(a, g) {
    const [{ ImageStore }, { loadArchive }, { familiarString, parseReference }, { TockerError }, fs] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/archive/load.js'),
      import('../../image/reference.js'),
      import('../../errors.js'),
      import('node:fs'),
    ])
    const input = a.input as string | undefined
    let stream: NodeJS.ReadableStream & import('node:stream').Readable
    if (input) {
      try {
        fs.accessSync(input, fs.constants.R_OK)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new TockerError(`open ${input}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(code)}`)
      }
      stream = fs.createReadStream(input, { highWaterMark: 1 << 20 })
    } else {
      if (process.stdin.isTTY) throw new TockerError('requested load from stdin, but stdin is empty')
      stream = process.stdin
    }
    const store = new ImageStore(g.root)
    const familiar = (full: string) => familiarString(parseReference(full))
    const loaded = await loadArchive(store, stream, {
      retagged: (r, previous) => {
        if (!a.quiet) process.stdout.write(`The image ${familiar(r)} already exists, renaming the old one with ID ${previous} to empty string\n`)
      },
    })
    if (a.quiet) return
    for (const img of loaded) {
      if (img.tags.length === 0) process.stdout.write(`Loaded image ID: ${img.id}\n`)
      for (const t of img.tags) process.stdout.write(`Loaded image: ${familiar(t)}\n`)
    }
  },
}
