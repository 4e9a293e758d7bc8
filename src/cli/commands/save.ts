// tocker save [-o FILE] IMAGE...: the engine's GET /images/get (images with their tags as one tar
// archive, docker-archive and OCI layout at once like Docker 25+), to STDOUT or to FILE
// (archive-output.ts: a failed save leaves no half archive).
import type { Command } from '../spec.js'

export const save: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  paths: ['image save', 'save'],
  args: { min: 1 },
  complete: 'images',
  options: [{ name: 'output', short: 'o', type: 'string', description: { en: 'Write to a file, instead of STDOUT', ko: '표준 출력 대신 이 파일에 씁니다' } }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { refuseTerminal, writeArchive }] = await Promise.all([import('../engine.js'), import('../archive-output.js')])
    const output = a.output as string | undefined
    refuseTerminal(output)
    const archive = await (await engineClient(g)).saveImages(args)
    await writeArchive(archive, output, 'save', 'ESTREAMCLOSED')
  },
}
