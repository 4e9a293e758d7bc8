// The foreground half of `run`, `start -a` and `attach`, as Docker's CLI does it: register a wait,
// attach to the container's stdio through the engine (hijacked HTTP connection), start it, copy
// bytes until the stream ends, and return the container's exit code. Without -t, Ctrl-C and
// friends are forwarded to the container (--sig-proxy); with -t they are bytes on the raw terminal.
import type { EngineClient } from '../api/client.js'
import { pipeAttached } from './attach-stdio.js'

export interface AttachRunOptions {
  tty: boolean
  stdin: boolean
  start: boolean
  /** --rm: the engine removes the container at exit; wait for that, not just the exit. */
  removeAfter: boolean
  sigProxy?: boolean
}

export async function attachAndRun(client: EngineClient, id: string, o: AttachRunOptions): Promise<number> {
  const waiting = client.waitStream(id, o.removeAfter ? 'removed' : o.start ? 'next-exit' : 'not-running')
  await waiting.ready
  const conn = await client.attach(id, { stream: 1, stdin: o.stdin ? 1 : undefined, stdout: 1, stderr: 1 })
  const proxied: NodeJS.Signals[] = o.tty || o.sigProxy === false ? [] : ['SIGINT', 'SIGTERM', 'SIGHUP']
  const forward = (sig: NodeJS.Signals) => void client.killContainer(id, sig).catch(() => {})
  for (const s of proxied) process.on(s, forward)
  try {
    const piping = pipeAttached({
      ...conn,
      stdin: o.stdin,
      tty: o.tty,
      resize: o.tty ? (rows, cols) => void client.resizeContainer(id, rows, cols).catch(() => {}) : undefined,
    })
    if (o.start) await client.startContainer(id)
    await piping
    const r = await waiting.result
    return r.StatusCode
  } finally {
    for (const s of proxied) process.off(s, forward)
  }
}
