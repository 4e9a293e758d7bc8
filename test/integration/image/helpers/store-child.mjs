// A separate tocker process working on a store, for the store tests (concurrency, kill -9).
// Uses the compiled store (dist/, built by `npx tsc -p .`).
//   node store-child.mjs add ROOT LAYER_FILE DIFFID [stall]
// Prints "started" once the unpack has begun, then the result of addLayer as JSON. With "stall",
// the stream stops forever after the first megabyte (the parent kills the process).
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { ImageStore } from '../../../../dist/src/image/store.js'

const [cmd, root, file, diffID, mode] = process.argv.slice(2)
if (cmd !== 'add') throw new Error(`unknown command ${cmd}`)
const store = new ImageStore(root)

async function* source() {
  let sent = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    yield chunk
    sent += chunk.length
    if (sent === chunk.length) process.stdout.write('started\n')
    if (mode === 'stall' && sent >= 1 << 20) await new Promise(() => {})
  }
}

const body = Readable.from(source(), { objectMode: false })
try {
  const r = await store.addLayer({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:' + '0'.repeat(64), size: 0 }, diffID, body)
  process.stdout.write(JSON.stringify({ result: r }) + '\n')
} catch (err) {
  process.stdout.write(JSON.stringify({ error: err.message, code: err.code }) + '\n')
  process.exitCode = 1
}
