// The exec registry: `docker exec` in two steps as in Docker's API (create an exec instance, then
// start it, attached or detached), its TTY size, and its inspect view. A finished exec stays
// readable (its exit code) for five minutes, then it is forgotten.
import { randomBytes } from 'node:crypto'
import { TockerError } from '../errors.js'
import type { ExecCreateBody, ExecInspect } from '../api/types.js'
import type { ExecHandle, RuntimeBackend } from './backend.js'
import { mergeEnv } from '../runtime/env.js'
import type { ContainerRecord } from './state.js'
import type { ClientConnection, StdStream } from './streams.js'

interface ExecRecord {
  id: string
  containerId: string
  body: ExecCreateBody
  running: boolean
  exitCode: number | null
  pid: number
  handle?: ExecHandle
  /** The last terminal size the client sent (rows, cols). */
  size?: [number, number]
}

export class ExecRegistry {
  readonly #execs = new Map<string, ExecRecord>()

  constructor(
    readonly runtime: RuntimeBackend,
    /** The container by ID (throws "No such container" once it is gone). */
    readonly container: (id: string) => ContainerRecord,
  ) {}

  create(rec: ContainerRecord, body: ExecCreateBody): { Id: string } {
    if (!rec.State.Running) throw new TockerError(`container ${rec.Id} is not running`, { status: 409, daemon: true })
    if (!body?.Cmd?.length) throw new TockerError('No exec command specified', { status: 400, daemon: true })
    const id = randomBytes(32).toString('hex')
    this.#execs.set(id, { id, containerId: rec.Id, body, running: false, exitCode: null, pid: 0 })
    return { Id: id }
  }

  #get(id: string): ExecRecord {
    const e = this.#execs.get(id)
    if (!e) throw new TockerError(`No such exec instance: ${id}`, { status: 404, daemon: true })
    return e
  }

  tty(id: string): boolean {
    return !!this.#get(id).body.Tty
  }

  /** The execs running in a container (inspect's ExecIDs: null when none, as Docker shows). */
  runningIn(containerId: string): string[] | null {
    const ids = [...this.#execs.values()].filter((e) => e.containerId === containerId && e.running).map((e) => e.id)
    return ids.length ? ids : null
  }

  /** The container's run ended: its execs that are not running any more go. */
  forgetFinished(containerId: string): void {
    for (const e of this.#execs.values()) if (e.containerId === containerId && !e.running) this.#execs.delete(e.id)
  }

  /** Start the exec; attached (`conn`), resolves once it has ended and its output is delivered. */
  async start(id: string, conn: ClientConnection | undefined): Promise<void> {
    const e = this.#get(id)
    if (e.running || e.exitCode !== null) throw new TockerError(`Error: Exec command ${id} is already running`, { status: 409, daemon: true })
    const rec = this.container(e.containerId)
    if (!rec.State.Running) throw new TockerError(`container ${rec.Id} is not running`, { status: 409, daemon: true })
    const b = e.body
    const handle = await this.runtime
      .exec(
        rec,
        {
          args: b.Cmd,
          env: mergeEnv(rec.Config.Env ?? [], b.Env ?? []),
          cwd: b.WorkingDir || rec.Config.WorkingDir || undefined,
          user: b.User || rec.Config.User || undefined,
          tty: !!b.Tty,
          stdin: !!b.AttachStdin && !!conn,
        },
        !!conn,
      )
      .catch((err) => {
        if (conn) {
          // Already hijacked: Docker writes the error into the stream and the exit code is 126/127.
          conn.write('stdout', Buffer.from(`${(err as Error).message}\r\n`))
          conn.end()
        }
        e.exitCode = (err as TockerError).exitCode ?? 126
        throw err
      })
    const tty = !!b.Tty
    e.running = true
    e.pid = handle.pid
    e.handle = handle
    const finished = handle.exited.then((code) => {
      e.running = false
      e.exitCode = code
      // Docker forgets a finished exec after a while; its exit code stays readable until then.
      setTimeout(() => this.#execs.delete(e.id), 5 * 60_000).unref()
    })
    if (!conn) return
    const pending: Promise<void>[] = []
    const pipeOut = (s: NodeJS.ReadableStream | undefined, stream: StdStream) => {
      if (!s) return
      pending.push(
        new Promise((resolve) => {
          s.on('data', (d: Buffer) => conn.write(stream, d))
          s.on('end', resolve)
          s.on('error', () => resolve())
          s.on('close', resolve)
        }),
      )
    }
    pipeOut(handle.stdout, 'stdout')
    pipeOut(handle.stderr, 'stderr')
    if (e.size) handle.resize?.(e.size[0], e.size[1])
    const input = conn.input
    if (handle.stdin && b.AttachStdin) {
      input.on('data', (d: Buffer) => handle.stdin!.write(d))
      // With a TTY, stdin and output are one pty master: ending it would end the output too.
      input.on('end', () => {
        if (!tty) handle.stdin!.end()
      })
      handle.stdin.on('error', () => {})
    } else {
      input.resume()
    }
    await finished
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 200))])
    conn.end()
  }

  resize(id: string, h: number, w: number): void {
    const e = this.#get(id)
    // The client sends its size right after attaching, maybe before the process exists.
    e.size = [h, w]
    e.handle?.resize?.(h, w)
  }

  inspect(id: string): ExecInspect {
    const e = this.#get(id)
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { entrypoint: e.body.Cmd[0], arguments: e.body.Cmd.slice(1), tty: !!e.body.Tty, user: e.body.User ?? '', privileged: false },
      OpenStdin: !!e.body.AttachStdin,
      OpenStderr: !!e.body.AttachStderr,
      OpenStdout: !!e.body.AttachStdout,
      ContainerID: e.containerId,
      Pid: e.pid,
    }
  }
}
