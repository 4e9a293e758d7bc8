// tocker import [OPTIONS] file|- [REPOSITORY[:TAG]] (also `image import`): a tar of files (what
// `tocker export` wrote, or any root file system; gzip/zstd too) becomes an image of one layer,
// through the engine's POST /images/create?fromSrc=- with the tar as the body. Prints the new
// image's ID ("sha256:…") as Docker does. -c/--change applies Dockerfile instructions (CMD, ENV…),
// -m/--message sets the history comment.
import type { Command } from '../spec.js'

const en = (s: string, ko: string) => ({ en: s, ko })

export const importCommand: Command = {
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  paths: ['image import', 'import'],
  args: { min: 1, max: 2 },
  complete: 'files',
  options: [
    { name: 'change', short: 'c', type: 'list', description: en('Apply Dockerfile instruction to the created image', 'Dockerfile 명령(CMD, ENV 등)을 새 이미지에 적용합니다') },
    { name: 'message', short: 'm', type: 'string', description: en('Set commit message for imported image', '가져온 이미지의 history에 남길 메시지') },
    { name: 'platform', type: 'string', description: en('Set platform if server is multi-platform capable', '이미지의 플랫폼 (예: linux/amd64)') },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { displayJsonMessages }, { parseReference, familiarName }, { codeOf, TockerError }, fs] = await Promise.all([
      import('../engine.js'),
      import('../format/pull-progress.js'),
      import('../../image/reference.js'),
      import('../../errors.js'),
      import('node:fs'),
    ])
    const [source, ref] = args
    const query: [string, string][] = [['fromSrc', source === '-' ? '-' : source]]
    if (ref !== undefined) {
      const r = parseReference(ref)
      if (r.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { code: 'EINVALIDREF', exitCode: 1 })
      query.push(['repo', familiarName(r)])
      if (r.tag) query.push(['tag', r.tag])
    }
    if (a.message) query.push(['message', a.message as string])
    for (const c of (a.change as string[] | undefined) ?? []) query.push(['changes', c])
    if (a.platform) query.push(['platform', a.platform as string])
    let body: NodeJS.ReadableStream
    if (source === '-') {
      if (process.stdin.isTTY) throw new TockerError('the archive to import is read from stdin, which is a terminal: pipe a tar into it, or name a file', { code: 'EUSAGE', exitCode: 1 })
      body = process.stdin
    } else if (/^https?:\/\//.test(source)) {
      body = (await import('node:stream')).Readable.from([])
    } else {
      try {
        fs.accessSync(source, fs.constants.R_OK)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new TockerError(`open ${source}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(code)}`, { code: codeOf(err, 'EIO'), exitCode: 1 })
      }
      query[0] = ['fromSrc', '-']
      body = fs.createReadStream(source, { highWaterMark: 1 << 20 })
    }
    const res = await (await engineClient(g)).importImage(body, query)
    await displayJsonMessages(res, process.stdout)
  },
}
