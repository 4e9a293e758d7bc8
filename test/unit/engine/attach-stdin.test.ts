// attach with stdin: a line the client sends at once (in the same packet as its request, as a
// terminal user typing ahead does) is answered, and the answer is shown. The engine used to connect
// the client's bytes to the container's stdin while the output stream was still placing its start
// at the log's end: a container that answered quickly (a shell, cat) wrote its answer before that
// end was read, and the client never saw it (CI at load 20: terminal.test.ts's "the shell answers
// after attach" timed out). Without root: the real API server and Engine over the recording fake
// runtime, whose stdin here is `cat` (every line written back as stdout, as the shim would log it).
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import type { ContainerRecord } from '../../../src/engine/state.js'
import { bed } from '../fakes/api-bed.js'
import { FakeRuntime } from '../fakes/runtime.js'

/** The fake runtime with a container that echoes its stdin to its log: `cat`. */
class CatRuntime extends FakeRuntime {
  async openStdin(rec: ContainerRecord): Promise<NodeJS.WritableStream> {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.output(rec, 'stdout', chunk.toString())
        done()
      },
    })
  }
}

t.test('attach: a line sent with the request reaches the container, and its answer the client (10 tries)', async (t) => {
  const { api, create, root } = await bed(t, new CatRuntime())
  const sock = join(root, 'api.sock')
  await create('cat', { Cmd: ['cat'], OpenStdin: true, AttachStdin: true })
  t.equal((await api('POST', '/containers/cat/start')).status, 204)
  for (let i = 0; i < 10; i++) {
    const line = `typed-ahead-${i}\n`
    const seen = await new Promise<string>((resolve) => {
      const c = createConnection(sock)
      let got = ''
      const timer = setTimeout(() => (c.destroy(), resolve(got)), 2000)
      c.on('data', (d) => {
        got += d.toString('latin1')
        if (got.includes(line)) {
          clearTimeout(timer)
          c.destroy()
          resolve(got)
        }
      })
      c.on('error', () => {})
      c.write(`POST /containers/cat/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n${line}`)
    })
    t.match(seen, /^HTTP\/1\.1 101/, `attach ${i}: hijacked`)
    t.ok(seen.includes(line), `attach ${i}: the answer to the line typed ahead was shown (got ${JSON.stringify(seen.slice(-80))})`)
  }
  // The container's end ends the engine's side of the attaches (their log follows), so the engine can close.
  t.equal((await api('POST', '/containers/cat/kill')).status, 204)
})
