// The system routes of the Docker Engine API (server.ts registers them): /_ping with Docker's
// headers, /version, /info, /events (a stream), /system/df, and POST /containers/prune.
import type { ServerResponse } from 'node:http'
import type { Engine } from '../engine/engine.js'
import { encodeEvent } from '../engine/events.js'
import type { RouteContext } from './image-routes.js'
import { API_VERSION } from './types.js'

type Handler = (ctx: RouteContext) => Promise<unknown>

/**
 * The headers Docker's daemon sends on every response; clients read them from /_ping to choose the
 * API version (API-Version), whether to use BuildKit (Builder-Version: 1 = the classic builder),
 * and the daemon's OS.
 */
export const ENGINE_HEADERS: Record<string, string> = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'tockerd (linux)',
}

export function systemHandlers(engine: Engine) {
  return {
    /** GET and HEAD /_ping */
    ping: (async ({ req, res }) => {
      const r = res as ServerResponse
      r.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Cache-Control': 'no-cache, no-store, must-revalidate',
        Pragma: 'no-cache',
        'Builder-Version': '1',
        Swarm: 'inactive',
        'Content-Length': req.method === 'HEAD' ? '0' : '2',
      })
      r.end(req.method === 'HEAD' ? undefined : 'OK')
    }) as Handler,

    version: (async () => engine.version()) as Handler,

    info: (async () => engine.info()) as Handler,

    /** GET /system/df */
    df: (async () => engine.diskUsage()) as Handler,

    /** POST /containers/prune?filters=… */
    pruneContainers: (async ({ query }) => engine.pruneContainers(query.get('filters'))) as Handler,

    /**
     * GET /events?since=…&until=…&filters=…: past events (since) then new ones as they happen,
     * one JSON object per line, until `until` or until the client goes away.
     */
    events: (async ({ res, query }) => {
      const r = res as ServerResponse
      // Subscribe (which checks the filters: a bad one is still a 400) and send the headers in
      // one synchronous step, so no event can slip in between.
      const sub = engine.subscribeEvents({ since: query.get('since'), until: query.get('until'), filters: query.get('filters') }, (e) => r.write(encodeEvent(e)))
      r.writeHead(200, { 'Content-Type': 'application/json' })
      r.flushHeaders()
      for (const e of sub.past) r.write(encodeEvent(e))
      await new Promise<void>((resolve) => {
        r.on('close', resolve)
        if (sub.until !== undefined) {
          const ms = Number(sub.until / 1_000_000n) - Date.now()
          if (ms <= 0) return resolve()
          setTimeout(resolve, ms).unref()
        }
      })
      sub.stop()
      if (!r.destroyed) r.end()
    }) as Handler,
  }
}
