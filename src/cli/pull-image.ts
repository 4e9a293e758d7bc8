// `run`/`create` with an image that is not in the store: Docker's CLI says "Unable to find image
// 'busybox:latest' locally", pulls it (progress on stderr, so that stdout stays the container's),
// and tries again. The pull itself is the image layer's (src/image/pull.ts), as `tocker pull` uses it.
import { isTockerError } from '../errors.js'
import type { GlobalOptions } from './context.js'

export function isNoSuchImage(err: unknown): boolean {
  return isTockerError(err) && err.status === 404 && err.message.startsWith('No such image:')
}

export async function pullForRun(image: string, g: GlobalOptions): Promise<void> {
  const [{ parseReference, withDefaultTag, familiarString }, { pullImage }, { ImageStore }, { PullPrinter }] = await Promise.all([
    import('../image/reference.js'),
    import('../image/pull.js'),
    import('../image/store.js'),
    import('./format/pull-progress.js'),
  ])
  let ref = parseReference(image)
  if (ref.tag === undefined && ref.digest === undefined) ref = withDefaultTag(ref)
  process.stderr.write(`Unable to find image '${familiarString(ref)}' locally\n`)
  const printer = new PullPrinter(process.stderr)
  const platformArg = process.env.TOCKER_DEFAULT_PLATFORM
  const platform = platformArg ? (await import('../image/registry/platform.js')).parsePlatform(platformArg) : undefined
  const result = await pullImage(ref, { store: new ImageStore(g.root), platform, onEvent: (e) => printer.event(e) })
  printer.line(`Digest: ${result.digest}`)
  printer.line(`Status: Downloaded newer image for ${familiarString(ref.digest !== undefined ? { ...ref, tag: undefined } : ref)}`)
}

export async function createWithPull<T>(create: () => Promise<T>, image: string, g: GlobalOptions): Promise<T> {
  try {
    return await create()
  } catch (err) {
    if (!isNoSuchImage(err)) throw err
  }
  await pullForRun(image, g)
  return create()
}
