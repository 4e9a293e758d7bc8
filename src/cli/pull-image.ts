// Pulls through the engine (POST /images/create): `tocker pull`, and `run`/`create` with an image
// the store does not have — Docker's CLI says "Unable to find image 'busybox:latest' locally",
// pulls it (progress on stderr, so that stdout stays the container's), and tries again.
import type { EngineClient } from '../api/client.js'
import { isTockerError } from '../errors.js'
import { familiarString, fullName, parseReference, withDefaultTag, type Reference } from '../image/reference.js'
import { displayJsonMessages, type PullOutput } from './format/pull-progress.js'
import { registryAuthFor } from './registry-auth.js'

export function isNoSuchImage(err: unknown): boolean {
  return isTockerError(err) && err.status === 404 && err.message.startsWith('No such image:')
}

/** Pull `ref` (tag or digest given) through the engine, printing Docker's progress to `out`. */
export async function pullThroughEngine(client: EngineClient, ref: Reference, out: PullOutput, platform?: string): Promise<void> {
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
  let ref = parseReference(image)
  if (ref.tag === undefined && ref.digest === undefined) ref = withDefaultTag(ref)
  process.stderr.write(`Unable to find image '${familiarString(ref)}' locally\n`)
  await pullThroughEngine(client, ref, process.stderr, platform)
  return create()
}
