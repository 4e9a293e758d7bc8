// The steps that change the filesystem: WORKDIR (the directory made in the step's container), RUN
// (a command run in it) and COPY/ADD (files put into a new layer without a container). Each goes
// through the StepCommitter, which probes the cache first.
import { mkdirSync, rmSync } from 'node:fs'
import { join, posix } from 'node:path'
import { TockerError } from '../../errors.js'
import { LayerStack } from '../../image/diff/layer-stack.js'
import type { ContainerConfig } from '../../image/types.js'
import { cleanPath } from '../../dockerignore.js'
import { performCopy, prepareCopy, type CopySpec } from './copy.js'
import type { Instruction } from './dockerfile/instructions.js'
import { cacheKey, nopCommentString } from './image-config.js'
import { mkdirInUpper } from './stages.js'
import { commandLine, shellOf } from './config-steps.js'
import type { StepCommitter } from './step-commit.js'
import type { StageState } from './types.js'

export async function workdirStep(c: StepCommitter, state: StageState, requested: string): Promise<void> {
  const rc = state.runConfig
  rc.WorkingDir = requested.startsWith('/') ? cleanPath(requested) : cleanPath(posix.join('/', rc.WorkingDir || '/', requested))
  const probe = { ...structuredClone(rc), Cmd: nopCommentString(shellOf(state), `WORKDIR ${rc.WorkingDir}`) }
  if (c.probeCache(state, probe)) return
  const id = await c.createContainer(state, probe)
  // Docker makes the directory now (in the container's writable layer), owned by root, 0755.
  mkdirInUpper(new LayerStack(c.store.layerDirs(state.imageId)), c.host.upperDir(id), rc.WorkingDir)
  await c.commitContainer(state, id, probe)
}

export async function runStep(c: StepCommitter, state: StageState, cmd: Extract<Instruction, { kind: 'run' | 'cmd' | 'entrypoint' }>, signal: AbortSignal): Promise<void> {
  if (cmd.flags.length) {
    throw new TockerError(`the --${cmd.flags[0]} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`, { code: 'EBUILD' })
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
  if (c.probeCache(state, probe)) return
  const id = await c.createContainer(state, probe, {
    Cmd: cmdLine,
    Env: [...(rc.Env ?? []), ...buildArgs],
    Entrypoint: [],
  })
  let code: number
  try {
    code = await c.host.runContainer(
      id,
      {
        // Docker's classic builder shows a step's stderr in red.
        write: (stream, data) => {
          const text = data.toString('utf8')
          c.out.send({ stream: stream === 'stderr' ? `\x1b[91m${text}\x1b[0m` : text })
        },
        ready: () => c.out.ready(),
      },
      signal,
    )
  } catch (err) {
    await c.removeContainer(id).catch(() => {})
    throw err
  }
  if (code !== 0) {
    await c.removeContainer(id).catch(() => {})
    throw new TockerError(`The command '${cmdLine.join(' ')}' returned a non-zero code: ${code}`, { code: 'EBUILDRUN', exitCode: code })
  }
  await c.commitContainer(state, id, probe)
}

/** Where a COPY/ADD reads: another stage's or image's layers (--from), else the build context. */
export interface CopySource {
  from: { layers: string[] } | undefined
  context: LayerStack
  /** The step's scratch directory (made here, removed when the layer is made). */
  scratch: string
}

export async function copyStep(c: StepCommitter, state: StageState, cmd: Extract<Instruction, { kind: 'copy' | 'add' }>, x: (w: string) => string, src: CopySource): Promise<void> {
  const name = cmd.kind === 'copy' ? 'COPY' : 'ADD'
  const { from, scratch } = src
  mkdirSync(scratch, { recursive: true })
  const spec: CopySpec = {
    cmd: name,
    sources: cmd.sources.map(x),
    dest: x(cmd.dest),
    workingDir: state.runConfig.WorkingDir ?? '/',
    chown: cmd.chown ? x(cmd.chown) : undefined,
    chmod: cmd.chmod ? x(cmd.chmod) : undefined,
    source: from ? new LayerStack(from.layers) : src.context,
    fromImage: from !== undefined,
    image: new LayerStack(c.store.layerDirs(state.imageId)),
    scratch,
  }
  const prepared = await prepareCopy(spec)
  const chown = spec.chown ? `--chown=${spec.chown} ` : ''
  const probe = { ...structuredClone(state.runConfig), Cmd: nopCommentString(shellOf(state), `${name} ${chown}${prepared.hash} in ${spec.dest} `) }
  if (c.probeCache(state, probe)) return
  const target = join(scratch, 'layer')
  mkdirSync(target)
  await performCopy(spec, prepared, target)
  const diffID = await c.layerFrom(target, false)
  c.commitImage(state, diffID, probe.Cmd!.join(' '), cacheKey(probe))
  rmSync(scratch, { recursive: true, force: true })
}
