// The image routes of the Docker Engine API (server.ts registers them): pull, list, inspect,
// history, remove, tag, save, load, prune, and POST /auth. Image names may contain slashes
// ("127.0.0.1:5000/library/busybox"): their routes match the name greedily.
//
// Pull and load answer with Docker's JSON message stream (json-message.ts). Nothing is sent before
// the first message, so a failure before it is an HTTP error status with {"message": …} (what
// `docker pull` prints as "Error response from daemon: …"); after it, the error is the stream's
// last message, {"errorDetail": …, "error": …}.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { TockerError } from '../errors.js'
import type { Engine } from '../engine/engine.js'
import { errorMessage, JsonMessageWriter } from './json-message.js'
import type { AuthConfig } from './types.js'

/** What a handler gets from the router (server.ts). */
export interface RouteContext {
  req: IncomingMessage
  res?: ServerResponse
  params: Record<string, string>
  query: URLSearchParams
  body: () => Promise<any>
}
type Handler = (ctx: RouteContext) => Promise<unknown>

export function flag(q: URLSearchParams, k: string): boolean {
  const v = q.get(k)
  return v === '1' || v === 'true' || v === 'True'
}

/** An AbortSignal that fires when the client goes away before the response is complete. */
function clientGone(res: ServerResponse): AbortSignal {
  const ac = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) ac.abort(new TockerError('the client went away', { code: 'ECANCELED', status: 499 }))
  })
  return ac.signal
}

/**
 * Run a JSON-message producer; errors after the first message go into the stream. `alwaysStream`:
 * every error goes into the stream (moby's load answers 200 and writes its error as a message, so
 * `docker load` prints it bare, without "Error response from daemon:").
 */
async function messageStream(res: ServerResponse, produce: (w: JsonMessageWriter) => Promise<void>, alwaysStream = false): Promise<void> {
  const w = new JsonMessageWriter(res)
  try {
    await produce(w)
  } catch (err) {
    if (!w.flushed && !alwaysStream) throw err
    if (!res.destroyed) w.write(errorMessage((err as Error).message))
  }
  if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' })
  res.end()
}

export function imageHandlers(engine: Engine) {
  const images = engine.images
  const h = {
    /** POST /images/create?fromImage=…&tag=…&platform=… (X-Registry-Auth) */
    pull: (async ({ req, res, query }) => {
      const fromImage = query.get('fromImage')
      const fromSrc = query.get('fromSrc')
      if (!fromImage && fromSrc) {
        // `docker import`: the body is the tar (engine/images/import.ts).
        const platform = (query.get('platform') || 'linux/amd64').split('/')
        await messageStream(res!, (w) =>
          engine.importImage(
            req,
            {
              fromSrc,
              repo: query.get('repo') || undefined,
              tag: query.get('tag') || undefined,
              message: query.get('message') || undefined,
              changes: query.getAll('changes').flatMap((c) => c.split('\n')),
              platform: { os: platform[0] || 'linux', architecture: platform[1] || 'amd64', ...(platform[2] ? { variant: platform[2] } : {}) },
            },
            (m) => w.write(m),
          ))
        return
      }
      if (!fromImage) throw new TockerError('fromImage is required', { code: 'EINVALID', daemon: true })
      const signal = clientGone(res!)
      const auth = req.headers['x-registry-auth']
      await messageStream(res!, (w) =>
        images.pull(
          { fromImage, tag: query.get('tag') ?? undefined, platform: query.get('platform') || undefined, auth: Array.isArray(auth) ? auth[0] : auth },
          (m) => w.write(m),
          signal,
        ))
    }) as Handler,

    /** POST /images/{name}/push?tag=… (X-Registry-Auth) */
    push: (async ({ req, res, params, query }) => {
      const auth = req.headers['x-registry-auth']
      await messageStream(res!, (w) => images.push({ name: params.name, tag: query.get('tag') || undefined, auth: Array.isArray(auth) ? auth[0] : auth }, (m) => w.write(m)))
    }) as Handler,

    /** GET /images/json?all=…&filters=… */
    list: (async ({ query }) => images.list({ all: flag(query, 'all'), filters: query.get('filters') })) as Handler,

    /** GET /images/{name}/json */
    inspect: (async ({ params }) => images.inspect(params.name)) as Handler,

    /** GET /images/{name}/history */
    history: (async ({ params }) => images.history(params.name)) as Handler,

    /** DELETE /images/{name}?force=…&noprune=… */
    remove: (async ({ params, query }) => images.remove(params.name, { force: flag(query, 'force'), noprune: flag(query, 'noprune') })) as Handler,

    /** POST /images/{name}/tag?repo=…&tag=… (201, no body) */
    tag: (async ({ params, query, res }) => {
      const repo = query.get('repo')
      if (!repo) throw new TockerError('repository name must have at least one component', { code: 'EINVALID', daemon: true })
      images.tag(params.name, repo, query.get('tag') ?? undefined)
      res!.statusCode = 201
    }) as Handler,

    /** GET /images/get?names=…&names=… and GET /images/{name}/get: a tar of the images. */
    save: (async ({ params, query, res }) => {
      const names = params.name !== undefined ? [params.name] : query.getAll('names')
      const write = images.prepareSave(names)
      res!.writeHead(200, { 'Content-Type': 'application/x-tar' })
      try {
        await write(res!)
      } catch (err) {
        // Mid-stream: the only way left to say "this archive is incomplete" is to cut it.
        res!.destroy(err as Error)
        return
      }
      res!.end()
    }) as Handler,

    /** POST /images/load?quiet=…: the request body is the archive. */
    load: (async ({ req, res, query }) => {
      await messageStream(res!, (w) => images.load(req, flag(query, 'quiet'), (m) => w.write(m)), true)
    }) as Handler,

    /** POST /images/prune?filters=… */
    prune: (async ({ query }) => images.prune(query.get('filters'))) as Handler,

    /** POST /auth: check credentials against a registry (the client stores them). */
    auth: (async ({ body }) => {
      const auth = ((await body()) ?? {}) as AuthConfig
      await engine.checkLogin(auth)
      return { Status: 'Login Succeeded', IdentityToken: '' }
    }) as Handler,
  }
  return h
}
