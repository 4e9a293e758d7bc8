// Preloaded (node --import) into the engine by test/bench/run-profile.mjs when TOCKER_BENCH_PROFILE
// names a file (the CLI preloads profile-hook-cli.cjs with -r: that file says why): appends one JSON
// line per event, stamped with the machine's clock (performance.timeOrigin + now(), so the CLI's and
// the engine's stamps compare). Nothing in src/ knows about it: the client's connections (net, in
// profile-hook-cli.cjs) and the server's HTTP are wrapped, and in the engine the prototypes of the
// phases' classes (lifecycle, runtime, network, exit monitor, removal). With
// TOCKER_BENCH_PROFILE_TRACE=1 the engine also subscribes to the trace layer (kernel steps with
// their durations; subscribing makes the tracing itself cost a little).
import http from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// The events both sides write, and the CLI's hook (the CLI preloads that file alone, with -r).
const { record } = createRequire(import.meta.url)('./profile-hook-cli.cjs')
const now = () => performance.timeOrigin + performance.now()

if (process.env.TOCKER_BENCH_PROFILE && process.argv.includes('daemon')) await hookEngine()

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
  span(EngineNetwork, 'prepareStart', 'network reserve (before the runtime create)')
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
