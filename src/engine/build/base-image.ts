// Where a stage starts: a FROM (or COPY --from) image from the store, or pulled with the build's
// credentials for its registry (always pulled with --pull); and FROM scratch's empty image.
import { sha256 } from '../../content/blobs.js'
import { TockerError } from '../../errors.js'
import { fullString, parseReference, withDefaultTag } from '../../image/reference.js'
import type { ImageRecord } from '../../image/store.js'
import type { BuildHost, BuildOutput, BuildRequest } from './types.js'

/** A FROM (or --from) image: the store's, or pulled (always with --pull). */
export async function imageFor(host: BuildHost, req: BuildRequest, out: BuildOutput, signal: AbortSignal, name: string, platform: string | undefined): Promise<ImageRecord> {
  let ref
  try {
    ref = withDefaultTag(parseReference(name))
  } catch (err) {
    throw new TockerError((err as Error).message, { code: 'EBUILD' })
  }
  const full = ref.digest ? name : fullString(ref)
  let img = req.pull ? undefined : host.images.store.resolve(full)
  if (!img) {
    const domain = ref.domain
    const auth = req.authConfigs[domain] ?? req.authConfigs[`https://${domain}`] ?? (domain === 'docker.io' ? req.authConfigs['https://index.docker.io/v1/'] : undefined)
    await host.pull(full, platform ?? req.platform, auth, (m) => out.send(m), signal)
    img = host.images.store.resolve(full)
    if (!img) throw new TockerError(`No such image: ${name}`, { code: 'ENOSUCHIMAGE', status: 404 })
  }
  return img
}

/** The image of FROM scratch: no layers, no history (the first step's parent); its ID. */
export function scratchImage(host: BuildHost, p: { os: string; architecture: string; variant?: string }): string {
  const config = Buffer.from(JSON.stringify({ architecture: p.architecture, config: {}, os: p.os, rootfs: { type: 'layers', diff_ids: [] }, ...(p.variant ? { variant: p.variant } : {}) }))
  const digest = sha256(config)
  host.images.store.commitImage({ config, configDigest: digest })
  return digest
}
