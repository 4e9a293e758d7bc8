// `docker commit`: a container's writable layer (its overlay upper directory) becomes a new image
// on top of the container's image, as Docker's daemon makes it (daemon/commit.go):
//   config   the container's config (Cmd, Env, … as it ran), the request's config over it, then the
//            --change instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
//            VOLUME, WORKDIR, HEALTHCHECK; anything else is refused);
//   history  one entry: created_by = the container's Cmd joined, comment (-m), author (-a);
//            empty_layer when the container changed nothing;
//   parent   the container's image (Docker's Parent).
// The container is not paused while its layer is read (tocker's engine has no pause yet).
import { TockerError } from '../errors.js'
import { sha256 } from '../content/blobs.js'
import { parsePortSpecs } from '../network/port-spec.js'
import { parseSignal } from '../sys/signals.js'
import type { ContainerConfig, ImageConfig } from '../image/types.js'
import type { ImageStore } from '../image/store.js'
import { parseDockerfile } from './build/dockerfile/parser.js'
import { parseInstruction } from './build/dockerfile/instructions.js'
import { childImageConfig } from './build/image-config.js'
import { layerFromDir } from './build/layer-from-dir.js'

export interface CommitRequest {
  repo?: string
  tag?: string
  comment?: string
  author?: string
  changes: string[]
  /** The request body: config fields that replace the container's. */
  config?: ContainerConfig
}

const COMMIT_FIELDS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell', 'ArgsEscaped'] as const

const VALID_CHANGES = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir'])

/** Apply `--change` lines (Dockerfile instructions) to a config. */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(config)
  for (const line of changes) {
    if (!line.trim()) continue
    const parsed = parseDockerfile(line)
    for (const node of parsed.nodes) {
      // Docker's words, with the instruction as its parser keeps it (lower case).
      if (!VALID_CHANGES.has(node.cmd)) throw new TockerError(`${node.cmd} is not a valid change command`, { status: 400, daemon: true })
      const cmd = parseInstruction(node)
      const shellForm = (l: string[], prepend: boolean) => (prepend ? [...(c.Shell ?? ['/bin/sh', '-c']), l.join(' ')] : l)
      switch (cmd.kind) {
        case 'cmd':
          c.Cmd = shellForm(cmd.cmdLine, cmd.prependShell)
          break
        case 'entrypoint':
          c.Entrypoint = shellForm(cmd.cmdLine, cmd.prependShell)
          break
        case 'env':
          for (const { key, value } of cmd.pairs) c.Env = [...(c.Env ?? []).filter((e) => e.split('=', 1)[0] !== key), `${key}=${value}`]
          break
        case 'expose':
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}) }
          for (const p of Object.keys(parsePortSpecs(cmd.ports).exposedPorts)) c.ExposedPorts[p] = {}
          break
        case 'label':
          c.Labels = { ...(c.Labels ?? {}) }
          for (const { key, value } of cmd.pairs) c.Labels[key] = value
          break
        case 'onbuild':
          c.OnBuild = [...(c.OnBuild ?? []), cmd.expression]
          break
        case 'stopsignal':
          parseSignal(cmd.signal)
          c.StopSignal = cmd.signal
          break
        case 'user':
          c.User = cmd.user
          break
        case 'volume':
          c.Volumes = { ...(c.Volumes ?? {}) }
          for (const v of cmd.volumes) c.Volumes[v] = {}
          break
        case 'workdir':
          c.WorkingDir = cmd.path.startsWith('/') ? cmd.path : `${c.WorkingDir || '/'}/${cmd.path}`.replace(/\/+/g, '/')
          break
        case 'healthcheck':
          c.Healthcheck = cmd.health
          break
        default:
          throw new TockerError(`${cmd.kind} is not a valid change command`, { status: 400, daemon: true })
      }
    }
  }
  return c
}

export interface CommitSource {
  upperDir: string
  imageId: string
  /** The container's config as it ran. */
  config: ContainerConfig
  platform: { os: string; architecture: string; variant?: string }
}

/** Make the image; returns its ID. Tags it repo:tag when a repo is given. */
export async function commitContainer(store: ImageStore, src: CommitSource, req: CommitRequest): Promise<string> {
  const parent = store.get(src.imageId)
  if (!parent) throw new TockerError(`the container's image ${src.imageId} is no longer in the store`, { status: 409, daemon: true })
  let config: ContainerConfig = {}
  for (const k of COMMIT_FIELDS) if (src.config[k] !== undefined) (config as Record<string, unknown>)[k] = src.config[k]
  for (const k of COMMIT_FIELDS) if (req.config?.[k] !== undefined && req.config[k] !== null) (config as Record<string, unknown>)[k] = req.config[k]
  config = applyChanges(config, req.changes)
  const diffID = await layerFromDir(store, src.upperDir, true)
  const bytes = childImageConfig({
    parent: parent.config as ImageConfig,
    config,
    diffID,
    createdBy: (src.config.Cmd ?? []).join(' '),
    author: req.author || undefined,
    comment: req.comment || undefined,
    created: new Date().toISOString(),
    platform: src.platform,
  })
  const id = sha256(bytes)
  const tag = req.repo ? `${req.repo}:${req.tag || 'latest'}` : undefined
  store.commitImage({ config: bytes, configDigest: id, parent: src.imageId, tag })
  return id
}
