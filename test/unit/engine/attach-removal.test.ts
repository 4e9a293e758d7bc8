// attach then start of an --rm container: all its output reaches the attached client, even when
// the container ends, and is removed, before the engine's side of the attachment has found its log.
// The removal moves the container's directory (its log with it) away; a log follower that had not
// yet opened the file (it was still placing its start when the container was started, ran, ended)
// found nothing and ended the stream empty: `run --rm … echo` printed nothing, 1 run in ~100 under
// load (the final CI: commit-options, docs/guide-2). The removal now waits for the container's
// attach streams to deliver what is in the log (a client that does not read holds it only up to a
// bound). Without root: the real Engine over the recording fake runtime.
import { Readable } from 'node:stream'
import t from 'tap'
import type { ClientConnection, StdStream } from '../../../src/engine/streams.js'
import { bed } from '../fakes/api-bed.js'

function connection(): ClientConnection & { got: string } {
  let close!: () => void
  const closed = new Promise<void>((r) => (close = r))
  const conn = {
    got: '',
    input: Readable.from([]),
    closed,
    write(_stream: StdStream, data: Buffer) {
      conn.got += data.toString()
    },
    end() {
      close()
    },
  }
  return conn
}

t.test('run --rm attached: the output of a container that ends at once is delivered before its removal (20 runs)', async (t) => {
  const { engine, runtime } = await bed(t)
  let lost = 0
  for (let i = 0; i < 20; i++) {
    const name = `once-${i}`
    const { Id } = await engine.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, name)
    const conn = connection()
    // As the CLI: the wait and the attachment go in before the start; the attachment's stream
    // runs on its own (the engine's side of a hijacked connection).
    const w = engine.wait(name, 'removed')
    const attached = engine.attach(name, () => conn, { stream: true, logs: false, stdin: false, stdout: true, stderr: true })
    await engine.start(name)
    runtime.output(engine.find(name), 'stdout', `hello ${i}\n`)
    runtime.exit(Id, 0)
    t.same(await w.result, { StatusCode: 0, Error: null })
    await attached
    if (conn.got !== `hello ${i}\n`) lost++
  }
  t.equal(lost, 0, `no run lost its output (${lost} of 20 did)`)
})

t.test('run --rm attached: the stream ends as soon as the exit is known, while the runtime is still being deleted', async (t) => {
  const { engine, runtime } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, 'slow-delete')
  const conn = connection()
  const w = engine.wait('slow-delete', 'removed')
  const attached = engine.attach('slow-delete', () => conn, { stream: true, logs: false, stdin: false, stdout: true, stderr: true })
  await engine.start('slow-delete')
  runtime.output(engine.find('slow-delete'), 'stdout', 'bye\n')
  // The runtime's delete waits for the shim's end (1-4 ms on the real one): here, until released.
  let release!: () => void
  runtime.cleanupHold = new Promise<void>((r) => (release = r))
  runtime.exit(Id, 0)
  const first = await Promise.race([
    attached.then(() => 'the attach stream ended'),
    w.result.then(() => 'the wait answered'),
    new Promise((r) => setTimeout(r, 2000)).then(() => 'neither, within 2 s'),
  ])
  t.equal(first, 'the attach stream ended', "the log follower's last look does not wait for the runtime's delete")
  t.equal(conn.got, 'bye\n', 'with all of the output')
  runtime.cleanupHold = undefined
  release()
  t.same(await w.result, { StatusCode: 0, Error: null }, 'the wait answers once the container is removed')
})
