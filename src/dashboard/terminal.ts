// The exec terminal: a WebSocket from the page (xterm.js) bridged to a real pty in the container,
// made as `docker exec -it CONTAINER sh` makes it: POST /containers/{id}/exec with Tty, then
// POST /exec/{id}/start hijacked (HTTP Upgrade: the connection then carries the pty's bytes both
// ways, unframed because of the Tty), and POST /exec/{id}/resize when the page's size changes.
//
// On the WebSocket: binary frames are bytes (keys typed → the pty; the pty's output → the page);
// text frames are JSON control messages: {"resize":[cols, rows]} from the page, {"exit": code} to it
// just before the server closes the socket (1000) when the process ended.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { EngineClient, isEngineDown } from '../api/client.js'
import { engineDownMessage } from './proxy.js'

/** What the page may ask for: a command line split on spaces (sh by default), and its size. */
export interface TerminalRequest {
  container: string
  cmd: string[]
  cols: number
  rows: number
}

export function terminalRequest(url: URL): TerminalRequest | undefined {
  const m = /^\/api\/containers\/([^/]+)\/terminal$/.exec(url.pathname)
  if (!m) return undefined
  const size = (k: string, d: number) => Math.min(Math.max(Number(url.searchParams.get(k)) || d, 1), 1000)
  const cmd = (url.searchParams.get('cmd') ?? 'sh').trim().split(/\s+/).filter(Boolean)
  return { container: decodeURIComponent(m[1]), cmd: cmd.length ? cmd : ['sh'], cols: size('cols', 80), rows: size('rows', 24) }
}

function closeWith(ws: WebSocket, code: number, reason: string): void {
  // A close reason is at most 123 bytes; the full text goes first as a control message.
  ws.send(JSON.stringify({ error: reason }))
  ws.close(code, Buffer.from(reason).subarray(0, 120).toString())
}

export async function bridgeTerminal(ws: WebSocket, socketPath: string, r: TerminalRequest, _req: IncomingMessage): Promise<void> {
  const client = new EngineClient(socketPath)
  let pty: Duplex
  let execId: string
  // Keys typed before the pty is there are kept, not lost.
  const early: Buffer[] = []
  const onEarly = (d: Buffer, binary: boolean) => binary && early.push(Buffer.from(d))
  ws.on('message', onEarly)
  try {
    const exec = await client.createExec(r.container, {
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Cmd: r.cmd,
      Env: ['TERM=xterm-256color'],
    })
    execId = exec.Id
    const started = await client.startExecAttached(execId, true)
    pty = started.socket
    if (started.head.length) ws.send(started.head)
  } catch (err) {
    return closeWith(ws, 1011, isEngineDown(err) ? engineDownMessage(socketPath) : (err as Error).message)
  }
  ws.off('message', onEarly)
  client.resizeExec(execId, r.rows, r.cols).catch(() => {})
  for (const d of early) pty.write(d)

  pty.on('data', (d: Buffer) => ws.send(d))
  ws.on('message', (d: Buffer, binary: boolean) => {
    if (binary) return void pty.write(d)
    let msg: { resize?: [number, number] }
    try {
      msg = JSON.parse(d.toString('utf8'))
    } catch {
      return
    }
    const [cols, rows] = msg.resize ?? [0, 0]
    const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= 1000
    if (ok(cols) && ok(rows)) client.resizeExec(execId, rows, cols).catch(() => {})
  })
  // The page went away: closing the pty's connection closes the shell's terminal (it gets EOF and
  // SIGHUP, as when an ssh session drops).
  ws.on('close', () => pty.destroy())
  pty.on('error', () => ws.close(1011, 'the terminal connection broke'))
  pty.on('end', async () => {
    let code: number | null = null
    try {
      // The exit code is recorded a moment after the pty closes: ask until it is there.
      for (let i = 0; i < 20 && code === null; i++) {
        const info = await client.inspectExec(execId)
        code = info.Running ? null : info.ExitCode
        if (code === null) await new Promise((res) => setTimeout(res, 50))
      }
    } catch {
      /* the container is gone with its execs: no code to tell */
    }
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ exit: code }))
      ws.close(1000, 'exited')
    }
  })
}
