// drained(): the one back-pressure wait of the API's output streams (logs, attach, exec, build):
// it waits while the writer's buffer is over its high-water mark, and not for a writer that is gone.
import { Writable } from 'node:stream'
import t from 'tap'
import { drained } from '../../../src/api/streams.js'

/** A writer that holds each chunk until release() (a slow client), with a 4-byte buffer. */
function slowWriter() {
  const pending: (() => void)[] = []
  const w = new Writable({ highWaterMark: 4, write: (_chunk, _enc, cb) => void pending.push(cb) })
  return { w, release: () => pending.splice(0).forEach((cb) => cb()) }
}

const state = (p: Promise<void>) => Promise.race([p.then(() => 'resolved'), new Promise((r) => setTimeout(() => r('waiting'), 20))])

t.test('resolves at once while there is room', async (t) => {
  const { w } = slowWriter()
  w.write('ab')
  t.equal(await state(drained(w)), 'resolved')
})

t.test('waits while the buffer is full, until the drain', async (t) => {
  const { w, release } = slowWriter()
  w.write('abcdefgh')
  const p = drained(w)
  t.equal(await state(p), 'waiting', 'the client has not read yet')
  release()
  t.equal(await state(p), 'resolved', 'drained')
  t.equal(w.listenerCount('drain') + w.listenerCount('close'), 0, 'its listeners are gone')
})

t.test('a writer that goes away releases the wait; a gone writer never waits', async (t) => {
  const { w } = slowWriter()
  w.on('error', () => {})
  w.write('abcdefgh')
  const p = drained(w)
  w.destroy()
  t.equal(await state(p), 'resolved', 'closed while waiting')
  t.equal(await state(drained(w)), 'resolved', 'already destroyed')
})

// attach opens its connection (the 101) only once the stream's start is placed (85c5790): a client
// can be gone by then. Its sink must say so, or the engine follows the log for nobody until the
// container ends (its `closed` listened for a 'close' that had already been emitted).
t.test('connectionSink of a connection already closed: closed resolves, writes are dropped', async (t) => {
  const { Duplex } = await import('node:stream')
  const { connectionSink } = await import('../../../src/api/streams.js')
  const written: Buffer[] = []
  const conn = new Duplex({ read() {}, write: (chunk, _enc, cb) => void (written.push(chunk), cb()) })
  conn.destroy()
  await new Promise((r) => setImmediate(r)) // its 'close' has been emitted
  const sink = connectionSink(conn, true)
  t.equal(await state(sink.closed), 'resolved', 'the client is known to be gone')
  sink.write('stdout', Buffer.from('x'))
  sink.end()
  t.same(written, [], 'nothing written to it')
})
