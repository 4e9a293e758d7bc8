// tockerd: the engine process (the engine behind its API server). Takes the root's engine lock (one engine per store), listens on its
// unix socket (mode 0600: root only, like Docker's), writes its pid file, re-adopts containers,
// and serves until SIGTERM/SIGINT. Stopping the engine never stops containers: their shims keep
// running and the next engine adopts them.
import { chmodSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createApiServer } from './server.js'
import { engineAddress } from './socket.js'
import { TockerError } from '../errors.js'
import { tryLock } from '../sys/lock.js'
import type { NetworkBackend, RuntimeBackend } from '../engine/backend.js'
import { Engine } from '../engine/engine.js'

export interface DaemonOptions {
  root: string
  host?: string
  debug?: boolean
  version?: string
  /** Called once the socket answers (for tests and the CLI's auto-start). */
  onReady?: (socket: string) => void
}

/**
 * The runtime and the network. A network layer that fails to load is an engine that cannot
 * start, never an engine without networking (where `-p` would be silently ignored).
 */
export async function loadBackends(root: string): Promise<{ runtime: RuntimeBackend; network: NetworkBackend }> {
  const [{ createRuntimeBackend }, net] = await Promise.all([
    import('../engine/runtime-backend.js'),
    import('../engine/network-backend.js').catch((err: Error) => {
      throw new TockerError(`cannot load the network layer: ${err.message}`, { code: 'EINTERNAL', cause: err, hint: 'The tocker installation is incomplete: rebuild it (npm run build).' })
    }),
  ])
  return { runtime: await createRuntimeBackend(root), network: await net.createNetworkBackend(root) }
}

export async function runDaemon(o: DaemonOptions): Promise<number> {
  const { socket, pidFile } = engineAddress(o.root, o.host)
  mkdirSync(o.root, { recursive: true, mode: 0o711 })
  // One engine per store: a flock, which the kernel drops when this process dies (even by -9).
  const lock = tryLock(join(o.root, 'locks', 'tockerd.lock'))
  if (!lock) {
    // Two CLIs auto-starting at once: the second engine bows out quietly, the first one serves.
    if (process.env.TOCKER_AUTOSTARTED === '1') return 0
    throw new TockerError(`another tocker engine is already running for ${o.root}`, { code: 'EBUSY', hint: `its pid is in ${pidFile}` })
  }

  // An exception nobody caught means the engine's state may be half-changed: going on could act
  // on it (release a live container's network, delete layers). So the engine logs it and stops;
  // containers keep running under their shims, and the next engine (the CLI starts one) re-adopts
  // them from their records. A client's broken connection is not such an error: sockets have their
  // own error handlers (api/server.ts).
  let removeFiles = () => {}
  const onFatal = (what: string) => (err: unknown) => {
    process.stderr.write(`tockerd: ${what}, stopping the engine: ${(err as Error)?.stack ?? err}\n`)
    removeFiles()
    process.exit(70) // EX_SOFTWARE; the kernel drops the engine lock with the process
  }
  process.on('uncaughtException', onFatal('unexpected error'))
  process.on('unhandledRejection', onFatal('unhandled rejection'))

  const backends = await loadBackends(o.root)
  const engine = new Engine({ root: o.root, ...backends, version: o.version, debug: o.debug })
  await engine.init()

  const server = createApiServer(engine, { debug: o.debug })
  mkdirSync(dirname(socket), { recursive: true, mode: 0o711 })
  // A socket file left by a killed engine: we hold the lock, so nobody else is listening on it.
  rmSync(socket, { force: true })
  const oldUmask = process.umask(0o177)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socket, () => resolve())
  })
  process.umask(oldUmask)
  chmodSync(socket, 0o600)
  mkdirSync(dirname(pidFile), { recursive: true })
  writeFileSync(pidFile, `${process.pid}\n`)
  removeFiles = () => {
    rmSync(socket, { force: true })
    rmSync(pidFile, { force: true })
  }
  if (o.debug) process.stderr.write(`tockerd: listening on unix://${socket} (root ${o.root}, pid ${process.pid})\n`)
  o.onReady?.(socket)

  return new Promise<number>((resolve) => {
    const shutdown = async () => {
      server.close()
      await engine.close()
      try {
        unlinkSync(socket)
      } catch {
        /* already gone */
      }
      rmSync(pidFile, { force: true })
      lock.release()
      resolve(0)
      // Open hijacked connections (attach, logs -f) would keep the process alive.
      setTimeout(() => process.exit(0), 200).unref()
    }
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
    process.once('SIGHUP', shutdown)
  })
}
