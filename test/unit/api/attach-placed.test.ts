// attach's "101 UPGRADED" goes out only once the engine has placed the stream's start. Docker's CLI
// (and ours) starts the container as soon as it has the 101: a 101 sent before the engine had
// found the end of the container's old log (an open and a read through the thread pool) let a
// restarted container (`start -a`, `restart` then `attach`) write first, and what it wrote was
// taken for old output and skipped. Here the client writes the "new run's" line into the log the
// moment the 101 arrives, as a container started on it would: the line must reach the client.
// Without root: the real API server and Engine over the recording fake runtime.
import { connect } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { bed } from '../fakes/api-bed.js'

t.test('start -a of a container that ran before: output written right after the 101 is delivered (10 runs)', async (t) => {
  const { root, runtime, engine, create } = await bed(t)
  const id = await create('again')
  const rec = () => engine.find('again')
  // A first run that leaves 200 lines in the log: the end of an old log takes a few reads to find.
  await engine.start('again')
  for (let i = 0; i < 200; i++) runtime.output(rec(), 'stdout', `old ${i}\n`)
  runtime.exit(id, 0)
  await engine.wait('again', 'not-running').result
  let lost = 0
  for (let run = 0; run < 10; run++) {
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect(join(root, 'api.sock'))
      let head = ''
      let body = Buffer.alloc(0)
      let upgraded = false
      s.on('error', reject)
      s.on('data', (d: Buffer) => {
        if (!upgraded) {
          head += d.toString('latin1')
          const end = head.indexOf('\r\n\r\n')
          if (end < 0) return
          upgraded = true
          if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`not upgraded: ${head}`))
          // The client has its 101: it starts the container, which writes at once.
          runtime.output(rec(), 'stdout', `new ${run}\n`)
          body = Buffer.from(head.slice(end + 4), 'latin1')
          void engine.start('again').then(() => setTimeout(() => runtime.exit(id, 0), 20), reject)
          return
        }
        body = Buffer.concat([body, d])
      })
      s.on('end', () => {
        // Docker's multiplexed frames: 8-byte header, then the payload.
        let text = ''
        for (let o = 0; o + 8 <= body.length;) {
          const n = body.readUInt32BE(o + 4)
          text += body.subarray(o + 8, o + 8 + n).toString()
          o += 8 + n
        }
        resolve(text)
      })
      s.write(`POST /containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`)
    })
    if (got !== `new ${run}\n`) lost++
    t.notMatch(got, /old/, 'nothing of the earlier runs')
    await engine.wait('again', 'not-running').result
  }
  t.equal(lost, 0, `every run's first line arrived (${lost} of 10 lost)`)
})
