// POST /images/{name}/push?tag=…: the engine pushes (src/image/push.ts) and streams Docker's JSON
// messages, the lines `docker push` prints:
//   The push refers to repository [127.0.0.1:5000/me/web]
//   5f70bf18a086: Preparing / Waiting / Pushing [==>  ] / Pushed   (or: Layer already exists,
//                                                                    Mounted from library/busybox)
//   latest: digest: sha256:… size: 739
// and an aux message {Tag, Digest, Size} that clients read. Without a tag, every tag of the
// repository is pushed, as Docker's daemon does. Credentials come from X-Registry-Auth only.
import { layerMessage, type JSONMessage } from '../../api/json-message.js'
import { TockerError } from '../../errors.js'
import { pushImage } from '../../image/push.js'
import { familiarName, familiarString, fullName, parseReference, type Reference } from '../../image/reference.js'
import type { ImageStore } from '../../image/store.js'
import { decodeAuthHeader, requestClient } from './pull.js'

export interface PushRequest {
  name: string
  tag?: string
  /** The X-Registry-Auth header, as sent. */
  auth?: string
}

/** The repository and the tag(s) asked for; Docker's errors for a bad name. */
export function pushReference(name: string, tag?: string): Reference {
  let ref: Reference
  try {
    ref = parseReference(tag ? `${name}:${tag}` : name)
  } catch (err) {
    throw new TockerError((err as Error).message, { code: 'EINVALID', daemon: true, cause: err })
  }
  if (ref.digest !== undefined) throw new TockerError('cannot push a digest reference', { code: 'EINVALID', daemon: true })
  return ref
}

/** Push; each step goes to `send`. Resolves with what was pushed ("repo:tag" familiar strings). */
export async function pushToStream(store: ImageStore, req: PushRequest, send: (m: JSONMessage) => void): Promise<string[]> {
  const ref = pushReference(req.name, req.tag)
  send({ status: `The push refers to repository [${fullName(ref)}]` })
  const repo = fullName(ref)
  const tags = store
    .list()
    .flatMap((img) => img.repoTags.map((t) => ({ img, r: parseReference(t) })))
    .filter(({ r }) => fullName(r) === repo)
  if (tags.length === 0) throw new TockerError(`An image does not exist locally with the tag: ${familiarName(ref)}`, { code: 'ENOTFOUND', daemon: true })
  const chosen = ref.tag !== undefined ? tags.filter(({ r }) => r.tag === ref.tag) : tags.sort((a, b) => (a.r.tag ?? '').localeCompare(b.r.tag ?? ''))
  if (chosen.length === 0) throw new TockerError(`tag does not exist: ${familiarString(ref)}`, { code: 'ENOTFOUND', daemon: true })
  const client = requestClient(decodeAuthHeader(req.auth))
  const done: string[] = []
  for (const { img, r } of chosen) {
    const result = await pushImage(img, { ...r, tag: r.tag ?? 'latest' }, {
      store,
      client,
      onEvent: (e) => send(e.id === undefined ? { status: e.status } : layerMessage(e.id, e.status, e.current, e.total)),
    })
    send({ status: `${result.tag}: digest: ${result.digest} size: ${result.size}` })
    send({ progressDetail: {}, aux: { Tag: result.tag, Digest: result.digest, Size: result.size } })
    done.push(familiarString(r))
  }
  return done
}
