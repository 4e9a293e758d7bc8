// Preloaded (node --import) into the CLI and the engine by test/bench/run-profile.mjs when
// TOCKER_BENCH_PROFILE names a file: appends one JSON line per event, stamped with the machine's
// clock (performance.timeOrigin + now(), so the CLI's and the engine's stamps compare). Nothing in
// src/ knows about it: the client's connections (net) and the server's HTTP are wrapped here, and in the engine the
// prototypes of the phases' classes (lifecycle, runtime, network, exit monitor, removal). With
// TOCKER_BENCH_PROFILE_TRACE=1 the engine also subscribes to the trace layer (kernel steps with
// their durations; subscribing makes the tracing itself cost a little).
import { appendFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { syncBuiltinESMExports } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

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

if (FILE) {
  // Node's own start: the process began at timeOrigin; bootstrapComplete is relative to it.
  record('process-start', { t: performance.timeOrigin, bootstrap: performance.nodeTiming.bootstrapComplete })
  record('preload')
  if (isEngine) await hookEngine()
  else hookClient()
  process.on('exit', () => {
    record('exit')
    flush()
  })
}

function hookClient() {
  // The CLI's client (src/api/http1.ts) opens one connection per request with net.connect and
  // writes the request line first; node:http (a baseline's CLI) goes through net.createConnection.
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
    socket.once('close', () => record('res-end', { name }))
    return socket
  }
  // An ES module's `import { connect } from 'node:net'` (the tree, TOCKER_NO_BUNDLE): the wrapped one.
  syncBuiltinESMExports()
}

async function hookEngine() {
  const emit = http.Server.prototype.emit
  http.Server.prototype.emit = function(type, req, resOrSocket) {
    if (type === 'request' || type === 'upgrade') {
      const name = `${req.method} ${req.url.split('?')[0].replace(/[0-9a-f]{64}/, '{id}')}`
      record('srv-req', { name })
      if (type === 'request') resOrSocket.once('finish', () => record('srv-res', { name }))
    }
    return emit.apply(this, arguments)
  }
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src')
  const load = (p) => import(pathToFileURL(join(dist, p)).href)
  const span = (cls, method, name) => {
    const orig = cls.prototype[method]
    if (typeof orig !== 'function') throw new Error(`profile-hook: ${cls.name}.${method} is gone (update test/bench/profile-hook.mjs)`)
    cls.prototype[method] = async function(...args) {
      const t0 = now()
      try {
        return await orig.apply(this, args)
      } finally {
        record('span', { name, t0 })
      }
    }
  }
  const [{ Lifecycle }, { EngineRuntime }, { EngineNetwork }, { ExitMonitor }, { Removal }, { ContainerTable }, trace] = await Promise.all([
    load('engine/lifecycle.js'),
    load('engine/runtime-backend.js'),
    load('engine/network-backend.js'),
    load('engine/exits.js'),
    load('engine/removal.js'),
    load('engine/container-table.js'),
    load('trace/trace.js'),
  ])
  span(Lifecycle, 'create', 'engine create')
  span(EngineRuntime, 'prepare', 'runtime prepare (bundle, files)')
  span(Lifecycle, 'start', 'engine start')
  span(EngineRuntime, 'create', 'runtime create (shim, namespaces, rootfs, gate)')
  span(EngineNetwork, 'attach', 'network attach')
  span(EngineRuntime, 'begin', 'runtime begin (gate released)')
  span(ExitMonitor, 'processExit', 'exit recorded (incl. release, cleanup)')
  span(EngineNetwork, 'release', 'network release')
  span(EngineRuntime, 'cleanup', 'runtime cleanup (delete)')
  span(Removal, 'remove', 'removal (--rm, rm)')
  span(Removal, 'finish', 'removal finish (release, cleanup, rm -rf)')
  span(ContainerTable, 'save', 'record written (fsync, off the main thread)')
  span(ContainerTable, 'settled', 'removal waits for record writes under way')
  if (process.env.TOCKER_BENCH_PROFILE_TRACE === '1') {
    trace.onTrace((e) => record('trace', { kind: e.kind, op: e.op, ms: e.ms ?? 0, detail: e.detail.slice(0, 80) }))
  }
}
