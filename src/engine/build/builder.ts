// `tocker build` (POST /build): Docker's classic builder, step by step, with tocker's own runtime.
//
//   Step N/M : INSTRUCTION …
//    ---> Running in <container>      a container of this step (RUN runs in it; metadata steps only
//                                      create it, as Docker does, and commit its empty diff)
//   <what RUN printed>
//   Removing intermediate container <container>
//    ---> <image>                      every step makes an image: the previous one plus this step
//                                      (a layer made from the container's upper directory, or
//                                      none: `empty_layer`), its parent the previous step's image
//
// Those intermediate images are the build cache: a step is reused (" ---> Using cache") when an
// image made on the same parent by the same step exists — same instruction and resulting config,
// and for COPY/ADD the same content hash of the copied files (ImageStore.cachedChild). Like Docker
// they are kept, hidden from `images` unless -a, and go with the image at `rmi`.
//
// Multi-stage: only the target stage (--target, else the last) and the stages it needs (its base,
// COPY --from) are built. Nothing is left behind: every container is removed, failed or not, the
// context and scratch space go with the build, and a layer that no image took is collected.
import { mkdirSync, rmSync } from 'node:fs'
import { join, posix } from 'node:path'
import { sha256 } from '../../content/blobs.js'
import { isUserFacing, TockerError } from '../../errors.js'
import type { ContainerCreateBody } from '../../api/types.js'
import { layerFromDir } from './layer-from-dir.js'
import { LayerStack } from '../../image/diff/layer-stack.js'
import { familiarString, fullString, parseReference, withDefaultTag } from '../../image/reference.js'
import { hostPlatform, parsePlatform } from '../../image/registry/platform.js'
import type { ImageRecord } from '../../image/store.js'
import type { ContainerConfig, ImageConfig } from '../../image/types.js'
import { cleanPath } from '../../dockerignore.js'
import { BuildArgs } from './args.js'
import { receiveContext } from './context.js'
import { performCopy, prepareCopy, type CopySpec } from './copy.js'
import { parseInstruction, parseInstructions, stepText, type Dockerfile, type Instruction, type Stage } from './dockerfile/instructions.js'
import { parseDockerfile } from './dockerfile/parser.js'
import { envMap, LexError, Lexer } from './dockerfile/lexer.js'
import { cacheKey, childImageConfig, nopComment, nopCommentString } from './image-config.js'
import { mkdirInUpper, neededStages } from './stages.js'
import { commandLine, configStep, shellOf } from './config-steps.js'
import type { BuildHost, BuildOutput, BuildRequest, StageState } from './types.js'

// The builder's public surface, as before the split into types.ts and config-steps.ts.
export type { BuildHost, BuildOutput, BuildRequest, StepOutput } from './types.js'

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

interface StageResult {
  name?: string
  imageId: string
}

export class Builder {
  #lexer: Lexer
  #step = 0
  #total = 0
  readonly #results: StageResult[] = []
  readonly #abort = new AbortController()
  #work = ''
  #context!: LayerStack
  #df!: Dockerfile
  readonly #args: BuildArgs
  readonly #platform: { os: string; architecture: string; variant?: string }

  constructor(
    readonly host: BuildHost,
    readonly req: BuildRequest,
    readonly out: BuildOutput,
  ) {
    this.#lexer = new Lexer()
    this.#args = BuildArgs.fromRecord(req.buildArgs)
    this.#platform = req.platform ? parsePlatform(req.platform) : hostPlatform()
  }

  /** The client went away: stop at the next step, end a running step's container. */
  cancel(): void {
    this.#abort.abort(new TockerError('Build cancelled', { code: 'ECANCELED', status: 499 }))
  }

