// tocker save [-o FILE] IMAGE...: the engine's GET /images/get (images with their tags as one tar
// archive, docker-archive and OCI layout at once like Docker 25+), to STDOUT or to FILE. A file is
// written next to FILE under a temporary name and renamed at the end, so a failed save leaves no
// half archive (the engine cuts the connection when it fails half-way).
import { once } from 'node:events'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Command } from '../spec.js'

export const save: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  paths: ['image save', 'save'],
  args: { min: 1 },
  complete: 'images',
  options: [{ name: 'output', short: 'o', type: 'string', description: { en: 'Write to a file, instead of STDOUT', ko: '표준 출력 대신 이 파일에 씁니다' } }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { TockerError }] = await Promise.all([import('../engine.js'), import('../../errors.js')])
    const output = a.output as string | undefined
    if (!output && process.stdout.isTTY) throw new TockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect')
    const client = await engineClient(g)
    const archive = await client.saveImages(args)
    const cut = () => new TockerError('the engine stopped sending the archive before its end', { code: 'ESAVECUT' })
    if (!output) {
      await pipeline(archive, process.stdout, { end: false }).catch(() => {
        throw cut()
      })
      if (!archive.complete) throw cut()
      return
    }
    const tmp = path.join(path.dirname(path.resolve(output)), `.tocker_save_${process.pid}_${path.basename(output)}`)
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 })
    try {
      await once(out, 'open')
      await pipeline(archive, out)
      if (!archive.complete) throw cut()
      fs.renameSync(tmp, output)
    } catch (err) {
      out.destroy()
      fs.rmSync(tmp, { force: true })
      throw (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? cut() : err
    }
  },
}
