// The routes of `docker cp` and `docker export` (server.ts registers them), as Docker's API has them:
//   HEAD /containers/{id}/archive?path=      the stat, base64 JSON in X-Docker-Container-Path-Stat
//   GET  /containers/{id}/archive?path=      the same header, and the tar
//   PUT  /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=   a tar body, extracted
//   GET  /containers/{id}/export             the container's file system as a tar
// The engine resolves and reads inside the container (engine/archive/); here only the wire.
import { once } from 'node:events'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ServerResponse } from 'node:http'
import { TockerError } from '../errors.js'
import type { Engine } from '../engine/engine.js'
import { bool, type Handler } from './router.js'

const STAT_HEADER = 'X-Docker-Container-Path-Stat'

function pathOf(query: URLSearchParams): string {
  const path = query.get('path')
  if (!path) throw new TockerError('path is required', { code: 'EINVALID', daemon: true })
  return path
}

const statHeader = (stat: unknown): string => Buffer.from(JSON.stringify(stat)).toString('base64')

/** Send a tar; a failure half-way cuts the connection (the client sees a short archive, never a wrong one). */
async function sendTar(res: ServerResponse, tar: AsyncGenerator<Buffer>, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers })
  try {
    await pipeline(Readable.from(tar, { objectMode: false }), res)
  } catch {
    res.destroy()
  }
}

export function archiveHandlers(engine: Engine): Record<'stat' | 'get' | 'put' | 'export', Handler> {
  return {
    stat: async ({ params, query, res }) => {
      const stat = await engine.files.archiveStat(params.id, pathOf(query))
      res!.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/json' })
      res!.end()
    },
    get: async ({ params, query, res }) => {
      const src = await engine.files.archiveGet(params.id, pathOf(query))
      await sendTar(res!, src.tar, { [STAT_HEADER]: statHeader(src.stat) })
    },
    put: async ({ params, query, req, res }) => {
      const path = pathOf(query)
      try {
        // destroyOnReturn false: an extraction that stops early must not destroy the socket the
        // error goes back on.
        await engine.files.archivePut(params.id, path, req.iterator({ destroyOnReturn: false }), { noOverwriteDirNonDir: bool(query, 'noOverwriteDirNonDir'), copyUIDGID: bool(query, 'copyUIDGID') })
      } catch (err) {
        // What the client still sends goes nowhere; the answer is the error, sent once the client
        // is done sending (or after 2 s), so that it reads it instead of a broken pipe.
        req.resume()
        if (!req.complete) await Promise.race([once(req, 'end'), once(req, 'close'), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => {})
        throw err
      }
      res!.writeHead(200)
      res!.end()
    },
    export: async ({ params, res }) => {
      await sendTar(res!, await engine.files.export(params.id), {})
    },
  }
}
