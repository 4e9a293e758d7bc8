// The unpacking thread: runs unpackLayer (gunzip, DiffID hash, tar reader, layer writer, tar-split)
// for layers whose compressed bytes arrive from the main thread (see unpack-thread.ts for the
// protocol), or for layers it reads itself from a directory (a build step's or a commit's upper
// directory, dir-tar.ts). The layer writer's synchronous file-system calls run here, never on the engine's main
// thread, and two layers unpack on two cores at once.
import { PassThrough, Readable } from 'node:stream'
import { parentPort } from 'node:worker_threads'
import { TockerError } from '../../errors.js'
import { onTrace } from '../../trace/trace.js'
import { dirTar, type DirTarStats } from '../diff/dir-tar.js'
import { errorToWire, type FromWorker, type ToWorker } from './unpack-protocol.js'
import { unpackLayer } from './unpack.js'

const port = parentPort
if (!port) throw new TockerError('unpack-worker.js is a worker thread: load it with new Worker()', { code: 'ENOTWORKER', internal: true })

let current: { id: number; source: PassThrough; input: Readable } | undefined
const post = (m: FromWorker): void => port.postMessage(m)

port.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    // The source is bounded: the main thread sends only so much ahead of the acknowledgements.
    const source = new PassThrough({ highWaterMark: 1 << 20 })
    // A layer made here (a build step, a commit): this thread reads the directory too, so neither the
    // directory walk nor the unpack runs on the engine's main thread.
    const dirStats: DirTarStats | undefined = m.fromDir ? { entries: 0, whiteouts: 0, opaqueDirs: 0, size: 0 } : undefined
    const input = m.fromDir ? Readable.from(dirTar(m.fromDir.dir, dirStats, { overlay: m.fromDir.overlay }), { objectMode: false }) : source
    const job = { id: m.id, source, input }
    current = job
    const stopTrace = m.trace ? onTrace((event) => post({ type: 'trace', id: job.id, event })) : undefined
    unpackLayer(input, m.layerDir, m.opts)
      .then(
        (result) => post({ type: 'done', id: job.id, result, dirStats }),
        (err: unknown) => post({ type: 'error', id: job.id, error: errorToWire(err) }),
      )
      .finally(() => {
        stopTrace?.()
        if (current === job) current = undefined
      })
    return
  }
  // Messages of a job that already ended (it failed while the main thread was still sending) are dropped.
  const job = current
  if (!job || job.id !== m.id) return
  switch (m.type) {
    case 'data': {
      const bytes = m.chunk.byteLength
      job.source.write(Buffer.from(m.chunk), () => post({ type: 'ack', id: job.id, bytes }))
      break
    }
    case 'end':
      job.source.end()
      break
    case 'fail':
      // The main thread's stream failed (a digest mismatch, a broken connection, an abort): stop
      // here; unpackLayer closes what it opened and reports back, then the caller removes the layer.
      job.input.destroy(new TockerError(m.message, { code: 'EUNPACKINPUT', internal: true }))
      break
  }
})
