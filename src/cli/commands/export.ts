// tocker export [-o FILE] CONTAINER (also `container export`): the container's whole file system
// (its image's layers and its writable layer, merged; not its volumes) as one tar, from the
// engine's GET /containers/{id}/export, to STDOUT or FILE (archive-output.ts: a failed export
// leaves no half archive).
import type { Command } from '../spec.js'

export const exportCommand: Command = {
  usage: '[OPTIONS] CONTAINER',
  paths: ['container export', 'export'],
  args: { min: 1, max: 1 },
  complete: 'containers',
  options: [{ name: 'output', short: 'o', type: 'string', description: { en: 'Write to a file, instead of STDOUT', ko: '표준 출력 대신 이 파일에 씁니다' } }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { refuseTerminal, writeArchive }] = await Promise.all([import('../engine.js'), import('../archive-output.js')])
    const output = a.output as string | undefined
    refuseTerminal(output)
    const tar = await (await engineClient(g)).exportContainer(args[0])
    await writeArchive(tar, output, 'export', 'ESTREAMCLOSED')
  },
}
