// Pulls through the engine (POST /images/create): `tocker pull`, and `run`/`create` with an image
// the store does not have — Docker's CLI says "Unable to find image 'busybox:latest' locally",
// pulls it (progress on stderr, so that stdout stays the container's), and tries again.
import type { EngineClient } from '../api/client.js'
import { isTockerError } from '../errors.js'
import type { Reference } from '../image/reference.js'
import type { PullOutput } from './format/pull-progress.js'

export function isNoSuchImage(err: unknown): boolean {
  return isTockerError(err) && err.status === 404 && err.message.startsWith('No such image:')
}

/** Pull `ref` (tag or digest given) through the engine, printing Docker's progress to `out`. */
export async function pullThroughEngine(client: EngineClient, ref: Reference, out: PullOutput, platform?: string): Promise<void> {
  const [{ fullName }, { displayJsonMessages }, { registryAuthFor }] = await Promise.all([
    import('../image/reference.js'),
    import('./format/pull-progress.js'),
    import('./registry-auth.js'),
  ])
  const res = await client.pullImage(
    { fromImage: fullName(ref), tag: ref.digest ?? ref.tag ?? 'latest', platform: platform || process.env.TOCKER_DEFAULT_PLATFORM || undefined },
    registryAuthFor(ref),
  )
  await displayJsonMessages(res, out)
}

export async function createWithPull<T>(create: () => Promise<T>, image: string, client: EngineClient, platform?: string): Promise<T> {
  try {
    return await create()
  } catch (err) {
    if (!isNoSuchImage(err)) throw err
  }
  // Only now (the image is missing) load what a pull needs: `run` of a present image does not.
  const { familiarString, parseReference, withDefaultTag } = await import('../image/reference.js')
  let ref = parseReference(image)
  if (ref.tag === undefined && ref.digest === undefined) ref = withDefaultTag(ref)
  process.stderr.write(`Unable to find image '${familiarString(ref)}' locally\n`)
  await pullThroughEngine(client, ref, process.stderr, platform)
  return create()
}