  get #store() {
    return this.host.images.store
  }

  #print(text: string): void {
    this.out.send({ stream: text })
  }

  /** Runs the build; resolves with the image ID (the stream carries everything else). */
  async run(): Promise<string> {
    this.#work = this.#store.session().mkdtemp('build-')
    try {
      const ctx = await receiveContext(this.req.context, join(this.#work, 'context'), this.req.dockerfile || 'Dockerfile')
      this.#context = new LayerStack([ctx.dir], true)
      this.#df = parseInstructions(parseDockerfile(ctx.dockerfile))
      if (this.#df.stages.length === 0) throw new TockerError('No image was generated. Is your Dockerfile empty?', { code: 'EBUILD', status: 400, daemon: true })
      for (const w of this.#df.warnings) this.out.send({ stream: `\x1b[91m${w}\n\x1b[0m` })
      this.#lexer = new Lexer(this.#df.escapeToken)
      return await this.#build()
    } finally {
      rmSync(this.#work, { recursive: true, force: true })
    }
  }

  async #build(): Promise<string> {
    const df = this.#df
    const metaEnv = () => envMap(this.#args.metaEnv())
    // --target: that stage, by name (stages after it are not built).
    let last = df.stages.length - 1
    if (this.req.target) {
      const t = this.req.target.toLowerCase()
      last = df.stages.findIndex((s) => s.name === t)
      if (last < 0) throw new TockerError(`failed to reach build target ${this.req.target} in Dockerfile`, { code: 'EBUILD', status: 400, daemon: true })
    }
    // --label: LABEL steps at the end of the target stage, sorted by key (as Docker adds them).
    const target = df.stages[last]
    for (const key of Object.keys(this.req.labels).sort()) {
      const text = `LABEL ${key}=${this.req.labels[key]}`
      const node = { ...target.node, name: 'LABEL', cmd: 'label', original: text, flags: [], args: [key, this.req.labels[key]], json: false }
      target.commands.push({ kind: 'label', node, pairs: [{ key, value: this.req.labels[key] }], literal: true } as Instruction)
    }
    // The meta args first (they are steps too), then the stages the target needs.
    const needed = neededStages(df.stages, last, (stage) => {
      try {
        return this.#lexer.processWord(stage.baseName, metaEnv())
      } catch {
        return stage.baseName
      }
    })
    this.#total = df.metaArgs.length + needed.reduce((n, i) => n + 1 + df.stages[i].commands.length, 0)
    for (const meta of df.metaArgs) {
      this.#stepLine(meta.node)
      for (const a of meta.args) {
        const value = a.value === undefined ? undefined : this.#expand(a.value, metaEnv())
        this.#args.addMetaArg(a.key, value)
      }
    }
    for (let i = 0; i <= last; i++) {
      if (!needed.includes(i)) continue
      await this.#buildStage(df.stages[i])
    }
    const id = this.#results[this.#results.length - 1].imageId
    const unused = this.#args.unconsumed()
    if (unused.length) this.#print(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`)
    this.#print(`Successfully built ${short(id)}\n`)
    for (const tag of this.req.tags) {
      this.host.images.tag(id, tag)
      this.#print(`Successfully tagged ${familiarString(parseReference(tag))}\n`)
    }
    return id
  }

  #stepLine(node: { original: string }): void {
    this.#step++
    this.#print(`Step ${this.#step}/${this.#total} : ${stepText(node)}\n`)
  }

  #expand(word: string, env: Map<string, string>): string {
    try {
      return this.#lexer.processWord(word, env)
    } catch (err) {
      if (err instanceof LexError) throw new TockerError(err.message, { code: 'EBUILD', status: 400 })
      throw err
    }
  }

  // ---- stages ----

  async #buildStage(stage: Stage): Promise<void> {
    this.#checkCancelled()
    this.#stepLine(stage.node)
    const state = await this.#initializeStage(stage)
    this.#print(` ---> ${short(state.imageId === this.#emptyImage ? '' : state.imageId)}\n`)
    for (const cmd of stage.commands) {
      this.#checkCancelled()
      this.#stepLine(cmd.node)
      await this.#dispatch(state, cmd)
      this.#print(` ---> ${short(state.imageId)}\n`)
    }
    this.out.send({ aux: { ID: state.imageId } })
    this.#results.push({ name: stage.name, imageId: state.imageId })
  }

  #emptyImage = ''

  async #initializeStage(stage: Stage): Promise<StageState> {
    const base = this.#expand(stage.baseName, envMap(this.#args.metaEnv()))
    if (base === '') throw new TockerError(`base name (${stage.baseName}) should not be blank`, { code: 'EBUILD', status: 400 })
    let image: ImageRecord | undefined
    const stageRef = this.#stageByName(base)
    if (stageRef) image = this.#store.get(stageRef.imageId)
    else if (base !== 'scratch') image = await this.#imageFor(base, stage.platform ? this.#expand(stage.platform, envMap(this.#args.metaEnv())) : undefined)
    const imageId = image?.id ?? this.#scratchImage()
    const runConfig: ContainerConfig = structuredClone(image?.config.config ?? {})
    const env = runConfig.Env ?? []
    if (!env.some((e) => e.startsWith('PATH='))) runConfig.Env = [...env, DEFAULT_PATH]
    const state: StageState = { imageId, image: image?.config, runConfig, maintainer: '', cmdSet: false, args: this.#args.forStage(), stageName: stage.name }
    // ONBUILD triggers of the base run first, and are not inherited further.
    const triggers = runConfig.OnBuild ?? []
    if (triggers.length) {
      runConfig.OnBuild = null
      this.#print(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`)
      for (const t of triggers) {
        const nodes = parseDockerfile(t).nodes
        if (nodes.length !== 1) throw new TockerError('onbuild trigger should be a single expression', { code: 'EBUILD', status: 400 })
        await this.#dispatch(state, parseInstruction(nodes[0]))
      }
    }
    return state
  }

  #stageByName(name: string): StageResult | undefined {
    const lower = name.toLowerCase()
    for (let j = this.#results.length - 1; j >= 0; j--) if (this.#results[j].name === lower) return this.#results[j]
    return undefined
  }

  /** A stage for COPY --from: a name or an index of an earlier stage, else an image. */
  async #fromSource(from: string): Promise<{ layers: string[] }> {
    if (/^\d+$/.test(from)) {
      const idx = Number(from)
      const built = this.#builtStageAt(idx)
      if (!built) throw new TockerError(`invalid from flag value ${from}: index out of bounds`, { code: 'EBUILD', status: 400 })
      return { layers: this.#store.layerDirs(built.imageId) }
    }
    const st = this.#stageByName(from)
    if (st) return { layers: this.#store.layerDirs(st.imageId) }
    const img = await this.#imageFor(from, undefined)
    return { layers: this.#store.layerDirs(img.id) }
  }

  #builtStageAt(index: number): StageResult | undefined {
    // Results only hold the stages that were built: map back through the Dockerfile's order.
    const stage = this.#df.stages[index]
    if (!stage) return undefined
    const nth = this.#df.stages.slice(0, index + 1).filter((s) => this.#results.some((r) => r.name === s.name)).length
    return stage.name ? this.#stageByName(stage.name) : this.#results[nth - 1]
  }

  /** A FROM (or --from) image: the store's, or pulled (always with --pull). */
  async #imageFor(name: string, platform: string | undefined): Promise<ImageRecord> {
    let ref
    try {
      ref = withDefaultTag(parseReference(name))
    } catch (err) {
      throw new TockerError((err as Error).message, { code: 'EBUILD', status: 400 })
    }
    const full = ref.digest ? name : fullString(ref)
    let img = this.req.pull ? undefined : this.host.images.store.resolve(full)
    if (!img) {
      const domain = ref.domain
      const auth = this.req.authConfigs[domain] ?? this.req.authConfigs[`https://${domain}`] ?? (domain === 'docker.io' ? this.req.authConfigs['https://index.docker.io/v1/'] : undefined)
      await this.host.pull(full, platform ?? this.req.platform, auth, (m) => this.out.send(m), this.#abort.signal)
      img = this.host.images.store.resolve(full)
      if (!img) throw new TockerError(`No such image: ${name}`, { code: 'ENOSUCHIMAGE', status: 404 })
    }
    return img
  }

  /** The image of FROM scratch: no layers, no history (the first step's parent). */
  #scratchImage(): string {
    if (this.#emptyImage) return this.#emptyImage
    const p = this.#platform
    const config = Buffer.from(JSON.stringify({ architecture: p.architecture, config: {}, os: p.os, rootfs: { type: 'layers', diff_ids: [] }, ...(p.variant ? { variant: p.variant } : {}) }))
    const digest = sha256(config)
    this.#store.commitImage({ config, configDigest: digest })
    this.#emptyImage = digest
    return digest
  }

  #checkCancelled(): void {
    if (this.#abort.signal.aborted) throw this.#abort.signal.reason
  }

  // ---- one instruction ----

  /** The environment variable substitution sees: the config's Env, then the stage's build args. */
  #env(state: StageState): Map<string, string> {
    const env = state.runConfig.Env ?? []
    return envMap([...env, ...state.args.filterAllowed(env)])
  }

  async #dispatch(state: StageState, cmd: Instruction): Promise<void> {
    const env = this.#env(state)
    const x = (w: string) => this.#expand(w, env)
    switch (cmd.kind) {
      case 'workdir':
        return this.#workdir(state, x(cmd.path))
      case 'run':
        return this.#runStep(state, cmd)
      case 'copy':
      case 'add':
        return this.#copyStep(state, cmd, x)
    }
    const comment = configStep(state, cmd, { expand: x, words: (p) => this.#lexer.processWords(p, env), print: (t) => this.#print(t) })
    return this.#commit(state, comment)
  }

  /** A metadata step: a container made (not run) and committed, as Docker's classic builder does. */
  async #commit(state: StageState, comment: string): Promise<void> {
    const probe = { ...structuredClone(state.runConfig), Cmd: nopComment(shellOf(state), comment) }
    if (this.#probeCache(state, probe)) return
    const id = await this.#createContainer(state, probe)
    await this.#commitContainer(state, id, probe)
  }

  /** Docker's ImageProber: a child of this image made by the same step. */
  #probeCache(state: StageState, probe: ContainerConfig, extra = ''): boolean {
    if (this.req.noCache) return false
    const hit = this.#store.cachedChild(state.imageId, cacheKey(probe, extra))
    if (!hit) return false
    const img = this.#store.get(hit)
    if (!img) return false
    this.#print(' ---> Using cache\n')
    state.imageId = img.id
    state.image = img.config
    return true
  }

  async #createContainer(state: StageState, config: ContainerConfig, overrides: Partial<ContainerCreateBody> = {}): Promise<string> {
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
    this.#print(` ---> Running in ${short(id)}\n`)
    return id
  }

  /**
   * The container's upper directory becomes the step's layer (none when the step changed nothing),
   * the image config gets the step's history entry; the container goes.
   */
  async #commitContainer(state: StageState, containerId: string, probe: ContainerConfig, extraKey = ''): Promise<void> {
    try {
      const diffID = await this.#layerFrom(this.host.upperDir(containerId), true)
      this.#commitImage(state, diffID, probe.Cmd?.join(' ') ?? '', cacheKey(probe, extraKey))
    } finally {
      await this.#removeContainer(containerId)
    }
  }

  async #removeContainer(id: string): Promise<void> {
    await this.host.removeContainer(id)
    this.#print(`Removing intermediate container ${short(id)}\n`)
  }

  /** A directory (a container's upper, or a COPY step's new files) to a layer; undefined when empty. */
  #layerFrom(dir: string, overlay: boolean): Promise<string | undefined> {
    return layerFromDir(this.#store, dir, overlay)
  }

  #commitImage(state: StageState, diffID: string | undefined, createdBy: string, buildKey: string): void {
    const config = childImageConfig({
      parent: state.image,
      config: state.runConfig,
      diffID,
      createdBy,
      author: state.maintainer || undefined,
      created: new Date().toISOString(),
      platform: this.#platform,
    })
    const id = sha256(config)
    this.#store.commitImage({ config, configDigest: id, parent: state.imageId, buildKey })
    state.imageId = id
    state.image = JSON.parse(config.toString('utf8')) as ImageConfig
  }

  // ---- WORKDIR ----

  async #workdir(state: StageState, requested: string): Promise<void> {
    const rc = state.runConfig
    rc.WorkingDir = requested.startsWith('/') ? cleanPath(requested) : cleanPath(posix.join('/', rc.WorkingDir || '/', requested))
    const probe = { ...structuredClone(rc), Cmd: nopCommentString(shellOf(state), `WORKDIR ${rc.WorkingDir}`) }
    if (this.#probeCache(state, probe)) return
    const id = await this.#createContainer(state, probe)
    // Docker makes the directory now (in the container's writable layer), owned by root, 0755.
    mkdirInUpper(new LayerStack(this.#store.layerDirs(state.imageId)), this.host.upperDir(id), rc.WorkingDir)
    await this.#commitContainer(state, id, probe)
  }

  // ---- RUN ----

  async #runStep(state: StageState, cmd: Extract<Instruction, { kind: 'run' | 'cmd' | 'entrypoint' }>): Promise<void> {
    if (cmd.flags.length) {
      throw new TockerError(`the --${cmd.flags[0]} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`, { code: 'EBUILD', status: 400 })
    }
    const rc = state.runConfig
    const cmdLine = commandLine(state, cmd.cmdLine, cmd.prependShell) ?? []
    const buildArgs = state.args.filterAllowed(rc.Env ?? [])
    let saveCmd = cmdLine
    if (buildArgs.length) {
      const shown = buildArgs.filter((e) => state.args.isReferencedOrNotBuiltin(e.split('=', 1)[0])).sort()
      saveCmd = [`|${shown.length}`, ...shown, ...cmdLine]
    }
    const probe: ContainerConfig = { ...structuredClone(rc), Cmd: saveCmd, ...(saveCmd.length ? { Entrypoint: null } : {}) }
    if (this.#probeCache(state, probe)) return
    const id = await this.#createContainer(state, probe, {
      Cmd: cmdLine,
      Env: [...(rc.Env ?? []), ...buildArgs],
      Entrypoint: [],
    })
    let code: number
    try {
      code = await this.host.runContainer(
        id,
        {
          // Docker's classic builder shows a step's stderr in red.
          write: (stream, data) => {
            const text = data.toString('utf8')
            this.out.send({ stream: stream === 'stderr' ? `\x1b[91m${text}\x1b[0m` : text })
          },
          ready: () => this.out.ready(),
        },
        this.#abort.signal,
      )
    } catch (err) {
      await this.#removeContainer(id).catch(() => {})
      throw err
    }
    if (code !== 0) {
      await this.#removeContainer(id).catch(() => {})
      throw new TockerError(`The command '${cmdLine.join(' ')}' returned a non-zero code: ${code}`, { code: 'EBUILDRUN', status: 500, exitCode: code })
    }
    await this.#commitContainer(state, id, probe)
  }

  // ---- COPY / ADD ----

  async #copyStep(state: StageState, cmd: Extract<Instruction, { kind: 'copy' | 'add' }>, x: (w: string) => string): Promise<void> {
    const name = cmd.kind === 'copy' ? 'COPY' : 'ADD'
    if (cmd.from !== undefined && /\$/.test(cmd.from)) throw new TockerError(`invalid from flag value ${cmd.from}: variable expansion is not supported for --from`, { code: 'EBUILD', status: 400 })
    const from = cmd.from ? await this.#fromSource(cmd.from) : undefined
    const scratch = join(this.#work, `step-${this.#step}`)
    mkdirSync(scratch, { recursive: true })
    const spec: CopySpec = {
      cmd: name,
      sources: cmd.sources.map(x),
      dest: x(cmd.dest),
      workingDir: state.runConfig.WorkingDir ?? '/',
      chown: cmd.chown ? x(cmd.chown) : undefined,
      chmod: cmd.chmod ? x(cmd.chmod) : undefined,
      source: from ? new LayerStack(from.layers) : this.#context,
      fromImage: from !== undefined,
      image: new LayerStack(this.#store.layerDirs(state.imageId)),
      scratch,
    }
    const prepared = await prepareCopy(spec)
    const chown = spec.chown ? `--chown=${spec.chown} ` : ''
    const probe = { ...structuredClone(state.runConfig), Cmd: nopCommentString(shellOf(state), `${name} ${chown}${prepared.hash} in ${spec.dest} `) }
    if (this.#probeCache(state, probe)) return
    const target = join(scratch, 'layer')
    mkdirSync(target)
    await performCopy(spec, prepared, target)
    const diffID = await this.#layerFrom(target, false)
    this.#commitImage(state, diffID, probe.Cmd!.join(' '), cacheKey(probe))
    rmSync(scratch, { recursive: true, force: true })
  }
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}

function networkMode(m: string | undefined): string {
  return m === 'none' || m === 'host' ? m : 'bridge'
}

/** Errors for the stream: user-facing ones as they are, others worded. */
export function buildErrorMessage(err: unknown): { message: string; code?: number } {
  if (isUserFacing(err)) return { message: err.message, code: err.code === 'EBUILDRUN' ? err.exitCode : undefined }
  return { message: (err as Error)?.message ?? String(err) }
}
