// Docker's /volumes routes (server.ts registers them): list, create, inspect, remove, prune.
import type { Engine } from '../engine/engine.js'
import type { RouteContext } from './image-routes.js'
import { bool } from './router.js'
import type { VolumeCreateBody } from './types.js'

type Handler = (ctx: RouteContext) => Promise<unknown>

export function volumeHandlers(engine: Engine) {
  return {
    /** GET /volumes?filters=… */
    list: (async ({ query }) => engine.volumes.list(query.get('filters'))) as Handler,
    /** POST /volumes/create: 201 with the volume (an existing one of that name as it is). */
    create: (async ({ body, res }) => {
      const v = engine.volumes.create(((await body()) ?? {}) as VolumeCreateBody)
      res!.statusCode = 201
      return v
    }) as Handler,
    /** GET /volumes/{name} */
    inspect: (async ({ params }) => engine.volumes.inspect(params.name)) as Handler,
    /** DELETE /volumes/{name}?force=1 (force: no error when it does not exist; in use is still refused). */
    remove: (async ({ params, query, res }) => {
      await engine.volumes.remove(params.name, bool(query, 'force'))
      res!.statusCode = 204
    }) as Handler,
    /** POST /volumes/prune?filters=… */
    prune: (async ({ query }) => engine.volumes.prune(query.get('filters'))) as Handler,
  }
}
