// tocker pull NAME[:TAG|@DIGEST]: download an image from a registry into the store, with Docker's
// output (see src/image/pull.ts for the steps).
import type { Command } from '../spec.js'

export const pull: Command = {
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  paths: ['image pull', 'pull'],
  args: { min: 1, max: 1 },
  options: [
    { name: 'platform', type: 'string', description: { en: 'Set platform if server is multi-platform capable', ko: '플랫폼을 지정합니다 (예: linux/arm64)' } },
    { name: 'quiet', short: 'q', type: 'bool', description: { en: 'Suppress verbose output', ko: '진행 상황을 출력하지 않습니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ parseReference, withDefaultTag, familiarString, fullString }, { pullImage }, { ImageStore }, { parsePlatform }, { PullPrinter }] =
      await Promise.all([
        import('../../image/reference.js'),
        import('../../image/pull.js'),
        import('../../image/store.js'),
        import('../../image/registry/platform.js'),
        import('../format/pull-progress.js'),
      ])
    const quiet = Boolean(a.quiet)
    let ref = parseReference(args[0])
    if (ref.tag === undefined && ref.digest === undefined) {
      ref = withDefaultTag(ref)
      if (!quiet) process.stdout.write(`Using default tag: ${ref.tag}\n`)
    }
    const platformArg = (a.platform as string | undefined) || process.env.TOCKER_DEFAULT_PLATFORM || undefined
    const platform = platformArg ? parsePlatform(platformArg) : undefined
    const store = new ImageStore(g.root)
    const printer = quiet ? undefined : new PullPrinter(process.stdout)
    const result = await pullImage(ref, { store, platform, onEvent: (e) => printer?.event(e) })
    if (printer) {
      // A reference with a tag and a digest is pulled (and reported) by its digest, as Docker does.
      const pulled = ref.digest !== undefined ? { ...ref, tag: undefined } : ref
      printer.line(`Digest: ${result.digest}`)
      printer.line(`Status: ${result.downloaded ? 'Downloaded newer image for' : 'Image is up to date for'} ${familiarString(pulled)}`)
    }
    process.stdout.write(fullString(ref) + '\n')
  },
}
