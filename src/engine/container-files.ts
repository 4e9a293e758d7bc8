// A container's files, as the API reaches them: what it changed (GET /containers/{id}/changes),
// its writable layer committed as an image (POST /commit), `docker cp` both ways and `docker
// export` (archive/service.ts). The engine builds one ContainerFiles and exposes it as `files`.
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { parseReference } from '../image/reference.js'
import type { ContainerConfig } from '../image/types.js'
import type { ContainerRoot, RootWanted } from '../runtime/container-root.js'
import { archiveContainerPath, exportContainer, extractToContainer, statContainerPath, type ArchiveSource, type ArchiveTarget, type ContainerPathStat } from './archive/service.js'
import type { RuntimeBackend } from './backend.js'
import { containerChanges, type Change } from './changes.js'
import { commitContainer, type CommitRequest } from './commit.js'
import type { ContainerTable } from './container-table.js'
import type { ContainerEvents } from './events.js'
import type { ImageService } from './images/service.js'
import type { KeyedMutex } from './mutex.js'
import { whileFrozen } from './pause.js'
import { containerDir, INIT_LAYER } from './state.js'

export interface ContainerFilesDeps {
  table: ContainerTable
  mutex: KeyedMutex
  runtime: RuntimeBackend
  images: ImageService
  events: ContainerEvents
}

export class ContainerFiles {
  constructor(readonly deps: ContainerFilesDeps) {}

  /** GET /containers/{id}/changes: what the container changed (changes.ts). */
  async changes(ref: string): Promise<Change[]> {
    const { table } = this.deps
    const rec = table.find(ref)
    const dir = containerDir(table.dir, rec.Id)
    return containerChanges(join(dir, 'upper'), [join(dir, INIT_LAYER), ...rec.LowerDirs])
  }

  /** POST /commit: the container's writable layer as a new image (commit.ts). No rmi meanwhile. */
  async commit(ref: string, req: CommitRequest): Promise<string> {
    const { table, images, runtime } = this.deps
    const rec = table.find(ref)
    if (req.repo) {
      try {
        parseReference(`${req.repo}:${req.tag || 'latest'}`)
      } catch (err) {
        throw new TockerError((err as Error).message, { code: 'EINVALID', daemon: true })
      }
    }
    const platform = { os: 'linux', architecture: images.store.get(rec.ImageID)?.config.architecture ?? 'amd64' }
    // --pause (Docker's default): frozen while its layer is read, when it runs (pause.ts).
    const pid = rec.State.Running && runtime.isRunning(rec.Init) ? rec.Init!.pid : undefined
    const id = await images.lock.read(() =>
      whileFrozen(pid, req.pause !== false, () => commitContainer(images.store, { upperDir: join(containerDir(table.dir, rec.Id), 'upper'), imageId: rec.ImageID, config: rec.Config as ContainerConfig, platform }, req))
    )
    this.deps.events.bus.emit('container', 'commit', rec.Id, { name: rec.Name, ...(req.comment ? { comment: req.comment } : {}) })
    return id
  }

  // ---- cp / export (archive/service.ts) ----

  #archiveTarget(ref: string): ArchiveTarget {
    const { table, runtime } = this.deps
    const rec = table.find(ref)
    const openRoot = (want: RootWanted): Promise<ContainerRoot> => {
      if (!runtime.openRoot) throw new TockerError("this engine's runtime cannot open a container's files", { code: 'ENOTIMPLEMENTED', daemon: true })
      return runtime.openRoot(rec, want)
    }
    return { rec, ref, dir: containerDir(table.dir, rec.Id), openRoot }
  }

  /** HEAD /containers/{id}/archive */
  archiveStat(ref: string, path: string): Promise<ContainerPathStat> {
    return statContainerPath(this.#archiveTarget(ref), path)
  }

  /** GET /containers/{id}/archive */
  async archiveGet(ref: string, path: string): Promise<ArchiveSource> {
    const t = this.#archiveTarget(ref)
    const src = await archiveContainerPath(t, path)
    this.deps.events.container(t.rec, 'archive-path')
    return src
  }

  /** PUT /containers/{id}/archive: under the container's lock, as Docker's (no start or rm meanwhile). */
  archivePut(ref: string, path: string, body: AsyncIterable<Buffer>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const t = this.#archiveTarget(ref)
    return this.deps.mutex.run(t.rec.Id, async () => {
      await extractToContainer(t, path, body, opts)
      this.deps.events.container(t.rec, 'extract-to-dir')
    })
  }

  /** GET /containers/{id}/export */
  async export(ref: string): Promise<AsyncGenerator<Buffer>> {
    const t = this.#archiveTarget(ref)
    const tar = await exportContainer(t)
    this.deps.events.container(t.rec, 'export')
    return tar
  }
}
