// The exec registry: `docker exec` in two steps as in Docker's API (create an exec instance, then
// start it, attached or detached), its TTY size, and its inspect view. A finished exec stays
// readable (its exit code) for five minutes, then it is forgotten.
//
// Execs outlive the engine as containers do: each is kept on disk (exec-records.ts) and its shim
// records its exit status, so an engine restarted while an exec runs re-adopts it (adopt) and its
// client's GET /exec/{id}/json gets the real outcome, not "No such exec instance".
import { randomBytes } from 'node:crypto'
import { TockerError } from '../errors.js'
import type { ExecCreateBody, ExecInspect } from '../api/types.js'
import type { ExecHandle, RuntimeBackend } from './backend.js'
import { mergeEnv } from '../runtime/env.js'
import { loadExecs, removeExec, removeExecs, saveExec, type StoredExec } from './exec-records.js'
import { storeWriteError, type ContainerRecord } from './state.js'
import type { ClientConnection, StdStream } from './streams.js'

interface ExecRecord extends StoredExec {
  handle?: ExecHandle
  /** The last terminal size the client sent (rows, cols). */
  size?: [number, number]
}

const FORGET_AFTER_MS = 5 * 60_000
const ADOPTED_POLL_MS = 250
/** An exec whose shim vanished without recording a status (killed, or the host rebooted). */
const EXIT_UNKNOWN = 255

export class ExecRegistry {
  readonly #execs = new Map<string, ExecRecord>()
  #poll: NodeJS.Timeout | undefined

  constructor(
    readonly runtime: RuntimeBackend,
    /** The container by ID (throws "No such container" once it is gone). */
    readonly container: (id: string) => ContainerRecord,
    /** <root>/containers: each container's execs/ is kept there. */
    readonly containersDir: string,
    readonly warn: (msg: string) => void = () => {},
  ) {}

