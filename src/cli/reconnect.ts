// Surviving an engine restart: the connection to the engine can break in the middle of a command
// (the engine was restarted, or killed and started again), while the containers and execs it runs
// live on under their shims. A command must not then report a failure that did not happen: it
// waits for the engine to answer again and asks it what really happened (the container started?
// the exec ended, with which code?).
import type { EngineClient } from '../api/client.js'
import type { ExecInspect } from '../api/types.js'

/** How long a command waits for a restarted engine to answer again. */
const ENGINE_BACK_MS = 30_000

/** The connection broke (the engine went away) or no engine listens now. */
export function isLostConnection(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ECONNREFUSED' ||
    code === 'ENOENT' ||
    code === 'ECONNABORTED' ||
    code === 'EENGINEDOWN' || // no engine, and this CLI may not start one (TOCKER_NO_AUTOSTART)
    /socket hang up|other side closed|^aborted$/.test((err as Error)?.message ?? '')
  )
}

/** Call `fn`; while the engine cannot be reached, try again (for up to 30 s). */
export async function whenEngineAnswers<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ENGINE_BACK_MS
  for (let delay = 50;; delay = Math.min(delay * 2, 500)) {
    try {
      return await fn()
    } catch (err) {
      if (!isLostConnection(err) || Date.now() > deadline) throw err
    }
    await new Promise((r) => setTimeout(r, delay))
  }
}

/**
 * POST /containers/{id}/start whose answer may be lost: when the connection breaks, ask the
 * engine (once it answers again) whether the container started; start it only if it did not.
 * Returns whether the answer was lost (the caller's attach and wait streams broke with it).
 */
export async function startSurvivingRestart(client: EngineClient, id: string): Promise<{ lost: boolean }> {
  const asked = Date.now()
  try {
    await client.startContainer(id)
    return { lost: false }
  } catch (err) {
    if (!isLostConnection(err)) throw err
  }
  const started = await whenEngineAnswers(async () => {
    const c = await client.inspectContainer(id)
    // Started by our request (or running anyway): not again.
    return c.State.Running || Date.parse(c.State.StartedAt) >= asked - 1000
  })
  if (!started) await whenEngineAnswers(() => client.startContainer(id))
  return { lost: true }
}

/**
 * GET /exec/{id}/json after the output stream ended: the stream may have ended because the engine
 * went away while the process runs on. Then wait until the (restarted) engine knows its end.
 */
export async function execOutcome(client: EngineClient, id: string): Promise<ExecInspect> {
  for (;;) {
    const info = await whenEngineAnswers(() => client.inspectExec(id))
    if (!info.Running) return info
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** The exit code of a container the caller lost sight of: wait for its run to end (not-running). */
export async function exitCodeSurvivingRestart(client: EngineClient, id: string): Promise<number> {
  for (;;) {
    try {
      const w = client.waitStream(id, 'not-running')
      return (await w.result).StatusCode
    } catch (err) {
      if (!isLostConnection(err)) throw err
      await whenEngineAnswers(() => client.ping())
    }
  }
}

/** Said once when the output stream broke but the container runs on (its exit code follows). */
export async function noteLostStream(id: string): Promise<void> {
  const { text } = await import('../i18n/index.js') // the catalogue only on this rare path
  process.stderr.write(
    text({
      en: `tocker: the connection to the engine broke; the container runs on, its output from here is in 'tocker logs ${id.slice(0, 12)}'\n`,
      ko: `tocker: 엔진과의 연결이 끊겼습니다. 컨테이너는 계속 실행 중이며, 이후 출력은 'tocker logs ${id.slice(0, 12)}'로 볼 수 있습니다\n`,
    }),
  )
}
