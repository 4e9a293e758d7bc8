// The dashboard's web server (`tocker dashboard`): a client of the engine like the CLI, never part
// of it. It listens on 127.0.0.1 only, serves the page's files, passes /api/<Docker path> to the
// engine's unix socket (proxy.ts) and bridges the exec terminal's WebSocket (terminal.ts). Every
// request passes guard.ts first: loopback Host, same Origin, and for /api the access token.
//
// Why a separate process and not the engine: the engine stays on its root-only unix socket (no TCP
// port in the root daemon), and only someone who may use that socket (root) can start the
// dashboard at all; the dashboard then hands its power only to who holds the token it printed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { TockerError } from '../errors.js'
import type { Lang } from '../i18n/index.js'
import { loadAssets } from './assets.js'
import { refusal, WS_PROTOCOL, type Refusal } from './guard.js'
import { allowed, proxy, sendJson } from './proxy.js'
import { bridgeTerminal, terminalRequest } from './terminal.js'

export const DEFAULT_PORT = 8686
export const ADDRESS = '127.0.0.1'

export interface DashboardOptions {
  /** The engine's unix socket. */
  socket: string
  port: number
  token: string
  lang: Lang
}

export interface Dashboard {
  server: Server
  port: number
  /** The address to open, token included (in the fragment: never sent to a server). */
  url: string
  close(): Promise<void>
}

/**
 * What the page may load and run: only its own files (no inline script, no other origin), never
 * inside a frame (clickjacking). Styles may be inline: xterm.js writes its own <style> elements.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

function refuse(res: ServerResponse, r: Refusal): void {
  sendJson(res, r.status, { message: r.message })
}

function refuseUpgrade(socket: Duplex, r: Refusal): void {
  const body = JSON.stringify({ message: r.message })
  socket.end(`HTTP/1.1 ${r.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const assets = loadAssets(o.lang)
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1 << 20,
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
    const url = new URL(req.url ?? '/', 'http://dashboard')
    if (url.pathname.startsWith('/api/')) {
      const r = refusal(req.headers, { token: o.token, ws: false })
      if (r) return refuse(res, r)
      const path = url.pathname.slice('/api'.length)
      if (!allowed(req.method ?? '', path)) return sendJson(res, 404, { message: `${req.method} ${path} is not a call the dashboard makes` })
      return proxy(o.socket, req, res, path + url.search)
    }
    const r = refusal(req.headers)
    if (r) return refuse(res, r)
    const asset = assets.get(url.pathname)
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return sendJson(res, 404, { message: `${url.pathname}: no such page` })
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, 'Cache-Control': 'no-cache' })
    res.end(req.method === 'HEAD' ? undefined : asset.body)
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://dashboard')
    const term = terminalRequest(url)
    if (!term) return refuseUpgrade(socket, { status: 404, message: `${url.pathname}: no such WebSocket` })
    const r = refusal(req.headers, { token: o.token, ws: true })
    if (r) return refuseUpgrade(socket, r)
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate())
      bridgeTerminal(ws, o.socket, term, req).catch(() => ws.terminate())
    })
  }

  const server = createServer(onRequest)
  server.on('upgrade', onUpgrade)
  server.on('clientError', (_err, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new TockerError(`listen tcp ${ADDRESS}:${o.port}: bind: address already in use`, { code: 'EADDRINUSE', hint: 'Another program uses this port: choose another one with --port.' }))
      } else reject(err)
    })
    server.listen(o.port, ADDRESS, () => resolve())
  })
  const port = (server.address() as { port: number }).port
  return {
    server,
    port,
    url: `http://${ADDRESS}:${port}/#token=${o.token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
