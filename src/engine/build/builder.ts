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
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { isUserFacing, TockerError } from '../../errors.js'
import { LayerStack } from '../../image/diff/layer-stack.js'
import { familiarString, parseReference } from '../../image/reference.js'
import { hostPlatform, parsePlatform } from '../../image/registry/platform.js'
import type { ImageRecord } from '../../image/store.js'
import type { ContainerConfig } from '../../image/types.js'
import { BuildArgs } from './args.js'
import { receiveContext } from './context.js'
import { parseInstruction, parseInstructions, stepText, type Dockerfile, type Instruction, type Stage } from './dockerfile/instructions.js'
import { parseDockerfile } from './dockerfile/parser.js'
import { envMap, LexError, Lexer } from './dockerfile/lexer.js'
import { neededStages } from './stages.js'
import { configStep } from './config-steps.js'
import { imageFor, scratchImage } from './base-image.js'
import { short, StepCommitter } from './step-commit.js'
import { copyStep, runStep, workdirStep } from './steps.js'
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
  readonly #steps: StepCommitter

  constructor(
    readonly host: BuildHost,
    readonly req: BuildRequest,
    readonly out: BuildOutput,
  ) {
    this.#lexer = new Lexer()
    this.#args = BuildArgs.fromRecord(req.buildArgs)
    this.#platform = req.platform ? parsePlatform(req.platform) : hostPlatform()
    this.#steps = new StepCommitter(host, req, out, this.#platform)
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
      if (this.#df.stages.length === 0) throw new TockerError('No image was generated. Is your Dockerfile empty?', { code: 'EBUILD', daemon: true })
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
      if (last < 0) throw new TockerError(`failed to reach build target ${this.req.target} in Dockerfile`, { code: 'EBUILD', daemon: true })
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
      if (err instanceof LexError) throw new TockerError(err.message, { code: 'EBUILD' })
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
    if (base === '') throw new TockerError(`base name (${stage.baseName}) should not be blank`, { code: 'EBUILD' })
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
        if (nodes.length !== 1) throw new TockerError('onbuild trigger should be a single expression', { code: 'EBUILD' })
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
      if (!built) throw new TockerError(`invalid from flag value ${from}: index out of bounds`, { code: 'EBUILD' })
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
  #imageFor(name: string, platform: string | undefined): Promise<ImageRecord> {
    return imageFor(this.host, this.req, this.out, this.#abort.signal, name, platform)
  }

  /** The image of FROM scratch: no layers, no history (the first step's parent). */
  #scratchImage(): string {
    if (this.#emptyImage) return this.#emptyImage
    this.#emptyImage = scratchImage(this.host, this.#platform)
    return this.#emptyImage
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
        return workdirStep(this.#steps, state, x(cmd.path))
      case 'run':
        return runStep(this.#steps, state, cmd, this.#abort.signal)
      case 'copy':
      case 'add':
        return this.#copyStep(state, cmd, x)
    }
    const comment = configStep(state, cmd, { expand: x, words: (p) => this.#lexer.processWords(p, env), print: (t) => this.#print(t) })
    return this.#steps.commit(state, comment)
  }

  /** COPY/ADD: --from resolved to a stage's or image's layers; the files go through copyStep. */
  async #copyStep(state: StageState, cmd: Extract<Instruction, { kind: 'copy' | 'add' }>, x: (w: string) => string): Promise<void> {
    if (cmd.from !== undefined && /\$/.test(cmd.from)) throw new TockerError(`invalid from flag value ${cmd.from}: variable expansion is not supported for --from`, { code: 'EBUILD' })
    const from = cmd.from ? await this.#fromSource(cmd.from) : undefined
    return copyStep(this.#steps, state, cmd, x, { from, context: this.#context, scratch: join(this.#work, `step-${this.#step}`) })
  }
}
/** Errors for the stream: user-facing ones as they are, others worded. */
export function buildErrorMessage(err: unknown): { message: string; code?: number } {
  if (isUserFacing(err)) return { message: err.message, code: err.code === 'EBUILDRUN' ? err.exitCode : undefined }
  return { message: (err as Error)?.message ?? String(err) }
}
