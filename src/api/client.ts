// The typed client of the engine's API, used by the CLI: one method an endpoint, the trace stream
// (--explain, --step) and the archive path stat. The requests go through EngineTransport
// (transport.ts: HTTP/1.1 over the unix socket, errors, hijacked connections).
import { TockerError } from '../errors.js'
import type { Http1Response } from './http1.js'
import { EngineTransport, errorFrom, qs, readBody, type Query } from './transport.js'
import type { TraceEvent } from '../trace/trace.js'
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPathStat,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  KernelView,
  ExecCreateBody,
  ExecInspect,
  AuthConfig,
  ContainerPruneReport,
  DiskUsage,
  ImageDeleteItem,
  ImageHistoryItem,
  ImageInspect,
  ImagePruneReport,
  ImageSummary,
  NetworkConnectBody,
  NetworkCreateBody,
  NetworkCreateResponse,
  NetworkDisconnectBody,
  NetworkPruneReport,
  NetworkResource,
  Volume,
  VolumeCreateBody,
  VolumeListResponse,
  VolumePruneReport,
} from './types.js'

/** A line of the trace stream that is not an event: the session's id, a --step pause. */
export type TraceControl = { session: string; step: boolean } | { pause: { n: number; phase: string; changes: unknown } }

export class EngineClient extends EngineTransport {
  /**
   * Follow the engine's trace stream (kernel-level actions, see src/trace/); resolves once the
   * subscription is in place. With `session`, only this client's work is followed (the session id
   * is sent with every request from then on); with `step`, the engine pauses at each phase and
   * `onControl` gets the pause (answer with continueStep). The connection does not keep this
   * process alive.
   */
  async followTrace(onEvent: (e: TraceEvent) => void, o: { session?: boolean; step?: boolean; onControl?: (c: TraceControl) => void } = {}): Promise<void> {
    const res = await this.raw('GET', '/tocker/trace', { query: o.session ? { session: 1, step: o.step ? 1 : undefined } : undefined })
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, await readBody(res))
    let buf = ''
    let first: ((id: string | undefined) => void) | undefined
    const ready = o.session ? new Promise<string | undefined>((r) => (first = r)) : undefined
    res.on('data', (d: Buffer) => {
      buf += d.toString('utf8')
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) {
        if (!l) continue
        const obj = JSON.parse(l) as TraceEvent | TraceControl
        if ('kind' in obj) onEvent(obj)
        else if ('session' in obj) first?.(obj.session)
        else o.onControl?.(obj)
      }
    })
    res.on('error', () => {})
    res.on('end', () => first?.(undefined))
    // Unreferenced only once the session's first line is in: until then nothing else may keep
    // this process alive, and it would end in the middle of the await.
    if (ready) this.traceSession = await ready
    res.socket.unref()
  }

  /** --step: let the engine go on after pause `n`. */
  async continueStep(n: number): Promise<void> {
    await this.json('POST', `/tocker/sessions/${encodeURIComponent(this.traceSession ?? '')}/continue`, { query: { n } })
  }

  ping(): Promise<string> {
    return this.raw('GET', '/_ping').then(readBody)
  }

  // Containers
  createContainer(body: ContainerCreateBody, name?: string): Promise<ContainerCreateResponse> {
    return this.json('POST', '/containers/create', { query: { name }, body })
  }
  listContainers(query: { all?: boolean; limit?: number; filters?: string; size?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', { query: query as Query })
  }
  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/json`)
  }
  /** GET /containers/{id}/changes: [{Path, Kind}] (0 changed, 1 added, 2 deleted). */
  containerChanges(id: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[] | null> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/changes`)
  }
  /** POST /commit: the container's writable layer as a new image. */
  commit(q: { container: string; repo?: string; tag?: string; comment?: string; author?: string; changes?: string; pause?: string }): Promise<{ Id: string }> {
    return this.json('POST', '/commit', { query: q as Query })
  }
  /** HEAD /containers/{id}/archive: Docker's stat of a path in the container (404: no such container:path). */
  async statContainerPath(id: string, path: string): Promise<ContainerPathStat> {
    const res = await this.raw('HEAD', `/containers/${encodeURIComponent(id)}/archive`, { query: { path } })
    const text = await readBody(res)
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, text)
    return pathStatFrom(res)
  }
  /** GET /containers/{id}/archive: the path's stat and its tar (the response body). */
  async copyFromContainer(id: string, path: string): Promise<{ stat: ContainerPathStat; tar: Http1Response }> {
    const tar = await this.stream('GET', `/containers/${encodeURIComponent(id)}/archive`, { path })
    return { stat: pathStatFrom(tar), tar }
  }
  /** PUT /containers/{id}/archive: a tar extracted into the directory `path`. */
  async copyToContainer(id: string, path: string, tar: NodeJS.ReadableStream, o: { copyUIDGID?: boolean; noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
    await this.ping() // an engine that must be started first would find the body half-read
    const q = qs({ path, noOverwriteDirNonDir: o.noOverwriteDirNonDir === false ? 'false' : 'true', copyUIDGID: o.copyUIDGID ? 'true' : undefined })
    const res = await this.sendTar('PUT', `/containers/${encodeURIComponent(id)}/archive${q}`, tar, { traced: true })
    await readBody(res)
  }
  /** GET /containers/{id}/export: the container's file system as a tar. */
  exportContainer(id: string): Promise<Http1Response> {
    return this.stream('GET', `/containers/${encodeURIComponent(id)}/export`)
  }
  /** tocker's own GET /containers/{id}/kernel. */
  kernelView(id: string): Promise<KernelView> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/kernel`)
  }
  async startContainer(id: string): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/start`)
  }
  async stopContainer(id: string, t?: number, signal?: string): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { t, signal } })
  }
  async restartContainer(id: string, t?: number): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/restart`, { query: { t } })
  }
  async killContainer(id: string, signal?: string): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal } })
  }
  waitContainer(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<ContainerWaitResponse> {
    return this.json('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition } })
  }
  /**
   * Docker's wait as `run` uses it: `ready` resolves when the engine has registered the wait (its
   * response headers arrived), so a start sent after it cannot slip past; `result` at the exit.
   */
  waitStream(id: string, condition: 'not-running' | 'next-exit' | 'removed'): { ready: Promise<void>; result: Promise<ContainerWaitResponse>; cancel: () => void } {
    const res = this.raw('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition } })
    const cancel = () => void res.then((r) => r.destroy()).catch(() => {})
    const ready = res.then(async (r) => {
      if (r.statusCode >= 400) throw errorFrom(r.statusCode, await readBody(r))
    })
    const result = ready.then(() => res).then(async (r) => JSON.parse(await readBody(r)) as ContainerWaitResponse)
    result.catch(() => {})
    return { ready, result, cancel }
  }
  async removeContainer(id: string, opts: { force?: boolean; v?: boolean } = {}): Promise<void> {
    await this.json('DELETE', `/containers/${encodeURIComponent(id)}`, { query: opts })
  }
  async renameContainer(id: string, name: string): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name } })
  }
  topContainer(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: psArgs } })
  }
  async resizeContainer(id: string, h: number, w: number): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/resize`, { query: { h, w } })
  }
  logs(id: string, query: Query): Promise<Http1Response> {
    return this.stream('GET', `/containers/${encodeURIComponent(id)}/logs`, query)
  }
  attach(id: string, query: Query) {
    return this.hijack(`/containers/${encodeURIComponent(id)}/attach`, query)
  }

  // Exec
  createExec(id: string, body: ExecCreateBody): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${encodeURIComponent(id)}/exec`, { body })
  }
  startExecDetached(execId: string, tty: boolean): Promise<void> {
    return this.json('POST', `/exec/${execId}/start`, { body: { Detach: true, Tty: tty } })
  }
  startExecAttached(execId: string, tty: boolean) {
    return this.hijack(`/exec/${execId}/start`, undefined, { Detach: false, Tty: tty })
  }
  inspectExec(execId: string): Promise<ExecInspect> {
    return this.json('GET', `/exec/${execId}/json`)
  }
  async resizeExec(execId: string, h: number, w: number): Promise<void> {
    await this.json('POST', `/exec/${execId}/resize`, { query: { h, w } })
  }

  // Images (the engine owns the store; these are Docker's image routes)
  listImages(query: { all?: boolean; filters?: string } = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', { query: query as Query })
  }
  inspectImage(name: string): Promise<ImageInspect> {
    return this.json('GET', `/images/${imagePath(name)}/json`)
  }
  removeImage(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${imagePath(name)}`, { query: opts })
  }
  async tagImage(name: string, repo: string, tag?: string): Promise<void> {
    await this.json('POST', `/images/${imagePath(name)}/tag`, { query: { repo, tag } })
  }
  /** POST /images/create: Docker's JSON message stream (see json-message.ts); `auth` is X-Registry-Auth. */
  async pullImage(q: { fromImage: string; tag?: string; platform?: string }, auth?: string): Promise<Http1Response> {
    const res = await this.raw('POST', '/images/create', { query: q, headers: auth ? { 'X-Registry-Auth': auth } : {} })
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, await readBody(res))
    return res
  }
  /** POST /images/{name}/push?tag=…: Docker's JSON message stream; `auth` is X-Registry-Auth. */
  async pushImage(name: string, tag: string | undefined, auth?: string): Promise<Http1Response> {
    const res = await this.raw('POST', `/images/${imagePath(name)}/push`, { query: tag ? { tag } : {}, headers: { 'X-Registry-Auth': auth ?? Buffer.from('{}').toString('base64url') } })
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, await readBody(res))
    return res
  }
  /** GET /images/get: a tar of the images. */
  saveImages(names: string[]): Promise<Http1Response> {
    return this.stream('GET', `/images/get?${names.map((n) => `names=${encodeURIComponent(n)}`).join('&')}`)
  }
  /** POST /images/load with the archive as the body; answers with a JSON message stream. */
  async loadImages(archive: NodeJS.ReadableStream, quiet: boolean): Promise<Http1Response> {
    await this.ping() // an engine that must be started first would find the body half-read
    return this.sendTar('POST', `/images/load${qs({ quiet: quiet ? 1 : undefined })}`, archive)
  }
  /**
   * POST /build with the context tar as the body; answers with Docker's JSON message stream.
   * `query` values may repeat (t=a&t=b); X-Registry-Config carries every stored credential.
   */
  async build(context: NodeJS.ReadableStream, query: [string, string][], registryConfig?: string): Promise<Http1Response> {
    await this.ping() // an engine that must be started first would find the body half-read
    const search = query.length ? `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : ''
    return this.sendTar('POST', `/build${search}`, context, { headers: registryConfig ? { 'X-Registry-Config': registryConfig } : undefined })
  }
  /** POST /images/create?fromSrc=- with a tar of files as the body (`import`); a JSON message stream. */
  async importImage(archive: NodeJS.ReadableStream, query: [string, string][]): Promise<Http1Response> {
    await this.ping() // an engine that must be started first would find the body half-read
    const search = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
    return this.sendTar('POST', `/images/create?${search}`, archive, { traced: true })
  }
  auth(config: AuthConfig): Promise<{ Status: string; IdentityToken?: string }> {
    return this.json('POST', '/auth', { body: config })
  }
  imageHistory(name: string): Promise<ImageHistoryItem[]> {
    return this.json('GET', `/images/${imagePath(name)}/history`)
  }
  pruneImages(filters?: string): Promise<ImagePruneReport> {
    return this.json('POST', '/images/prune', { query: { filters } })
  }

  // System
  pruneContainers(filters?: string): Promise<ContainerPruneReport> {
    return this.json('POST', '/containers/prune', { query: { filters } })
  }
  // ---- networks ----

  listNetworks(filters?: string): Promise<NetworkResource[]> {
    return this.json('GET', '/networks', { query: { filters } })
  }
  createNetwork(body: NetworkCreateBody): Promise<NetworkCreateResponse> {
    return this.json('POST', '/networks/create', { body })
  }
  inspectNetwork(ref: string): Promise<NetworkResource> {
    return this.json('GET', `/networks/${encodeURIComponent(ref)}`)
  }
  async removeNetwork(ref: string): Promise<void> {
    await this.json('DELETE', `/networks/${encodeURIComponent(ref)}`)
  }
  async connectNetwork(ref: string, body: NetworkConnectBody): Promise<void> {
    await this.json('POST', `/networks/${encodeURIComponent(ref)}/connect`, { body })
  }
  async disconnectNetwork(ref: string, body: NetworkDisconnectBody): Promise<void> {
    await this.json('POST', `/networks/${encodeURIComponent(ref)}/disconnect`, { body })
  }
  pruneNetworks(filters?: string): Promise<NetworkPruneReport> {
    return this.json('POST', '/networks/prune', { query: { filters } })
  }

  // ---- volumes ----

  listVolumes(filters?: string): Promise<VolumeListResponse> {
    return this.json('GET', '/volumes', { query: { filters } })
  }
  createVolume(body: VolumeCreateBody): Promise<Volume> {
    return this.json('POST', '/volumes/create', { body })
  }
  inspectVolume(name: string): Promise<Volume> {
    return this.json('GET', `/volumes/${encodeURIComponent(name)}`)
  }
  async removeVolume(name: string, force = false): Promise<void> {
    await this.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: force ? 1 : undefined } })
  }
  pruneVolumes(filters?: string): Promise<VolumePruneReport> {
    return this.json('POST', '/volumes/prune', { query: { filters } })
  }

  systemDf(): Promise<DiskUsage> {
    return this.json('GET', '/system/df')
  }
}

/** An image name in a path: its slashes stay (the engine's routes match names greedily). */
function imagePath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}

function pathStatFrom(res: Http1Response): ContainerPathStat {
  const text = Buffer.from(res.headers['x-docker-container-path-stat'] ?? '', 'base64').toString('utf8')
  try {
    return JSON.parse(text) as ContainerPathStat
  } catch {
    throw new TockerError(`the engine sent no valid X-Docker-Container-Path-Stat header: ${JSON.stringify(text.slice(0, 100))}`, { code: 'EBADSTAT' })
  }
}

export { demultiplex } from './framing.js'
export { errorFrom, EngineTransport, isEngineDown, readBody, type Query } from './transport.js'
