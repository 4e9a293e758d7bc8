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
  // The CLI's client (src/api/http1.ts) opens one connection per request with net.connect and
  // writes the request line first; node:http (a baseline's CLI) goes through net.createConnection.
  // (node:net loads here, after 'preload': the CLI would load it for its first request anyway.)
  const net = require('node:net')
  const connect = net.connect
  net.connect = net.createConnection = function(...args) {
    const socket = connect.apply(this, args)
    let name
    const write = socket.write
    socket.write = function(chunk, ...rest) {
      if (name === undefined) {
        const [method, path] = Buffer.from(chunk).subarray(0, 512).toString('latin1').split('\r\n')[0].split(' ')
        name = `${method} ${(path ?? '').split('?')[0].replace(/[0-9a-f]{64}/, '{id}')}`
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
  // An ES module's `import { connect } from 'node:net'` (the tree, TOCKER_NO_BUNDLE) sees the
  // wrapped one only after this (node:module costs the bundle's CLI nothing it would not load).
  if (process.env.TOCKER_NO_BUNDLE) require('node:module').syncBuiltinESMExports()
}
