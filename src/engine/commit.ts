// `docker commit`: a container's writable layer (its overlay upper directory) becomes a new image
// on top of the container's image, as Docker's daemon makes it (daemon/commit.go):
//   config   the container's config (Cmd, Env, … as it ran), the request's config over it, then the
//            --change instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
//            VOLUME, WORKDIR, HEALTHCHECK; anything else is refused);
//   history  one entry: created_by = the container's Cmd joined, comment (-m), author (-a);
//            empty_layer when the container changed nothing;
//   parent   the container's image (Docker's Parent).
// A running container is frozen while its layer is read (--pause, the default: pause.ts).
import { TockerError } from '../errors.js'
import { sha256 } from '../content/blobs.js'
import type { ContainerConfig, ImageConfig } from '../image/types.js'
import type { ImageStore } from '../image/store.js'
import { parseDockerfile } from './build/dockerfile/parser.js'
import { parseInstruction } from './build/dockerfile/instructions.js'
import { childImageConfig } from './build/image-config.js'
import { configStep } from './build/config-steps.js'
import { BuildArgs } from './build/args.js'
import { envMap, LexError, Lexer } from './build/dockerfile/lexer.js'
import type { StageState } from './build/types.js'
import { layerFromDir } from './build/layer-from-dir.js'

export interface CommitRequest {
  repo?: string
  tag?: string
  comment?: string
  author?: string
  changes: string[]
  /** Freeze the container while its layer is read (Docker's default true; see pause.ts). */
  pause?: boolean
  /** The request body: config fields that replace the container's. */
  config?: ContainerConfig
}

const COMMIT_FIELDS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell', 'ArgsEscaped'] as const

const VALID_CHANGES = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir'])

/**
 * Apply `--change` lines (Dockerfile instructions) to a config, as Docker's BuildFromConfig does:
 * each instruction runs as a build step would (config-steps.ts), its words expanded with the
 * config's environment at that point ($VAR, ${VAR:-default}; quotes removed): `-c 'ENV B=$A'` sees
 * the container's A. CMD, ENTRYPOINT, HEALTHCHECK and ONBUILD are not expanded (as in a Dockerfile).
 */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const state: StageState = { imageId: '', image: undefined, runConfig: structuredClone(config), maintainer: '', cmdSet: false, args: new BuildArgs() }
  const lexer = new Lexer()
  for (const line of changes) {
    if (!line.trim()) continue
    const parsed = parseDockerfile(line)
    for (const node of parsed.nodes) {
      // Docker's words, with the instruction as its parser keeps it (lower case).
      if (!VALID_CHANGES.has(node.cmd)) throw new TockerError(`${node.cmd} is not a valid change command`, { code: 'EINVALID', daemon: true })
      const cmd = parseInstruction(node)
      const env = envMap(state.runConfig.Env ?? [])
      const expand = (w: string) => {
        try {
          return lexer.processWord(w, env)
        } catch (err) {
          if (err instanceof LexError) throw new TockerError(err.message, { code: 'EINVALID', daemon: true })
          throw err
        }
      }
      if (cmd.kind === 'workdir') {
        const path = expand(cmd.path)
        const c = state.runConfig
        c.WorkingDir = path.startsWith('/') ? path : `${c.WorkingDir || '/'}/${path}`.replace(/\/+/g, '/')
        continue
      }
      try {
        configStep(state, cmd, { expand, words: (w) => lexer.processWords(w, env), print: () => {} })
      } catch (err) {
        // A build step's error, as an API answer to the commit.
        if (err instanceof TockerError && !err.daemon) throw new TockerError(err.message, { code: 'EINVALID', daemon: true, cause: err })
        throw err
      }
    }
  }
  return state.runConfig
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
  if (!parent) throw new TockerError(`the container's image ${src.imageId} is no longer in the store`, { code: 'ECONFLICT', daemon: true })
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
