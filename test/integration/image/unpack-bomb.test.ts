// A decompression bomb: a layer of a few hundred KiB that inflates to 256 MiB. The unpack streams it
// (gzip → tar reader → file) with backpressure, so memory stays bounded whatever the ratio; the
// disk is what it costs, as in Docker (a registry declares only the compressed size, which the pull
// enforces exactly). Measured here: the process's RSS while it unpacks.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import t from 'tap'
import { unpackLayer } from '../../../src/image/unpack/unpack.js'

const SIZE = 256 << 20
const work = mkdtempSync(join(tmpdir(), 'tocker-unpack-bomb-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

/** The tar of one file of SIZE zero bytes, produced as a stream (never whole in memory). */
function zeroTar(): Readable {
  const header = Buffer.alloc(512)
  header.write('zeros', 0, 'latin1')
  header.write('0000644\0', 100, 'latin1')
  header.write('0000000\0', 108, 'latin1')
  header.write('0000000\0', 116, 'latin1')
  header.write(SIZE.toString(8).padStart(11, '0') + '\0', 124, 'latin1')
  header.write('00000000000\0', 136, 'latin1')
  header.write('0', 156, 'latin1')
  header.write('ustar\0' + '00', 257, 'latin1')
  header.fill(0x20, 148, 156)
  let sum = 0
  for (const b of header) sum += b
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return Readable.from(
    (function*() {
      yield header
      const mib = Buffer.alloc(1 << 20)
      for (let i = 0; i < SIZE >> 20; i++) yield mib
      yield Buffer.alloc(1024)
    })(),
  )
}

t.test('a 256 MiB gzip bomb unpacks with bounded memory', async (t) => {
  // Compress first (into memory: it is small), then unpack from that.
  const parts: Buffer[] = []
  const sink = new PassThrough()
  sink.on('data', (d: Buffer) => parts.push(d))
  await pipeline(zeroTar(), createGzip(), sink)
  const gz = Buffer.concat(parts)
  t.ok(gz.length < 1 << 20, `${(gz.length / 1024).toFixed(0)} KiB compressed for ${SIZE >> 20} MiB`)
  global.gc?.()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const dir = join(work, 'layer')
  mkdirSync(dir)
  try {
    const r = await unpackLayer(Readable.from([gz]), dir, {})
    t.equal(r.tarSize, SIZE + 1536, 'the whole tar went through')
  } finally {
    clearInterval(timer)
  }
  t.equal(statSync(join(dir, 'diff', 'zeros')).size, SIZE, 'the file is complete on disk')
  const grew = (peak - base) / 1048576
  t.ok(grew < 96, `RSS grew by ${grew.toFixed(0)} MiB while inflating ${SIZE >> 20} MiB`)
})
