// A small HTTP proxy for registry tests, on 127.0.0.1 (or another loopback address such as
// 127.0.0.2 to act as "another host"): forwards every request to a target registry and records it,
// unless `handle` answers it itself (to redirect, fail, or cut a body short).
//
//   const proxy = await startProxy(reg.addr, { handle: (req, res, forward) => { … return true if handled } })
//   proxy.addr          'HOST:PORT'
//   proxy.requests      [{ method, url, authorization }] in arrival order
//   await proxy.stop()
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  method: string
  url: string
  authorization?: string
}

export type Forward = (opts?: { cutAfter?: number; mode?: 'reset' | 'short' }) => void

export interface Proxy {
  addr: string
  requests: SeenRequest[]
  stop(): Promise<void>
}

export async function startProxy(
  target: string,
  opts: { host?: string; handle?: (req: IncomingMessage, res: ServerResponse, forward: Forward) => boolean | void } = {},
): Promise<Proxy> {
  const requests: SeenRequest[] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization })
    const forward: Forward = (f = {}) => {
      const [host, port] = target.split(':')
      const headers = { ...req.headers, host: target }
      const upstream = request({ host, port: Number(port), method: req.method, path: req.url, headers }, (up) => {
        const outHeaders = { ...up.headers }
        if (f.cutAfter !== undefined && f.mode === 'short') {
          // End the body cleanly but early: no Content-Length, chunked, so the client sees a normal end.
          delete outHeaders['content-length']
        }
        res.writeHead(up.statusCode ?? 502, outHeaders)
        if (f.cutAfter === undefined) {
          up.pipe(res)
          return
        }
        let sent = 0
        up.on('data', (chunk: Buffer) => {
          if (sent >= f.cutAfter!) return
          const part = chunk.subarray(0, f.cutAfter! - sent)
          sent += part.length
          res.write(part)
          if (sent >= f.cutAfter!) {
            up.destroy()
            if (f.mode === 'short') res.end()
            else res.socket?.destroy() // the connection drops mid-body
          }
        })
        up.on('end', () => res.end())
      })
      upstream.on('error', () => res.socket?.destroy())
      req.pipe(upstream)
    }
    if (opts.handle?.(req, res, forward)) return
    forward()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, opts.host ?? '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    addr: `${opts.host ?? '127.0.0.1'}:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
