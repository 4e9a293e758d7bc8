// attach then start of an --rm container: all its output reaches the attached client, even when
// the container ends, and is removed, before the engine's side of the attachment has found its log.
// The removal moves the container's directory (its log with it) away; a log follower that had not
// yet opened the file (it was still placing its start when the container was started, ran, ended)
// found nothing and ended the stream empty: `run --rm … echo` printed nothing, 1 run in ~100 under
// load (the final CI: commit-options, docs/guide-2). The removal now waits for the container's
// attach streams to deliver what is in the log (a client that does not read holds it only up to a
// bound). Without root: the real Engine over the recording fake runtime.
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
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

/** As the CLI's run --rm: create, wait (removed) and attach before the start, then start. */
async function attachedRun(t: Test, name: string) {
  const { engine, runtime } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, name)
  const conn = connection()
  const w = engine.wait(name, 'removed')
  const attached = engine.attach(name, () => conn, { stream: true, logs: false, stdin: false, stdout: true, stderr: true })
  await engine.start(name)
  return { runtime, rec: engine.find(name), Id, conn, w, attached }
}

t.test('run --rm attached: the stream ends as soon as the exit is known, while the runtime is still being deleted', async (t) => {
  const { runtime, rec, Id, conn, w, attached } = await attachedRun(t, 'slow-delete')
  runtime.output(rec, 'stdout', 'bye\n')
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

t.test("run --rm attached: after the exit the stream's last look and its end do not wait for libuv's pool", async (t) => {
  const { runtime, rec, Id, conn, w, attached } = await attachedRun(t, 'busy-pool')
  runtime.output(rec, 'stdout', 'first\n')
  for (let i = 0; i < 200 && conn.got !== 'first\n'; i++) await new Promise((r) => setTimeout(r, 10))
  t.equal(conn.got, 'first\n', 'the follower delivered what was written while it ran')
  // Every pool thread blocked: each opens a FIFO nobody writes to (a thread per open, until a writer comes).
  const dir = mkdtempSync(join(tmpdir(), 'tocker-busy-pool-'))
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4)
  const fifos = Array.from({ length: threads }, (_, i) => join(dir, `f${i}`))
  for (const f of fifos) execFileSync('mkfifo', [f])
  const blocked = fifos.map((f) => open(f, 'r'))
  try {
    await new Promise((r) => setTimeout(r, 50)) // the opens have taken the threads
    runtime.output(rec, 'stdout', 'last\n')
    runtime.exit(Id, 0)
    const first = await Promise.race([attached.then(() => 'ended'), new Promise((r) => setTimeout(r, 2000)).then(() => 'still waiting after 2 s')])
    t.equal(first, 'ended', 'the stream ended with the pool busy')
    t.equal(conn.got, 'first\nlast\n', 'with all of the output')
  } finally {
    // A writer for each FIFO lets its open finish: the threads are free again.
    const writers = fifos.map((f) => openSync(f, 'w'))
    for (const h of await Promise.all(blocked)) await h.close()
    for (const fd of writers) closeSync(fd)
    rmSync(dir, { recursive: true })
  }
  t.same(await w.result, { StatusCode: 0, Error: null })
})
