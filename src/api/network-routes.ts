// Docker's /networks routes (server.ts registers them): list, inspect, create, remove, connect,
// disconnect, prune.
import type { Engine } from '../engine/engine.js'
import type { RouteContext } from './image-routes.js'
import type { NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody } from './types.js'

type Handler = (ctx: RouteContext) => Promise<unknown>

export function networkHandlers(engine: Engine) {
  return {
    /** GET /networks?filters=… */
    list: (async ({ query }) => engine.networks.list(query.get('filters'))) as Handler,
    /** GET /networks/{id} (with the containers on it) */
    inspect: (async ({ params }) => engine.networks.inspect(params.id)) as Handler,
    /** POST /networks/create: 201 {Id, Warning} */
    create: (async ({ body, res }) => {
      const r = await engine.networks.create((await body()) as NetworkCreateBody)
      res!.statusCode = 201
      return r
    }) as Handler,
    /** DELETE /networks/{id} */
    remove: (async ({ params, res }) => {
      await engine.networks.remove(params.id)
      res!.statusCode = 204
    }) as Handler,
    /** POST /networks/{id}/connect {Container, EndpointConfig} */
    connect: (async ({ params, body, res }) => {
      const b = ((await body()) ?? {}) as NetworkConnectBody
      await engine.connectNetwork(params.id, b.Container ?? '', b.EndpointConfig ?? {})
      res!.statusCode = 200
    }) as Handler,
    /** POST /networks/{id}/disconnect {Container, Force} */
    disconnect: (async ({ params, body, res }) => {
      const b = ((await body()) ?? {}) as NetworkDisconnectBody
      await engine.disconnectNetwork(params.id, b.Container ?? '', !!b.Force)
      res!.statusCode = 200
    }) as Handler,
    /** POST /networks/prune?filters=… */
    prune: (async ({ query }) => engine.networks.prune(query.get('filters'))) as Handler,
  }
}
