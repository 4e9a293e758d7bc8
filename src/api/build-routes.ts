// POST /build: Docker's legacy builder API (what `DOCKER_BUILDKIT=0 docker build` and `tocker build`
// send). The request body is the build context as a tar (plain or compressed); the query carries
// the options (t, dockerfile, buildargs, labels, nocache, pull, q, rm, forcerm, target,
// networkmode, platform); X-Registry-Config carries credentials per registry for FROM images
// that must be pulled. The answer is Docker's JSON message stream: {"stream": "Step 1/3 : …\n"},
// pull progress, {"aux": {"ID": "sha256:…"}} after each stage, and the error as the last message.
// Nothing is sent before the first message, so a failure before it (a bad tag, an unknown
// instruction) is an HTTP error, which docker prints as "Error response from daemon: …".
// With q=1 only the image ID is sent on success; on failure, everything the build said.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Engine } from '../engine/engine.js'
import { buildErrorMessage, type BuildOutput } from '../engine/build/builder.js'
import { fullString, parseReference, withDefaultTag } from '../image/reference.js'
import { TockerError } from '../errors.js'
import { errorMessage, JsonMessageWriter, type JSONMessage } from './json-message.js'
import { bool, jsonQuery } from './router.js'
import { drained } from './streams.js'
import type { AuthConfig } from './types.js'

interface Ctx {
  req: IncomingMessage
  res?: ServerResponse
  query: URLSearchParams
}

export function buildHandler(engine: Engine) {
  return async ({ req, res, query }: Ctx): Promise<void> => {
    const response = res!
    const options = buildOptions(query)
    if (query.get('remote')) throw new TockerError('a remote build context (remote=…) is not supported by tocker: send the context as the request body', { code: 'ENOTIMPLEMENTED', daemon: true })
    if (query.get('version') === '2') throw new TockerError('buildkit is not enabled on daemon: tocker has the classic builder only (DOCKER_BUILDKIT=0)', { code: 'EINVALID', daemon: true })
    const quiet = bool(query, 'q')
    const w = new JsonMessageWriter(response)
    const held: JSONMessage[] = []
    const out: BuildOutput = {
      send: (m) => {
        if (quiet && !m.aux) held.push(m)
        else if (!response.destroyed) w.write(m)
      },
      ready: () => drained(response),
    }
    const cancelled = new Promise<void>((resolve) => {
      response.on('close', () => {
        if (!response.writableFinished) resolve()
      })
    })
    try {
      const id = await engine.build({ ...options, context: req, authConfigs: registryConfig(req) }, out, cancelled)
      if (quiet) w.write({ stream: `${id}\n` })
    } catch (err) {
      // Before the first message the error is the HTTP answer; after it, the stream's last message.
      if (!w.flushed && held.length === 0) throw err
      if (!response.destroyed) {
        for (const m of held) w.write(m)
        const e = buildErrorMessage(err)
        w.write({ ...errorMessage(e.message), ...(e.code !== undefined ? { errorDetail: { code: e.code, message: e.message } } : {}) })
      }
    }
    if (!response.headersSent) response.writeHead(200, { 'Content-Type': 'application/json' })
    response.end()
  }
}

function buildOptions(q: URLSearchParams) {
  const tags = q.getAll('t').map((t) => {
    let ref
    try {
      ref = parseReference(t)
    } catch (err) {
      throw new TockerError(`invalid reference format: ${(err as Error).message.replace(/^invalid reference format:?\s*/, '') || t}`.replace(/: $/, ''), { code: 'EINVALIDREF', daemon: true })
    }
    if (ref.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { code: 'EINVALID', daemon: true })
    return fullString(withDefaultTag(ref))
  })
  const buildArgs = jsonQuery<Record<string, string | null>>(q, 'buildargs') ?? {}
  const labels = jsonQuery<Record<string, string>>(q, 'labels') ?? {}
  for (const [k, v] of Object.entries(buildArgs)) if (v !== null && typeof v !== 'string') throw new TockerError(`error reading build args: the value of ${k} is not a string`, { code: 'EINVALID', daemon: true })
  for (const [k, v] of Object.entries(labels)) if (typeof v !== 'string') throw new TockerError(`error reading labels: the value of ${k} is not a string`, { code: 'EINVALID', daemon: true })
  // Docker: rm defaults to true; forcerm implies rm.
  const rm = q.get('rm')
  return {
    tags,
    dockerfile: q.get('dockerfile') || undefined,
    buildArgs,
    labels,
    noCache: bool(q, 'nocache'),
    pull: bool(q, 'pull'),
    remove: bool(q, 'forcerm') || rm === null || rm === '' || bool(q, 'rm'),
    target: q.get('target') || undefined,
    networkMode: q.get('networkmode') || undefined,
    platform: q.get('platform') || undefined,
  }
}

/** X-Registry-Config: base64url(JSON {registry: AuthConfig}); undecodable means none (as Docker). */
function registryConfig(req: IncomingMessage): Record<string, AuthConfig> {
  const h = req.headers['x-registry-config']
  const v = Array.isArray(h) ? h[0] : h
  if (!v) return {}
  try {
    const parsed = JSON.parse(Buffer.from(v, 'base64').toString('utf8'))
    return parsed && typeof parsed === 'object' ? parsed : {}
  } catch {
    return {}
  }
}