  create(rec: ContainerRecord, body: ExecCreateBody): { Id: string } {
    if (!rec.State.Running) throw new TockerError(`container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
    if (!body?.Cmd?.length) throw new TockerError('No exec command specified', { code: 'EINVALID', daemon: true })
    const id = randomBytes(32).toString('hex')
    const e: ExecRecord = { id, containerId: rec.Id, body, running: false, exitCode: null, pid: 0 }
    try {
      saveExec(this.containersDir, stored(e))
    } catch (err) {
      throw storeWriteError(err, `the exec instance ${id}`, this.containersDir)
    }
    this.#execs.set(id, e)
    return { Id: id }
  }

  /** Write a change that has happened anyway (it started, it ended): a failure is only logged. */
  #save(e: ExecRecord): void {
    try {
      saveExec(this.containersDir, stored(e))
    } catch (err) {
      this.warn(`exec ${e.id} of container ${e.containerId}: record not written: ${(err as Error).message}`)
    }
  }

  #forget(e: ExecRecord): void {
    this.#execs.delete(e.id)
    removeExec(this.containersDir, e)
    let rec: ContainerRecord | undefined
    try {
      rec = this.container(e.containerId)
    } catch {
      return // removed: its runtime state went with it
    }
    this.runtime.forgetExec?.(rec, e.id)
  }

  #finished(e: ExecRecord, code: number): void {
    e.running = false
    e.exitCode = code
    this.#save(e)
    // Docker forgets a finished exec after a while; its exit code stays readable until then.
    setTimeout(() => this.#forget(e), FORGET_AFTER_MS).unref()
  }

  /**
   * At engine start, after the containers are re-adopted: the execs of running containers as the
   * last engine left them. One that was running has ended meanwhile (its shim recorded the status),
   * or still runs under its shim (watched until it ends), or lost its shim (status unknown: 255).
   */
  adopt(containers: ContainerRecord[]): void {
    for (const rec of containers) {
      if (!rec.State.Running) {
        removeExecs(this.containersDir, rec.Id)
        continue
      }
      let execs: StoredExec[]
      try {
        execs = loadExecs(this.containersDir, rec.Id)
      } catch (err) {
        this.warn((err as Error).message)
        continue
      }
      for (const s of execs) {
        const e: ExecRecord = { ...s }
        this.#execs.set(e.id, e)
        if (e.running) this.#checkAdopted(e)
        else if (e.exitCode !== null) setTimeout(() => this.#forget(e), FORGET_AFTER_MS).unref()
      }
    }
    if ([...this.#execs.values()].some((e) => e.running)) {
      this.#poll = setInterval(() => {
        const running = [...this.#execs.values()].filter((e) => e.running && !e.handle)
        for (const e of running) this.#checkAdopted(e)
        if (running.length === 0) this.close()
      }, ADOPTED_POLL_MS).unref()
    }
  }

  /** An exec started by an earlier engine: has it ended? */
  #checkAdopted(e: ExecRecord): void {
    let rec: ContainerRecord
    try {
      rec = this.container(e.containerId)
    } catch {
      this.#execs.delete(e.id) // its container was removed, and its files with it
      return
    }
    try {
      let exit = this.runtime.readExecExit?.(rec, e.id)
      if (!exit && this.runtime.isRunning(e.shim)) return // still running
      // The shim may have written its status just before it exited: look once more.
      exit ??= this.runtime.readExecExit?.(rec, e.id)
      this.#finished(e, exit?.exitCode ?? EXIT_UNKNOWN)
    } catch (err) {
      // An unreadable status: said once, and the exit is unknown rather than asked forever.
      this.warn(`exec ${e.id} of container ${e.containerId}: ${(err as Error).message}`)
      this.#finished(e, EXIT_UNKNOWN)
    }
  }

  close(): void {
    if (this.#poll) clearInterval(this.#poll)
    this.#poll = undefined
  }

  #get(id: string): ExecRecord {
    const e = this.#execs.get(id)
    if (!e) throw new TockerError(`No such exec instance: ${id}`, { code: 'ENOTFOUND', daemon: true })
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
    for (const e of this.#execs.values()) if (e.containerId === containerId && !e.running) this.#forget(e)
  }

  /** Start the exec; attached (`conn`), resolves once it has ended and its output is delivered. */
  async start(id: string, conn: ClientConnection | undefined): Promise<void> {
    const e = this.#get(id)
    if (e.running || e.exitCode !== null) throw new TockerError(`Error: Exec command ${id} is already running`, { code: 'ECONFLICT', daemon: true })
    const rec = this.container(e.containerId)
    if (!rec.State.Running) throw new TockerError(`container ${rec.Id} is not running`, { code: 'ECONFLICT', daemon: true })
    const b = e.body
    const handle = await this.runtime
      .exec(
        rec,
        {
          id: e.id,
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
        this.#save(e)
        throw err
      })
    const tty = !!b.Tty
    e.running = true
    e.pid = handle.pid
    e.shim = handle.shim
    e.handle = handle
    this.#save(e)
    const finished = handle.exited.then((code) => this.#finished(e, code))
    if (!conn) return
    const pending: Promise<void>[] = []
    const pipeOut = (s: NodeJS.ReadableStream | undefined, stream: StdStream) => {
      if (!s) return
      pending.push(
        new Promise((resolve) => {
          s.on('data', (d: Buffer) => {
            conn.write(stream, d)
            // The client's pace: a process writing faster than its client reads must wait (its
            // pipe fills up) instead of the engine holding its output.
            if (conn.ready) {
              s.pause()
              void conn.ready().then(() => s.resume())
            }
          })
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
      input.on('data', (d: Buffer) => {
        // And the process's pace: a client sending faster than it reads waits for it.
        if (!handle.stdin!.write(d)) {
          input.pause()
          handle.stdin!.once('drain', () => input.resume())
        }
      })
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

/** What goes on disk (not the live handle or the terminal size). */
function stored(e: ExecRecord): StoredExec {
  return { id: e.id, containerId: e.containerId, body: e.body, running: e.running, exitCode: e.exitCode, pid: e.pid, shim: e.shim }
}
