// tocker load [-i FILE]: import images from a tar archive (docker save output or an OCI layout,
// plain or gzip'd) read from FILE or STDIN; prints "Loaded image: NAME:TAG" or "Loaded image ID: …".
import type { Command } from '../spec.js'

export const load: Command = {
  usage: '[OPTIONS]',
  paths: ['image load', 'load'],
  args: { max: 0 },
  options: [
    { name: 'input', short: 'i', type: 'string', description: { en: 'Read from tar archive file, instead of STDIN', ko: '표준 입력 대신 이 tar 아카이브 파일에서 읽습니다' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Suppress the load output', ko: '불러오는 과정을 출력하지 않습니다' } },
  ],
  async run({ opts: a, g }) {
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
