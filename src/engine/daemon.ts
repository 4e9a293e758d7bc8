// tockerd: the engine process. Takes the root's engine lock (one engine per store), listens on its
// unix socket (mode 0600: root only, like Docker's), writes its pid file, re-adopts containers,
// and serves until SIGTERM/SIGINT. Stopping the engine never stops containers: their shims keep
// running and the next engine adopts them.
import { chmodSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createApiServer } from '../api/server.js'
import { engineAddress } from '../api/socket.js'
import { TockerError } from '../errors.js'
import { tryLock } from '../sys/lock.js'
import type { ImageBackend, NetworkBackend, RuntimeBackend } from './backend.js'
import { Engine } from './engine.js'

export interface DaemonOptions {
  root: string
  host?: string
  debug?: boolean
  version?: string
  /** Called once the socket answers (for tests and the CLI's auto-start). */
  onReady?: (socket: string) => void
}

export async function loadBackends(root: string): Promise<{ images: ImageBackend; runtime: RuntimeBackend; network?: NetworkBackend }> {
  const [{ createImageBackend }, { createRuntimeBackend }, net] = await Promise.all([
    import('./image-backend.js'),
    import('./runtime-backend.js'),
    import('./network-backend.js' as string).catch(() => undefined) as Promise<{ createNetworkBackend(root: string): Promise<NetworkBackend> } | undefined>,
  ])
  return { images: await createImageBackend(root), runtime: await createRuntimeBackend(root), network: await net?.createNetworkBackend(root) }
}

export async function runDaemon(o: DaemonOptions): Promise<number> {
  const { socket, pidFile } = engineAddress(o.root, o.host)
  mkdirSync(o.root, { recursive: true, mode: 0o711 })
  // One engine per store: a flock, which the kernel drops when this process dies (even by -9).
  const lock = tryLock(join(o.root, 'locks', 'tockerd.lock'))
  if (!lock) {
    // Two CLIs auto-starting at once: the second engine bows out quietly, the first one serves.
    if (process.env.TOCKER_AUTOSTARTED === '1') return 0
    throw new TockerError(`another tocker engine is already running for ${o.root}`, { hint: `its pid is in ${pidFile}` })
  }

  // One client's broken connection must not take every container's engine down: log and go on.
  process.on('uncaughtException', (err) => process.stderr.write(`tockerd: unexpected error (continuing): ${err.stack ?? err}\n`))
  process.on('unhandledRejection', (err) => process.stderr.write(`tockerd: unhandled rejection (continuing): ${(err as Error)?.stack ?? err}\n`))

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
