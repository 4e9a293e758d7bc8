// unpackLayer in a worker thread. The main thread (the engine's event loop) only moves the layer's
// compressed bytes, as they arrive from the registry, to an unpacking thread (unpack-worker.ts);
// gunzip, the DiffID hash, the tar reader and every file-system call of the layer writer run there.
// Why (measured, test/bench/pull-profile.mjs): in the main thread those synchronous calls blocked the
// engine for the whole unpack, and the layers of a pull, downloaded in parallel, were written one
// after another on one core.
//
// Flow control: at most HIGH_WATER bytes are on their way to the thread or in it; the body is paused
// above that and resumed as the thread acknowledges what it took in. Bytes are sent in batches of
// BATCH (one message per ~256 KiB, not per socket read).
//
// Failure: when the body fails (digest mismatch, broken connection, abort) the thread is told to
// stop, and the promise rejects with the body's own error only once the thread reported that it
// stopped writing and closed its files: the caller may then remove the layer directory safely.
// Threads are kept for the next layer (at most POOL_SIZE idle ones, unref'd so that they never keep
// a process alive).
import type { Readable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import { TockerError } from '../../errors.js'
import { isTracing, report } from '../../trace/trace.js'
import { layerCompression } from './decompress.js'
import type { DirTarStats } from '../diff/dir-tar.js'
import { errorFromWire, type FromDir, type FromWorker, type ToWorker } from './unpack-protocol.js'
import type { UnpackOptions, UnpackResult } from './unpack.js'

const HIGH_WATER = 8 << 20
const BATCH = 256 << 10
const POOL_SIZE = 3
/** An idle thread holds a V8 heap of its own (~10 MB): it ends after this long without a layer. */
const IDLE_MS = 15_000

const idle: Worker[] = []
const idleTimers = new Map<Worker, NodeJS.Timeout>()
let nextJob = 0

// Run from the sources (tests load .ts through a loader the worker inherits) or from dist/.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './unpack-worker.ts' : './unpack-worker.js', import.meta.url)

/**
 * The flags of ours a worker may start with: what loads and maps its code (tests' TypeScript loaders
 * must reach it; source maps for its stack traces) and nothing else. Not --input-type (for a script
 * given with -e: the worker would refuse its own file, ERR_INPUT_TYPE_NOT_ALLOWED), not -e/-p, not
 * --inspect (a second debugger on the same port), --cpu-prof, heap limits (workers have their own,
 * resourceLimits) or --require of a preload that expects the main thread.
 */
const WORKER_FLAGS = new Set(['--import', '--experimental-loader', '--loader', '--enable-source-maps', '--conditions', '-C', '--no-warnings', '--experimental-specifier-resolution'])
/** Of those, the ones that take a value (as "--flag value" or "--flag=value"). */
const WITH_VALUE = new Set(['--import', '--experimental-loader', '--loader', '--conditions', '-C', '--experimental-specifier-resolution'])

/** execArgv filtered to WORKER_FLAGS (an allow-list), values kept with their flags. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('-') && eq > 0 ? arg.slice(0, eq) : arg
    // A value-taking flag of any kind written as two words: its value goes with it.
    const takesNext = eq < 0 && arg.startsWith('-') && i + 1 < execArgv.length && !execArgv[i + 1].startsWith('-') && (WITH_VALUE.has(flag) || !WORKER_FLAGS.has(flag))
    if (WORKER_FLAGS.has(flag)) out.push(...(takesNext ? [arg, execArgv[i + 1]] : [arg]))
    if (takesNext) i++
  }
  return out
}

const WORKER_EXEC_ARGV = workerExecArgv(process.execArgv)

function spawnWorker(): Worker {
  const made = new Worker(WORKER_URL, { execArgv: WORKER_EXEC_ARGV })
  // An idle thread that dies is simply not reused (a job's own listeners report it to its caller).
  const drop = () => {
    clearTimeout(idleTimers.get(made))
    idleTimers.delete(made)
    const i = idle.indexOf(made)
    if (i >= 0) idle.splice(i, 1)
  }
  made.on('error', drop)
  made.on('exit', drop)
  return made
}

function acquire(): Worker {
  const w = idle.pop() ?? spawnWorker()
  clearTimeout(idleTimers.get(w))
  idleTimers.delete(w)
  w.ref()
  return w
}

/**
 * Start up to `count` unpacking threads now (a thread takes 70-350 ms to start and load its modules
 * here), so that they are ready when the layers' bytes arrive: a pull calls it before its manifest
 * and config round trips. Threads not used end after IDLE_MS.
 */
export function prewarmUnpackThreads(count: number): void {
  for (let n = idle.length; n < Math.min(count, POOL_SIZE); n++) release(spawnWorker())
}

function release(w: Worker): void {
  if (idle.length < POOL_SIZE) {
    w.unref()
    idle.push(w)
    const timer = setTimeout(() => {
      idleTimers.delete(w)
      const i = idle.indexOf(w)
      if (i >= 0) idle.splice(i, 1)
      void w.terminate()
    }, IDLE_MS)
    timer.unref()
    idleTimers.set(w, timer)
  } else {
    void w.terminate()
  }
}

/** Like unpackLayer (same options, result and errors), with the work done in an unpacking thread. */
export async function unpackLayerInWorker(body: Readable, layerDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  if (opts.mediaType !== undefined) layerCompression(opts.mediaType)
  const worker = acquire()
  const id = ++nextJob
  const send = (m: ToWorker, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer)
  return new Promise<UnpackResult>((resolve, reject) => {
    let inFlight = 0
    let paused = false
    let ended = false
    let bodyError: Error | undefined
    let batch: Buffer[] = []
    let batchLen = 0

    const flush = () => {
      if (batchLen === 0) return
      // A fresh ArrayBuffer holding exactly these bytes, transferred (a view would clone its whole,
      // possibly much larger, backing buffer).
      const bytes = new Uint8Array(batchLen)
      let at = 0
      for (const b of batch) {
        bytes.set(b, at)
        at += b.length
      }
      batch = []
      batchLen = 0
      inFlight += bytes.byteLength
      send({ type: 'data', id, chunk: bytes.buffer }, [bytes.buffer])
      if (inFlight >= HIGH_WATER && !paused) {
        paused = true
        body.pause()
      }
    }
    const onData = (chunk: Buffer) => {
      batch.push(chunk)
      batchLen += chunk.length
      if (batchLen >= BATCH) flush()
    }
    const onEnd = () => {
      ended = true
      flush()
      send({ type: 'end', id })
    }
    const fail = (err: Error) => {
      if (bodyError) return
      bodyError = err
      batch = []
      batchLen = 0
      send({ type: 'fail', id, message: err.message })
    }
    const onError = (err: Error) => fail(err)
    const onClose = () => {
      if (!ended) fail(new TockerError('the layer stream was closed before its end', { code: 'ESTREAMCLOSED', internal: true }))
    }
    const onAbort = () => fail(opts.signal?.reason instanceof Error ? opts.signal.reason : new TockerError('unpack aborted', { code: 'EABORTED', internal: true }))

    const detach = () => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      body.off('close', onClose)
      opts.signal?.removeEventListener('abort', onAbort)
      worker.off('message', onMessage)
      worker.off('error', onWorkerError)
      worker.off('exit', onWorkerExit)
      // The caller destroys the body; an error it raises until then must not go unheard.
      body.on('error', () => {})
    }
    const onMessage = (m: FromWorker) => {
      if (m.id !== id) return
      switch (m.type) {
        case 'ack':
          inFlight -= m.bytes
          if (paused && inFlight <= HIGH_WATER / 2 && !bodyError) {
            paused = false
            body.resume()
          }
          return
        case 'trace':
          report(m.event)
          return
        case 'done':
          detach()
          release(worker)
          if (bodyError) reject(bodyError)
          else if (opts.signal?.aborted) reject(opts.signal.reason)
          else resolve(m.result)
          return
        case 'error':
          detach()
          release(worker)
          // The body's own failure is the cause (the thread only saw "stop"); else the thread's.
          reject(bodyError ?? errorFromWire(m.error))
          // Nobody reads the rest of it.
          if (!bodyError) body.destroy()
          return
      }
    }
    // The thread itself died (out of memory, a bug): it wrote nothing any more; it is not reused.
    const onWorkerError = (err: Error) => {
      detach()
      void worker.terminate()
      body.destroy()
      reject(bodyError ?? new TockerError(`the unpacking thread failed: ${err.message}`, { code: 'EUNPACKTHREAD', cause: err }))
    }
    const onWorkerExit = (code: number) => onWorkerError(new TockerError(`it exited with code ${code}`, { code: 'EWORKEREXIT', internal: true }))

    worker.on('message', onMessage)
    worker.on('error', onWorkerError)
    worker.on('exit', onWorkerExit)
    const { signal, ...rest } = opts
    send({ type: 'start', id, layerDir, opts: rest, trace: isTracing() })
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    body.on('data', onData)
    body.once('end', onEnd)
    body.on('error', onError)
    body.once('close', onClose)
    if (body.destroyed && !ended) fail((body.errored as Error | null) ?? new TockerError('the layer stream was closed before it was read', { code: 'ESTREAMCLOSED', internal: true }))
  })
}

