// tocker export [-o FILE] CONTAINER (also `container export`): the container's whole file system
// (its image's layers and its writable layer, merged; not its volumes) as one tar, from the
// engine's GET /containers/{id}/export, to STDOUT or FILE. A file is written under a temporary name
// and renamed at the end: a failed export leaves no half archive.
import type { Command } from '../spec.js'

export const exportCommand: Command = {
  usage: '[OPTIONS] CONTAINER',
  paths: ['container export', 'export'],
  args: { min: 1, max: 1 },
  complete: 'containers',
  options: [{ name: 'output', short: 'o', type: 'string', description: { en: 'Write to a file, instead of STDOUT', ko: '표준 출력 대신 이 파일에 씁니다' } }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { TockerError }, fs, path, { pipeline }] = await Promise.all([
      import('../engine.js'),
      import('../../errors.js'),
      import('node:fs'),
      import('node:path'),
      import('node:stream/promises'),
    ])
    const output = a.output as string | undefined
    if (!output && process.stdout.isTTY) throw new TockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect', { exitCode: 1 })
    const tar = await (await engineClient(g)).exportContainer(args[0])
    const cut = () => new TockerError('the engine stopped sending the archive before its end', { code: 'EEXPORTCUT' })
    if (!output) {
      await pipeline(tar, process.stdout, { end: false }).catch(() => {
        throw cut()
      })
      if (!tar.complete) throw cut()
      return
    }
    const tmp = path.join(path.dirname(path.resolve(output)), `.tocker_export_${process.pid}_${path.basename(output)}`)
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 })
    try {
      await pipeline(tar, out)
      if (!tar.complete) throw cut()
      fs.renameSync(tmp, output)
    } catch (err) {
      out.destroy()
      fs.rmSync(tmp, { force: true })
      throw (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? cut() : err
    }
  },
}
