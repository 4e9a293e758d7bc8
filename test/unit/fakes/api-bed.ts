// The engine of the unit tier's API tests: a real Engine (over the recording fake runtime, or a
// test's subclass of it) behind the real API server on a unix socket in a temp dir, and a small
// client for it. Removed with everything in it when the test ends.
import { mkdtempSync, rmSync } from 'node:fs'
import { request, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { createApiServer } from '../../../src/api/server.js'
import { Engine } from '../../../src/engine/engine.js'
import { FakeRuntime, fakeImages } from './runtime.js'

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  json: any
}

/** An engine with the fake runtime behind the real API server on a unix socket. */
export async function bed<R extends FakeRuntime = FakeRuntime>(t: Test, runtime: R = new FakeRuntime() as R) {
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-api-'))
  const engine = new Engine({ root, runtime, images: fakeImages(), version: '0.0.0-unit' })
  await engine.init()
  const sock = join(root, 'api.sock')
  const server: Server = createApiServer(engine)
  await new Promise<void>((r) => server.listen(sock, r))
  t.teardown(async () => {
    server.close()
    server.closeAllConnections()
    await engine.close()
    rmSync(root, { recursive: true, force: true })
  })
  const api = (method: string, path: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
      const req = request({ socketPath: sock, agent: false, method, path, headers: { Host: 'docker', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}) } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => {
          const buf = Buffer.concat(chunks)
          let json: any
          try {
            json = buf.length && /json/.test(String(res.headers['content-type'])) ? JSON.parse(buf.toString()) : undefined
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: buf, json })
        })
      })
      req.on('error', reject)
      req.end(data)
    })
  const create = async (name: string, body: Record<string, unknown> = {}) => {
    const r = await api('POST', `/containers/create?name=${name}`, { Image: 'busybox', ...body })
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`)
    return r.json.Id as string
  }
  return { root, runtime, engine, api, create }
}
