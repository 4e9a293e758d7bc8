// The foreground half of `run`, `start -a` and `attach`, as Docker's CLI does it: register a wait,
// attach to the container's stdio through the engine (hijacked HTTP connection), start it, copy
// bytes until the stream ends, and return the container's exit code. Without -t, Ctrl-C and
// friends are forwarded to the container (--sig-proxy); with -t they are bytes on the raw terminal.
import type { EngineClient } from '../api/client.js'
import { TockerError, isTockerError } from '../errors.js'
import { OutputGate, pipeAttached } from './attach-stdio.js'
import type { ExplainSession } from './explain.js'
import { exitCodeSurvivingRestart, isLostConnection, noteLostStream, startSurvivingRestart } from './reconnect.js'

/**
 * Docker's CLI picks `run`'s exit code for a container that could not start from the engine's
 * message: 127 when the program was not found, 126 when it could not be executed, else 125.
 */
export function withRunExitCode(err: unknown): unknown {
  if (!isTockerError(err)) return err
  const m = err.message
  const code = /executable file not found|no such file or directory/.test(m) ? 127 : /permission denied|operation not permitted/.test(m) ? 126 : undefined
  return code === undefined ? err : new TockerError(m, { code: err.code, status: err.status, daemon: err.daemon, exitCode: code, hint: err.hint })
}

export interface AttachRunOptions {
  tty: boolean
  stdin: boolean
  start: boolean
  /** --rm: the engine removes the container at exit; wait for that, not just the exit. */
  removeAfter: boolean
  sigProxy?: boolean
  detachKeys?: string
  /** attach: the detach keys end the command with Docker's "read escape sequence" (exit 1). */
  escapeIsError?: boolean
  /** --explain: the container's output waits until the phases that made it are printed. */
  explain?: ExplainSession
}

/** Docker's CLI gives up on the third SIGINT/SIGTERM even when the container ignores them. */
const FORCE_EXIT_AFTER = 3

export async function attachAndRun(client: EngineClient, id: string, o: AttachRunOptions): Promise<number> {
  // The wait and the attachment both go in before the start (neither may miss what the container
  // does), and not one after the other: two round trips at once instead of in a row.
  const waiting = client.waitStream(id, o.removeAfter ? 'removed' : o.start ? 'next-exit' : 'not-running')
  const attaching = client.attach(id, { stream: 1, stdin: o.stdin ? 1 : undefined, stdout: 1, stderr: 1 })
  // The start's connection opens during their round trips (EngineTransport.preconnect says why).
  if (o.start) void client.preconnect()
  const [registered, attached] = await Promise.allSettled([waiting.ready, attaching])
  if (registered.status === 'rejected' || attached.status === 'rejected') {
    if (attached.status === 'fulfilled') attached.value.socket.destroy()
    waiting.cancel()
    throw registered.status === 'rejected' ? registered.reason : (attached as PromiseRejectedResult).reason
  }
  const conn = attached.value
  const proxied: NodeJS.Signals[] = o.tty || o.sigProxy === false ? [] : ['SIGINT', 'SIGTERM', 'SIGHUP']
  let terminations = 0
  const forward = (sig: NodeJS.Signals) => {
    if ((sig === 'SIGINT' || sig === 'SIGTERM') && ++terminations >= FORCE_EXIT_AFTER) {
      process.stderr.write(`\ngot ${FORCE_EXIT_AFTER} SIGTERM/SIGINTs, forcefully exiting\n`)
      process.exit(1)
    }
    void client.killContainer(id, sig).catch(() => {})
  }
  for (const s of proxied) process.on(s, forward)
  // --explain: the program's output waits until the start's phases are printed (the engine's
  // trace and the attach stream are two connections; either can be first).
  const gate = o.explain && o.start ? new OutputGate() : undefined
  const startExplained = gate ? o.explain!.requestDone(new RegExp(`/containers/${id}/start$`)) : undefined
  try {
    const piping = pipeAttached({
      ...conn,
      gate,
      stdin: o.stdin,
      tty: o.tty,
      resize: o.tty ? (rows, cols) => void client.resizeContainer(id, rows, cols).catch(() => {}) : undefined,
      detachKeys: o.detachKeys,
    })
    if (o.start) {
      try {
        // Its answer may be lost (the engine restarted): the engine then says whether it started.
        await startSurvivingRestart(client, id)
      } catch (err) {
        // Nothing will come through the attachment: let go of it, of the wait and of our stdin.
        conn.socket.destroy()
        waiting.cancel()
        process.stdin.pause()
        throw withRunExitCode(err)
      } finally {
        if (gate) {
          await startExplained!()
          gate.open()
        }
      }
    }
    // The pty exists once the container runs: send our size (again) now, as Docker's CLI does.
    if (o.tty && o.start && process.stdout.isTTY) await client.resizeContainer(id, process.stdout.rows ?? 24, process.stdout.columns ?? 80).catch(() => {})
    const end = await piping
    if (end.detached) {
      // The container runs on; nobody waits for it here.
      waiting.cancel()
      if (o.escapeIsError) throw new TockerError('read escape sequence', { code: 'EDETACHED' })
      return 0
    }
    try {
      const result = await waiting.result
      // The engine could not remove an --rm container (it is "Dead" now): Docker's CLI says so, 125.
      if (result.Error?.Message) {
        process.stderr.write(`Error waiting for container: ${result.Error.Message}\n`)
        return 125
      }
      if (result.OOMKilled) process.stderr.write(await oomNote())
      return result.StatusCode
    } catch (err) {
      // The engine went away while the container runs on under its shim: ask the next one.
      if (!isLostConnection(err)) throw err
      await noteLostStream(id)
      return await exitCodeSurvivingRestart(client, id)
    }
  } finally {
    for (const s of proxied) process.off(s, forward)
  }
}

/** Docker says nothing when the kernel's OOM killer ends a container; a learner should know why. */
async function oomNote(): Promise<string> {
  const { hintLines } = await import('../i18n/index.js') // the catalogue only when there is something to say
  return (
    hintLines({
      en: 'The container was killed by the kernel\'s OOM killer: it needed more memory than its --memory limit (its cgroup counted the kill in memory.events, oom_kill; `tocker inspect` shows "OOMKilled": true).',
      ko: '컨테이너가 메모리 제한(--memory)보다 많은 메모리를 쓰려 해서 커널의 OOM killer가 종료했습니다 (cgroup의 memory.events에 oom_kill로 기록됩니다).',
    })
      .map((l) => l + '\n')
      .join('')
  )
}
