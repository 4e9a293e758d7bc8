// The engine's HTTP API on a unix socket, shaped after the Docker Engine API: the same paths (with
// or without a /v1.xx prefix), query parameters, JSON field names, {"message": …} error bodies and
// status codes (400 bad input, 404 no such thing, 409 conflict, 500 other). Attach and exec use
// Docker's hijack: the HTTP connection is upgraded and then carries the process's stdio.
//
// Adding a route: route(METHOD, PATH, handler, options). A JSON body is read and bounded for every
// route (1 MiB, 60 s by default: router.ts); give it a schema (schemas.ts) and, if it may be bigger,
// a limit: { body: { schema: fooBody, limit: 4 << 20 } }. A route whose body is a stream (an image
// tar, a build context) says { body: 'stream' } and reads ctx.req itself, bounded by its own means.
import type { Server } from 'node:http'
import { TockerError } from '../errors.js'
import type { Engine } from '../engine/engine.js'
import { archiveHandlers } from './archive-routes.js'
import { buildHandler } from './build-routes.js'
import { imageHandlers } from './image-routes.js'
import { bool, hijack, int, jsonQuery, route, serve, type Route, type ServeOptions } from './router.js'
import { authConfigBody, containerCreateBody, execCreateBody, execStartBody, networkConnectBody, networkCreateBody, networkDisconnectBody, volumeCreateBody } from './schemas.js'
import { networkHandlers } from './network-routes.js'
import { volumeHandlers } from './volume-routes.js'
import { connectionSink, responseSink } from './streams.js'
import { ENGINE_HEADERS, systemHandlers } from './system-routes.js'
import { TraceSessions, type StepProbe } from './trace-sessions.js'
import type { ContainerCreateBody, ExecCreateBody } from './types.js'

/** containers/create may carry big Env/Labels; other JSON bodies get the 1 MiB default. */
const CREATE_BODY_LIMIT = 4 << 20

