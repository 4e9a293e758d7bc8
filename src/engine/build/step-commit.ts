// How the classic builder turns a step into an image: a container made on the previous step's image
// (run for RUN, only created for metadata steps), its upper directory committed as the step's layer
// (or none), the child image recorded with the step's cache key, the container removed. And the
// build cache's probe: a child of the same parent made by the same step is reused.
import { sha256 } from '../../content/blobs.js'
import type { ContainerCreateBody } from '../../api/types.js'
import type { ContainerConfig, ImageConfig } from '../../image/types.js'
import { layerFromDir } from './layer-from-dir.js'
import { cacheKey, childImageConfig, nopComment } from './image-config.js'
import { shellOf } from './config-steps.js'
import type { BuildHost, BuildOutput, BuildRequest, StageState } from './types.js'

export class StepCommitter {
  constructor(
    readonly host: BuildHost,
    readonly req: BuildRequest,
    readonly out: BuildOutput,
    readonly platform: { os: string; architecture: string; variant?: string },
  ) {}

  get store() {
    return this.host.images.store
  }

  print(text: string): void {
    this.out.send({ stream: text })
  }

  /** A metadata step: a container made (not run) and committed, as Docker's classic builder does. */
  async commit(state: StageState, comment: string): Promise<void> {
    const probe = { ...structuredClone(state.runConfig), Cmd: nopComment(shellOf(state), comment) }
    if (this.probeCache(state, probe)) return
    const id = await this.createContainer(state, probe)
    await this.commitContainer(state, id, probe)
  }

  /** Docker's ImageProber: a child of this image made by the same step. */
  probeCache(state: StageState, probe: ContainerConfig, extra = ''): boolean {
    if (this.req.noCache) return false
    const hit = this.store.cachedChild(state.imageId, cacheKey(probe, extra))
    if (!hit) return false
    const img = this.store.get(hit)
    if (!img) return false
    this.print(' ---> Using cache\n')
    state.imageId = img.id
    state.image = img.config
    return true
  }

  async createContainer(state: StageState, config: ContainerConfig, overrides: Partial<ContainerCreateBody> = {}): Promise<string> {
    const body: ContainerCreateBody = {
      Image: state.imageId,
      User: config.User,
      Env: config.Env ?? [],
      Cmd: config.Cmd ?? [],
      Entrypoint: config.Entrypoint ?? null,
      WorkingDir: config.WorkingDir,
      Labels: config.Labels ?? {},
      ...overrides,
      HostConfig: { NetworkMode: networkMode(this.req.networkMode), LogConfig: { Type: 'json-file', Config: {} } },
    }
    const id = await this.host.createContainer(body)
    this.print(` ---> Running in ${short(id)}\n`)
    return id
  }

  /**
   * The container's upper directory becomes the step's layer (none when the step changed nothing),
   * the image config gets the step's history entry; the container goes.
   */
  async commitContainer(state: StageState, containerId: string, probe: ContainerConfig, extraKey = ''): Promise<void> {
    try {
      const diffID = await this.layerFrom(this.host.upperDir(containerId), true)
      this.commitImage(state, diffID, probe.Cmd?.join(' ') ?? '', cacheKey(probe, extraKey))
    } finally {
      await this.removeContainer(containerId)
    }
  }

  async removeContainer(id: string): Promise<void> {
    await this.host.removeContainer(id)
    this.print(`Removing intermediate container ${short(id)}\n`)
  }

  /** A directory (a container's upper, or a COPY step's new files) to a layer; undefined when empty. */
  layerFrom(dir: string, overlay: boolean): Promise<string | undefined> {
    return layerFromDir(this.store, dir, overlay)
  }

  commitImage(state: StageState, diffID: string | undefined, createdBy: string, buildKey: string): void {
    const config = childImageConfig({
      parent: state.image,
      config: state.runConfig,
      diffID,
      createdBy,
      author: state.maintainer || undefined,
      created: new Date().toISOString(),
      platform: this.platform,
    })
    const id = sha256(config)
    this.store.commitImage({ config, configDigest: id, parent: state.imageId, buildKey })
    state.imageId = id
    state.image = JSON.parse(config.toString('utf8')) as ImageConfig
  }
}

/** An image or container ID as the build's stream shows it (12 hex digits). */
export function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}

function networkMode(m: string | undefined): string {
  return m === 'none' || m === 'host' ? m : 'bridge'
}
