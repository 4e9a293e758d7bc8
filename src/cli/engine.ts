// The CLI's way to the engine: a client on the engine's socket, starting the engine in the
// background first when none answers (as a learner would expect from `sudo tocker ps` on a fresh
// machine). Said once on stderr, with the engine's pid, store and log (<root>/tockerd.log, where its
// own output goes). Tests and benchmarks set TOCKER_NO_AUTOSTART=1 (test/run.mjs for every test file).
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { EngineClient, isEngineDown } from '../api/client.js'
import { engineAddress } from '../api/socket.js'
import { TockerError } from '../errors.js'
import type { GlobalOptions } from './context.js'

const STARTUP_TIMEOUT_MS = 15_000

/** A client whose every call first makes sure an engine answers (starting one if needed). */
export async function engineClient(g: GlobalOptions): Promise<EngineClient> {
  const { socket } = engineAddress(g.root, g.host)
  const client = new EngineClient(socket, async () => {
    if (process.env.TOCKER_NO_AUTOSTART === '1') {
      throw new TockerError(`Cannot connect to the tocker engine at unix://${socket}. Is the tocker engine running?`, { code: 'EENGINEDOWN', hint: "Start it with 'tocker daemon'." })
    }
    await startEngine(g, new EngineClient(socket))
  })
  // --explain: the kernel work happens in the engine; it reports ours on a trace session of ours.
  const session = g.explain ? (await import('./explain.js')).explainSession() : undefined
  if (session) await session.follow(client)
  return client
}

async function startEngine(g: GlobalOptions, client: EngineClient): Promise<void> {
  mkdirSync(g.root, { recursive: true, mode: 0o711 })
  const logPath = join(g.root, 'tockerd.log')
  const log = openSync(logPath, 'a', 0o600)
  const bin = (await import('../package-root.js')).packagePath('bin', 'tocker')
  const args = [bin, '--root', g.root, ...(g.host ? ['--host', g.host] : []), ...(g.debug ? ['--debug'] : []), 'daemon']
  // Detached in its own session: the engine must outlive this CLI and its terminal.
  const { spawn } = await import('node:child_process')
  // The message catalogue only here (before the spawn: no await between it and the 'exit' listener).
  const { t } = await import('../i18n/index.js')
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], cwd: '/', env: { ...process.env, TOCKER_AUTOSTARTED: '1' } })
  closeSync(log)
  // Said once, with what to look at (or kill): nobody should find an engine they did not know of.
  process.stderr.write(`${t('engine.starting', { pid: child.pid ?? '?', root: g.root, log: logPath })}\n`)
  let exited: number | null = null
  child.on('exit', (code) => (exited = code))
  child.unref()
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  let delay = 10
  for (;;) {
    try {
      await client.ping()
      return
    } catch (err) {
      if (!isEngineDown(err)) throw err
    }
    // Exit code 0 is another CLI's engine winning the race for this root: keep waiting for it.
    if ((exited !== null && exited !== 0) || Date.now() > deadline) {
      throw new TockerError(`the tocker engine did not start (see ${logPath})`, { code: 'EENGINEDOWN' })
    }
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(delay * 2, 100)
  }
}