export function routes(engine: Engine, sessions = new TraceSessions()): Route[] {
  const img = imageHandlers(engine)
  const sys = systemHandlers(engine)
  const vol = volumeHandlers(engine)
  const net = networkHandlers(engine)
  const archive = archiveHandlers(engine)
  return [
    route('GET', '/_ping', sys.ping, true),
    route('HEAD', '/_ping', sys.ping, true),
    route('GET', '/version', sys.version),
    route('GET', '/info', sys.info),
    route('GET', '/events', sys.events, true),
    route('GET', '/system/df', sys.df),
    route('POST', '/containers/prune', sys.pruneContainers),
    route('POST', '/auth', img.auth, { body: { schema: authConfigBody } }),
    // A pull has no body; an import (fromSrc=-) streams its tar as the body (the layer store bounds it).
    route('POST', '/images/create', img.pull, { raw: true, body: 'stream' }),
    route('GET', '/images/json', img.list),
    route('GET', '/images/get', img.save, true),
    // The body is the archive: the image store streams it to disk and bounds it there.
    route('POST', '/images/load', img.load, { raw: true, body: 'stream' }),
    route('POST', '/images/prune', img.prune),
    // The body is the build context: unpacked to disk, capped there (TOCKER_BUILD_CONTEXT_MAX).
    route('POST', '/build', buildHandler(engine), { raw: true, body: 'stream' }),
    route('GET', '/images/{name:.*}/json', img.inspect),
    route('GET', '/images/{name:.*}/history', img.history),
    route('GET', '/images/{name:.*}/get', img.save, true),
    route('POST', '/images/{name:.*}/tag', img.tag),
    route('POST', '/images/{name:.*}/push', img.push, true),
    route('DELETE', '/images/{name:.*}', img.remove),
    route('GET', '/volumes', vol.list),
    route('POST', '/volumes/create', vol.create, { body: { schema: volumeCreateBody } }),
    route('POST', '/volumes/prune', vol.prune),
    route('GET', '/volumes/{name}', vol.inspect),
    route('DELETE', '/volumes/{name}', vol.remove),
    route('GET', '/networks', net.list),
    route('POST', '/networks/create', net.create, { body: { schema: networkCreateBody } }),
    route('POST', '/networks/prune', net.prune),
    route('GET', '/networks/{id}', net.inspect),
    route('DELETE', '/networks/{id}', net.remove),
    route('POST', '/networks/{id}/connect', net.connect, { body: { schema: networkConnectBody } }),
    route('POST', '/networks/{id}/disconnect', net.disconnect, { body: { schema: networkDisconnectBody } }),
    route(
      'POST',
      '/containers/create',
      async ({ query, body, res }) => {
        const r = await engine.create((await body()) as ContainerCreateBody, query.get('name') ?? undefined)
        res!.statusCode = 201
        return r
      },
      { body: { schema: containerCreateBody, limit: CREATE_BODY_LIMIT } },
    ),
    route('GET', '/containers/json', async ({ query }) =>
      engine.list({
        all: bool(query, 'all'),
        limit: int(query, 'limit'),
        filters: jsonQuery<Record<string, string[] | Record<string, boolean>>>(query, 'filters') ?? {},
      })),
    route('GET', '/containers/{id}/json', async ({ params }) => engine.inspect(params.id)),
    route('POST', '/containers/{id}/start', async ({ params, res }) => {
      const started = await engine.start(params.id)
      res!.statusCode = started ? 204 : 304
    }),
    route('POST', '/containers/{id}/stop', async ({ params, query, res }) => {
      const stopped = await engine.stop(params.id, int(query, 't'), query.get('signal') ?? undefined)
      res!.statusCode = stopped ? 204 : 304
    }),
    route('POST', '/containers/{id}/restart', async ({ params, query, res }) => {
      await engine.restart(params.id, int(query, 't'))
      res!.statusCode = 204
    }),
    route('POST', '/containers/{id}/kill', async ({ params, query, res }) => {
      await engine.kill(params.id, query.get('signal') ?? 'SIGKILL')
      res!.statusCode = 204
    }),
    route('POST', '/containers/{id}/wait', async (ctx) => {
      const cond = ctx.query.get('condition') || 'not-running'
      // Docker's router refuses any other condition (400) before it waits.
      if (cond !== 'not-running' && cond !== 'next-exit' && cond !== 'removed') throw new TockerError(`invalid condition: ${JSON.stringify(cond)}`, { code: 'EINVALID' })
      // Docker sends the headers at once and the body when the container stops.
      const waiting = engine.wait(ctx.params.id, cond)
      await waiting.ready
      ctx.res!.writeHead(200, { 'Content-Type': 'application/json' })
      ctx.res!.flushHeaders()
      const r = await waiting.result
      ctx.res!.end(JSON.stringify(r) + '\n')
    }, true),
    route('DELETE', '/containers/{id}', async ({ params, query, res }) => {
      await engine.remove(params.id, { force: bool(query, 'force'), volumes: bool(query, 'v') })
      res!.statusCode = 204
    }),
    route('POST', '/containers/{id}/rename', async ({ params, query, res }) => {
      await engine.rename(params.id, query.get('name') ?? '')
      res!.statusCode = 204
    }),
    route('GET', '/containers/{id}/changes', async ({ params }) => engine.files.changes(params.id)),
    route('POST', '/commit', async ({ query, body, res }) => {
      const container = query.get('container')
      if (!container) throw new TockerError('No such container: ', { code: 'ENOTFOUND', daemon: true })
      const config = ((await body()) ?? undefined) as Record<string, unknown> | undefined
      const id = await engine.files.commit(container, {
        repo: query.get('repo') || undefined,
        tag: query.get('tag') || undefined,
        comment: query.get('comment') || undefined,
        author: query.get('author') || undefined,
        changes: query.getAll('changes').flatMap((c) => c.split('\n')),
        // Docker's default is true: only an explicit pause=0/false turns it off.
        pause: query.get('pause') === null || query.get('pause') === '' ? true : bool(query, 'pause'),
        config: config && typeof config === 'object' ? config : undefined,
      })
      res!.statusCode = 201
      return { Id: id }
    }),
    // cp and export (archive-routes.ts): the PUT body is a tar the engine extracts as it comes.
    route('HEAD', '/containers/{id}/archive', archive.stat, true),
    route('GET', '/containers/{id}/archive', archive.get, true),
    route('PUT', '/containers/{id}/archive', archive.put, { raw: true, body: 'stream' }),
    route('GET', '/containers/{id}/export', archive.export, true),
    route('GET', '/containers/{id}/top', async ({ params, query }) => engine.top(params.id, query.get('ps_args') ?? undefined)),
    // tocker's own: the namespaces, mounts, cgroup, network and capabilities of a running container.
    route('GET', '/containers/{id}/kernel', async ({ params }) => engine.kernel(params.id)),
    route('POST', '/containers/{id}/resize', async ({ params, query, res }) => {
      await engine.resize(params.id, int(query, 'h') ?? 24, int(query, 'w') ?? 80)
      res!.statusCode = 200
    }),
    route('GET', '/containers/{id}/logs', async ({ params, query, res, req }) => {
      await engine.logs(
        params.id,
        {
          follow: bool(query, 'follow'),
          stdout: bool(query, 'stdout'),
          stderr: bool(query, 'stderr'),
          timestamps: bool(query, 'timestamps'),
          tail: query.get('tail') && query.get('tail') !== 'all' ? Number(query.get('tail')) : undefined,
          since: query.get('since') ? Number(query.get('since')) : undefined,
          until: query.get('until') ? Number(query.get('until')) : undefined,
        },
        (tty) => responseSink(req, res!, tty),
      )
    }, true),
    route('POST', '/containers/{id}/attach', async (ctx) => {
      const mode = await engine.attachMode(ctx.params.id)
      // The 101 goes out once the engine has placed the stream's start (the client starts the
      // container on it): before that, an error is still an HTTP answer.
      await engine.attach(ctx.params.id, () => connectionSink(hijack(ctx, mode), mode === 'raw'), {
        stream: bool(ctx.query, 'stream'),
        logs: bool(ctx.query, 'logs'),
        stdin: bool(ctx.query, 'stdin'),
        stdout: bool(ctx.query, 'stdout'),
        stderr: bool(ctx.query, 'stderr'),
      })
    }, true),
    route(
      'POST',
      '/containers/{id}/exec',
      async ({ params, body, res }) => {
        const r = await engine.execCreate(params.id, (await body()) as ExecCreateBody)
        res!.statusCode = 201
        return r
      },
      { body: { schema: execCreateBody } },
    ),
    route('POST', '/exec/{id}/start', async (ctx) => {
      const b = ((await ctx.body()) ?? {}) as { Detach?: boolean; Tty?: boolean }
      if (b.Detach) {
        await engine.execStart(ctx.params.id, undefined)
        ctx.res?.writeHead(200, { 'Content-Type': 'application/json' })
        ctx.res?.end()
        return
      }
      const tty = engine.execTty(ctx.params.id)
      const conn = connectionSink(hijack(ctx, tty ? 'raw' : 'multiplexed'), tty)
      await engine.execStart(ctx.params.id, conn)
    }, { raw: true, body: { schema: execStartBody } }),
    route('POST', '/exec/{id}/resize', async ({ params, query, res }) => {
      await engine.execResize(params.id, int(query, 'h') ?? 24, int(query, 'w') ?? 80)
      res!.statusCode = 200
    }),
    route('GET', '/exec/{id}/json', async ({ params }) => engine.execInspect(params.id)),
    // tocker's own: every kernel-level action of the engine as it happens, one JSON object per line
    // (what `tocker --explain` prints for commands the engine carries out); ?session=1 follows one
    // client's requests only, &step=1 pauses them at each phase (trace-sessions.ts).
    route('GET', '/tocker/trace', async ({ res, req, query }) => {
      await sessions.follow(req, res!, { session: bool(query, 'session'), step: bool(query, 'step') })
    }, true),
    route('POST', '/tocker/sessions/{id}/continue', async ({ params, query, res }) => {
      sessions.continue(params.id, int(query, 'n') ?? 0)
      res!.statusCode = 204
    }),
  ]
}

export function createApiServer(engine: Engine, opts: ServeOptions = {}): Server {
  const sessions = new TraceSessions(engine.stepProbe() as StepProbe<unknown>)
  return serve(routes(engine, sessions), { headers: ENGINE_HEADERS, scope: (req) => sessions.scopeOf(req), ...opts })
}
