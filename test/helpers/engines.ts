// One engine per store for tests that drive the CLI on many fresh --root stores (image commands,
// pull): the CLI is a client of the engine's API, so each store needs its engine. Started as
// `tocker daemon` (NODE_OPTIONS cleared: tap's loaders are not for bin/tocker), stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
// @ts-ignore: plain JavaScript helper
import { inNetSandbox } from './netns-sandbox.mjs'

const BIN = new URL('../../bin/tocker', import.meta.url).pathname

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET' }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.end()
  })
}

export class Engines {
  readonly #engines = new Map<string, ChildProcess>()

  /** Start the engine of `root` (once); resolves when it answers. */
  async start(root: string, env: Record<string, string> = {}): Promise<void> {
    if (this.#engines.has(root)) return
    // An engine reconciles and may set up the bridge and iptables: never in the host's namespace.
    if (!inNetSandbox()) throw new Error('Engines.start: call reexecInNetSandbox() first (test/helpers/netns-sandbox.mjs)')
    const child = spawn(process.execPath, [BIN, '--root', root, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env } })
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    this.#engines.set(root, child)
    const socket = join(root, 'tocker.sock')
    for (let i = 0; i < 400; i++) {
      if (existsSync(socket) && (await ping(socket))) return
      if (child.exitCode !== null) throw new Error(`engine for ${root} exited ${child.exitCode}: ${err}`)
      await sleep(50)
    }
    throw new Error(`engine for ${root} did not start: ${err}`)
  }

  /** Stop every engine (SIGTERM, then SIGKILL after 10 s) and wait until they are gone. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#engines.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const gone = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await gone
        clearTimeout(timer)
      }),
    )
    this.#engines.clear()
  }
}

/**
 * What is left in the store's tmp/: the engine keeps a session directory there (<pid>-<random>,
 * with its .lock and layer pins) while it runs; what matters is that nothing else is left inside it.
 */
export function tmpLeftovers(root: string): string[] {
  const tmp = join(root, 'tmp')
  if (!existsSync(tmp)) return []
  return readdirSync(tmp)
    .filter((n) => !n.endsWith('.lock'))
    .flatMap((n) => (/^\d+-[0-9a-f]+$/.test(n) ? readdirSync(join(tmp, n)).filter((x) => x !== 'pins').map((x) => `${n}/${x}`) : [n]))
}
