// tocker load [-i FILE]: send a tar archive (docker save output or an OCI layout, plain or gzip'd)
// from FILE or STDIN to the engine (POST /images/load), which prints "Loaded image: NAME:TAG" or
// "Loaded image ID: …" through its JSON message stream.
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
    const [{ engineClient }, { displayJsonMessages }, { codeOf, TockerError }, fs] = await Promise.all([
      import('../engine.js'),
      import('../format/pull-progress.js'),
      import('../../errors.js'),
      import('node:fs'),
    ])
    const input = a.input as string | undefined
    let stream: NodeJS.ReadableStream
    if (input) {
      try {
        fs.accessSync(input, fs.constants.R_OK)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new TockerError(`open ${input}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(code)}`, { code: codeOf(err, 'EIO') })
      }
      stream = fs.createReadStream(input, { highWaterMark: 1 << 20 })
    } else {
      if (process.stdin.isTTY) throw new TockerError('requested load from stdin, but stdin is empty', { code: 'ELOAD' })
      stream = process.stdin
    }
    const client = await engineClient(g)
    const res = await client.loadImages(stream, Boolean(a.quiet))
    await displayJsonMessages(res, process.stdout)
  },
}
