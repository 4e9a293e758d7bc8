// tocker pull NAME[:TAG|@DIGEST]: the engine downloads the image into its store (POST
// /images/create) and streams Docker's progress, which is printed here as Docker's CLI prints it.
import type { Command } from '../spec.js'

export const pull: Command = {
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  paths: ['image pull', 'pull'],
  args: { min: 1, max: 1 },
  complete: 'images',
  options: [
    { name: 'platform', type: 'string', description: { en: 'Set platform if server is multi-platform capable', ko: '플랫폼을 지정합니다 (예: linux/arm64)' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Suppress verbose output', ko: '진행 상황을 출력하지 않습니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ parseReference, withDefaultTag, fullString }, { engineClient }, { pullThroughEngine }] = await Promise.all([
      import('../../image/reference.js'),
      import('../engine.js'),
      import('../pull-image.js'),
    ])
    const quiet = Boolean(a.quiet)
    let ref = parseReference(args[0])
    if (ref.tag === undefined && ref.digest === undefined) {
      ref = withDefaultTag(ref)
      if (!quiet) process.stdout.write(`Using default tag: ${ref.tag}\n`)
    }
    const client = await engineClient(g)
    await pullThroughEngine(client, ref, quiet ? { write: () => true } : process.stdout, a.platform as string | undefined)
    process.stdout.write(fullString(ref) + '\n')
  },
}
