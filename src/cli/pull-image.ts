// Pulls through the engine (POST /images/create): `tocker pull`, and `run`/`create` with an image
// the store does not have — Docker's CLI says "Unable to find image 'busybox:latest' locally",
// pulls it (progress on stderr, so that stdout stays the container's), and tries again.
import type { EngineClient } from '../api/client.js'
import { isTockerError, isUserFacing } from '../errors.js'
import { hintFor, hintLines } from '../i18n/index.js'
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
  try {
    const res = await client.pullImage(
      { fromImage: fullName(ref), tag: ref.digest ?? ref.tag ?? 'latest', platform: platform || process.env.TOCKER_DEFAULT_PLATFORM || undefined },
      registryAuthFor(ref),
    )
    await displayJsonMessages(res, out)
  } catch (err) {
    throw await pullFailureHints(err, ref, client)
  }
}

/**
 * A pull that failed because the registry is unreachable (no internet: the name does not resolve)
 * or has no such image: say which offline image to load instead, and which local image a typo'd
 * name may have meant. Docker's line stays first.
 */
async function pullFailureHints(err: unknown, ref: Reference, client: EngineClient): Promise<unknown> {
  if (!isUserFacing(err)) return err
  const dns = /lookup (\S+?): no such host/.exec(err.message)
  const absent = /pull access denied|repository does not exist|manifest unknown|not found/i.test(err.message)
  if (!dns && !absent) return err
  const [{ familiarName, familiarString, DEFAULT_DOMAIN }, { offlineDir, offlineImages, offlineImageFor }, { imageSuggestionLines, withHintLines }] = await Promise.all([
    import('../image/reference.js'),
    import('./offline-images.js'),
    import('./did-you-mean.js'),
  ])
  const image = familiarString(ref)
  const lines: string[] = []
  let code = err.code
  if (dns && ref.domain === DEFAULT_DOMAIN) {
    const offline = offlineImages()
    const hit = offlineImageFor(image, offline)
    if (hit) lines.push(...hintLines(hintFor('EOFFLINEIMAGE', { host: dns[1], image, tarball: hit.tarball })))
    else if (offline.length) lines.push(...hintLines(hintFor('ENOTOFFLINE', { host: dns[1], image, dir: offlineDir(), list: offline.map((i) => i.names[0].replace(/:latest$/, '')).join(', ') })))
    // These replace the catalogue's general hint for an unresolvable registry.
    if (lines.length) code = 'EOFFLINEIMAGE'
  }
  const typed = ref.tag && ref.tag !== 'latest' ? image : familiarName(ref)
  lines.push(...(await imageSuggestionLines(typed, client)))
  return withHintLines(err, lines, code)
}

/** The image is missing (create answered "No such image"): pull it, then create again. */
export async function pullThenCreate<T>(create: () => Promise<T>, image: string, client: EngineClient, platform?: string): Promise<T> {
  // Only now (the image is missing) load what a pull needs: `run` of a present image does not.
  const { familiarString, parseReference, withDefaultTag } = await import('../image/reference.js')
  let ref = parseReference(image)
  if (ref.tag === undefined && ref.digest === undefined) ref = withDefaultTag(ref)
  process.stderr.write(`Unable to find image '${familiarString(ref)}' locally\n`)
  await pullThroughEngine(client, ref, process.stderr, platform)
  return create()
}
