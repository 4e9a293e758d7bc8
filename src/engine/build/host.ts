// What a build needs of the engine (build/builder.ts's BuildHost): containers for its steps, each
// attached (its output goes to the build's stream), started and waited for; and pulls of FROM images.
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { ContainerCreateBody, ContainerCreateResponse, ContainerWaitResponse } from '../../api/types.js'
import type { StoreLayout } from '../../store/layout.js'
import type { ImageService } from '../images/service.js'
import { containerDir } from '../state.js'
import type { AttachOptions, ClientConnection } from '../streams.js'
import type { BuildHost, StepOutput } from './types.js'

/** The engine's operations a build uses (Engine has them all). */
export interface BuildEngine {
  readonly layout: StoreLayout
  readonly images: ImageService
  create(body: ContainerCreateBody): Promise<ContainerCreateResponse>
  start(ref: string): Promise<boolean>
  kill(ref: string, signal: string): Promise<void>
  wait(ref: string, condition: 'next-exit'): { ready: Promise<void>; result: Promise<ContainerWaitResponse> }
  attach(ref: string, connect: () => ClientConnection, o: AttachOptions): Promise<void>
  remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void>
}

export function engineBuildHost(engine: BuildEngine): BuildHost {
  return {
    images: engine.images,
    createContainer: async (body) => (await engine.create(body)).Id,
    runContainer: (id, out, signal) => runBuildContainer(engine, id, out, signal),
    removeContainer: (id) => engine.remove(id, { force: true, volumes: true }),
    upperDir: (id) => join(containerDir(engine.layout.containers, id), 'upper'),
    pull: (ref, platform, auth, send, signal) => engine.images.pull({ fromImage: ref, platform, auth: auth ? Buffer.from(JSON.stringify(auth)).toString('base64') : undefined }, send, signal),
  }
}

/** A build step's container: attached (its output to `out`), started, waited for. */
async function runBuildContainer(engine: BuildEngine, id: string, out: StepOutput, signal: AbortSignal): Promise<number> {
  let closeConn!: () => void
  const closed = new Promise<void>((resolve) => (closeConn = resolve))
  const conn: ClientConnection = {
    write: (stream, data) => out.write(stream, data),
    ready: () => out.ready(),
    end: () => closeConn(),
    closed,
    input: Readable.from([]),
  }
  const waiting = engine.wait(id, 'next-exit')
  await waiting.ready
  const attached = engine.attach(id, () => conn, { stream: true, logs: false, stdin: false, stdout: true, stderr: true })
  const onAbort = () => void engine.kill(id, 'SIGKILL').catch(() => {})
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    try {
      await engine.start(id)
    } catch (err) {
      // It never ran (an exec-form command that does not exist, …): no exit will come.
      closeConn()
      throw err
    }
    const r = await waiting.result
    await attached
    return r.StatusCode
  } finally {
    signal.removeEventListener('abort', onAbort)
    closeConn()
  }
}