/**
 * A layer made here (a build step's or a commit's upper directory): an unpacking thread reads `dir`
 * as a layer tar (dir-tar.ts) and unpacks that into layerDir, both off the engine's main thread
 * (a RUN that made 20k files used to stall the engine's event loop for the whole walk and unpack).
 * Resolves with the unpack's result and what the walk counted; rejects once the thread stopped
 * writing (the caller then removes layerDir).
 */
export async function layerFromDirInWorker(fromDir: FromDir, layerDir: string): Promise<UnpackResult & { dirStats: DirTarStats }> {
  const worker = acquire()
  const id = ++nextJob
  return new Promise((resolve, reject) => {
    const detach = () => {
      worker.off('message', onMessage)
      worker.off('error', onWorkerError)
      worker.off('exit', onWorkerExit)
    }
    const onMessage = (m: FromWorker) => {
      if (m.id !== id) return
      if (m.type === 'trace') return report(m.event)
      if (m.type === 'done') {
        detach()
        release(worker)
        resolve({ ...m.result, dirStats: m.dirStats! })
      } else if (m.type === 'error') {
        detach()
        release(worker)
        reject(errorFromWire(m.error))
      }
    }
    const onWorkerError = (err: Error) => {
      detach()
      void worker.terminate()
      reject(new TockerError(`the unpacking thread failed: ${err.message}`, { code: 'EUNPACKTHREAD', cause: err }))
    }
    const onWorkerExit = (code: number) => onWorkerError(new TockerError(`it exited with code ${code}`, { code: 'EWORKEREXIT', internal: true }))
    worker.on('message', onMessage)
    worker.on('error', onWorkerError)
    worker.on('exit', onWorkerExit)
    worker.postMessage({ type: 'start', id, layerDir, opts: {}, trace: isTracing(), fromDir } satisfies ToWorker)
  })
}
