// The CLI's half of test/bench/profile-hook.mjs, preloaded with `node -r` (CommonJS) by
// test/bench/run-profile.mjs when TOCKER_BENCH_PROFILE names a file. Not with --import: any
// --import makes Node 20 run the main script (bin/tocker, CommonJS) through its ES module loader,
// which cost the profiled CLI ~12 ms of CPU that `tocker` itself never spends (measured: `node
// --import empty.mjs bin/tocker ps` against `node bin/tocker ps`, 20 interleaved runs), and the
// .mjs hook loaded node:http into it too. The engine (`daemon`) keeps the .mjs hook, which loads
// this file for the events both write (one JSON line each, stamped with the machine's clock:
// performance.timeOrigin + now(), so the CLI's and the engine's stamps compare).
'use strict'
const { appendFileSync } = require('node:fs')

const FILE = process.env.TOCKER_BENCH_PROFILE
const now = () => performance.timeOrigin + performance.now()
const isEngine = process.argv.includes('daemon')
const who = isEngine ? 'engine' : 'cli'

// Written later, never from inside the event: the engine calls traced code while its main thread
// is in a container's mount namespace, where FILE does not exist.
let pending = []
function flush() {
  if (pending.length) appendFileSync(FILE, pending.join(''))
  pending = []
}
function record(ev, extra = {}) {
  if (!pending.length && isEngine) setImmediate(flush)
  pending.push(JSON.stringify({ who, pid: process.pid, t: now(), ev, ...extra }) + '\n')
}
module.exports = { record }

if (FILE) {
  // Node's own start: the process began at timeOrigin; bootstrapComplete is relative to it.
  record('process-start', { t: performance.timeOrigin, bootstrap: performance.nodeTiming.bootstrapComplete })
  record('preload')
  if (!isEngine) hookClient()
  process.on('exit', () => {
    record('exit')
    flush()
  })
}

function hookClient() {
  hookNet()
  hookPipe()
}

/** The request's name from its first bytes: "POST /containers/{id}/start". */
function requestName(chunk) {
  const [method, path] = Buffer.from(chunk).subarray(0, 512).toString('latin1').split('\r\n')[0].split(' ')
  return `${method} ${(path ?? '').split('?')[0].replace(/[0-9a-f]{64}/, '{id}')}`
}

/**
 * The CLI's whole requests on libuv's pipe handle (src/api/unix-pipe.ts): the request is one
 * writeBuffer, its answer the reads that follow (the end: EOF, or the CLI's close once the answer
 * is whole). Hooked on the binding's prototype, without loading node:net (the CLI may never load it).
 */
function hookPipe() {
  let Pipe
  try {
    Pipe = process.binding('pipe_wrap').Pipe
  } catch {
    return // a Node without it: the CLI uses node:net, hooked below
  }
  const writeBuffer = Pipe.prototype.writeBuffer
  const close = Pipe.prototype.close
  Pipe.prototype.writeBuffer = function(req, data) {
    // A net.Socket's own handle (its reads go to node:net's onStreamRead): hookNet sees it.
    if (this.onread?.name === 'onStreamRead') return writeBuffer.call(this, req, data)
    const name = requestName(data)
    record('req', { name })
    const onread = this.onread
    let first = true
    let ended = false
    this.onread = function(ab) {
      if (first) {
        first = false
        const status = Number(Buffer.from(ab ?? new ArrayBuffer(0)).toString('latin1', 9, 12))
        record('res-head', { name, status })
      }
      return onread.call(this, ab)
    }
    this.close = function(...args) {
      if (!ended) {
        ended = true
        record('res-end', { name })
      }
      return close.apply(this, args)
    }
    return writeBuffer.call(this, req, data)
  }
}

/**
 * node:net's connections (streams, hijacks, spares; a baseline's every request), hooked when the
 * CLI first requires node:net, so that the profiled CLI loads it when it would anyway.
 */
function hookNet() {
  const Module = module.constructor // node:module's Module, without requiring node:module
  const load = Module._load
  Module._load = function(request, ...rest) {
    const exports = load.call(this, request, ...rest)
    if ((request === 'node:net' || request === 'net') && !exports.__tockerHooked) {
      exports.__tockerHooked = true
      hookNetModule(exports)
    }
    return exports
  }
  // An ES module's `import { connect } from 'node:net'` (the tree, TOCKER_NO_BUNDLE) does not come
  // through require: hooked now for it.
  if (process.env.TOCKER_NO_BUNDLE) {
    hookNetModule(require('node:net'))
    require('node:module').syncBuiltinESMExports()
  }
}

function hookNetModule(net) {
  // The CLI's client (src/api/http1.ts) opens one connection per request with net.connect and
  // writes the request line first; node:http (a baseline's CLI) goes through net.createConnection.
  const connect = net.connect
  net.connect = net.createConnection = function(...args) {
    const socket = connect.apply(this, args)
    let name
    const write = socket.write
    socket.write = function(chunk, ...rest) {
      if (name === undefined) {
        name = requestName(chunk)
        record('req', { name })
      }
      return write.call(this, chunk, ...rest)
    }
    socket.once('data', (d) => {
      const status = Number(d.toString('latin1', 9, 12))
      record(status === 101 ? 'res-upgrade' : 'res-head', { name, status })
    })
    // The answer's end: the engine's FIN (it closes after each answer), or the close when the CLI
    // closes first. The CLI does not close a connection whose answer is in (api/http1.ts, letGo).
    let ended = false
    const end = () => ended || ((ended = true), record('res-end', { name }))
    socket.once('end', end)
    socket.once('close', end)
    return socket
  }
}
