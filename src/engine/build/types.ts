// What a build takes and gives (POST /build's request, the engine's side of it, the stream), and
// the state of the stage being built.
import type { Readable } from 'node:stream'
import type { JSONMessage } from '../../api/json-message.js'
import type { AuthConfig, ContainerCreateBody } from '../../api/types.js'
import type { ContainerConfig, ImageConfig } from '../../image/types.js'
import type { ImageService } from '../images/service.js'
import type { BuildArgs } from './args.js'

export interface BuildRequest {
  context: Readable
  dockerfile?: string
  /** Full references ("docker.io/library/web:latest"). */
  tags: string[]
  buildArgs: Record<string, string | null>
  labels: Record<string, string>
  noCache: boolean
  pull: boolean
  /** Remove intermediate containers after a successful step (Docker's rm, default true). */
  remove: boolean
  target?: string
  networkMode?: string
  platform?: string
  /** X-Registry-Config: credentials per registry, for FROM images that must be pulled. */
  authConfigs: Record<string, AuthConfig>
}

/** What the builder needs from the rest of the engine. */
export interface BuildHost {
  images: ImageService
  createContainer(body: ContainerCreateBody): Promise<string>
  /** Start it; its output goes to `out` until it ends; resolves with its exit code. */
  runContainer(id: string, out: StepOutput, signal: AbortSignal): Promise<number>
  removeContainer(id: string): Promise<void>
  /** The container's writable layer (its overlay upper directory). */
  upperDir(id: string): string
  /** Pull `ref` (JSON messages go to send). */
  pull(ref: string, platform: string | undefined, auth: AuthConfig | undefined, send: (m: JSONMessage) => void, signal: AbortSignal): Promise<void>
}

/** A RUN step's output, at the client's pace. */
export interface StepOutput {
  write(stream: 'stdout' | 'stderr', data: Buffer): void
  ready(): Promise<void>
}

export interface BuildOutput {
  send(m: JSONMessage): void
  /** Resolves when the client took what was sent. */
  ready(): Promise<void>
}

/** The state of the stage being built (moby's dispatchState). */
export interface StageState {
  imageId: string
  image: ImageConfig | undefined
  runConfig: ContainerConfig
  maintainer: string
  cmdSet: boolean
  args: BuildArgs
  stageName?: string
}
