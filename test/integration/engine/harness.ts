// What the engine tests share: a store in a temp dir, its own engine (started as `tocker daemon`,
// stopped by PID), the `tocker` CLI run against it, and the offline busybox/httpd images pushed to a
// real registry on 127.0.0.1 and pulled by tocker.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FixtureName } from '../../helpers/fixtures.js'
import { clientEnv, runClient, type ClientRun } from '../../helpers/clients.js'
import { TOCKER_BIN } from '../../helpers/paths.js'

export { TOCKER_BIN }

export interface Result {
  code: number
  stdout: string
  stderr: string
}

export interface TockerEnv {
  root: string
  socket: string
  engine: ChildProcess | undefined
  /** Run the CLI; never throws for a non-zero exit. */
  tocker(args: string[], opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<Result>
  /** Like tocker(), but the exit code must be 0: returns stdout. */
  ok(args: string[], opts?: { input?: string }): Promise<string>
  /** Start the engine (`tocker [args] daemon`: global options such as --debug; `extraEnv` for its environment). */
  startEngine(args?: string[], extraEnv?: Record<string, string>): Promise<void>
  /** What the engine started last wrote on stderr (its log, e.g. with --debug). */
  engineLog(): string
  /** Kill the engine by PID with `signal` and wait until it is gone. */
  stopEngine(signal?: NodeJS.Signals): Promise<void>
  /** Remove every container (rm -f), stop the engine, delete the store. */
  cleanup(): Promise<void>
}

export function spawnTocker(root: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TOCKER_BIN, '--root', root, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TOCKER_NO_AUTOSTART: '1', ...opts.env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr })
    })
    child.stdin.end(opts.input ?? '')
  })
}

export async function tockerEnv(prefix = 'tocker-engine-'): Promise<TockerEnv> {
  const root = mkdtempSync(join(tmpdir(), prefix))
  let engineErr = ''
  const env: TockerEnv = {
    root,
    socket: join(root, 'tocker.sock'),
    engine: undefined,
    tocker: (args, opts) => spawnTocker(root, args, opts),
    async ok(args, opts) {
      const r = await spawnTocker(root, args, opts)
      if (r.code !== 0) throw new Error(`tocker ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
      return r.stdout
    },
    engineLog: () => engineErr,
    async startEngine(args = [], extraEnv = {}) {
      const child = spawn(process.execPath, [TOCKER_BIN, '--root', root, ...args, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...extraEnv } })
      let err = ''
      engineErr = ''
      child.stderr!.on('data', (d) => {
        err += d
        engineErr += d
      })
      env.engine = child
      for (let i = 0; i < 300; i++) {
        if (existsSync(join(root, 'tockerd.pid')) && existsSync(env.socket)) {
          const r = await spawnTocker(root, ['ps', '-q'])
          if (r.code === 0) return
        }
        if (child.exitCode !== null) throw new Error(`engine exited ${child.exitCode}: ${err}`)
        await sleep(50)
      }
      throw new Error(`engine did not start: ${err}`)
    },
    async stopEngine(signal = 'SIGTERM') {
      const child = env.engine
      if (!child || child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((r) => child.once('exit', r))
      process.kill(child.pid!, signal)
      await gone
      env.engine = undefined
    },
    async cleanup() {
      try {
        if (env.engine) {
          const ids = (await spawnTocker(root, ['ps', '-aq'])).stdout.split('\n').filter(Boolean)
          if (ids.length) await spawnTocker(root, ['rm', '-f', ...ids])
        }
      } finally {
        await env.stopEngine('SIGTERM')
        // Shims that outlived everything (a test that failed half-way): end them by their pid,
        // then wait until no process of this store is left.
        killLeftoverShims(root)
        for (let i = 0; i < 100 && processesOf(root).length; i++) await sleep(50)
        for (const pid of processesOf(root)) process.kill(pid, 'SIGKILL')
        rmSync(root, { recursive: true, force: true })
      }
    },
  }
  // A test file that dies half-way (timeout, crash) must not leave its engine and containers.
  process.on('exit', () => {
    try {
      if (env.engine?.pid && env.engine.exitCode === null) process.kill(env.engine.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
    killLeftoverShims(root)
    for (const pid of processesOf(root)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
  })
  return env
}

/** The pids of shims whose state lives under `root` (read from the containers' records). */
function killLeftoverShims(root: string): void {
  const dir = join(root, 'containers')
  if (!existsSync(dir)) return
  for (const id of readdirSync(dir)) {
    try {
      const rec = JSON.parse(readFileSync(join(dir, id, 'container.json'), 'utf8'))
      for (const p of [rec.Init?.pid, rec.Shim?.pid]) if (p) process.kill(p, 'SIGKILL')
    } catch {
      /* not running */
    }
  }
}

/** Processes whose command line names this store (shims, engines), ours to end. */
export function processesOf(root: string): number[] {
  const out: number[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(root)) out.push(Number(p))
    } catch {
      /* gone */
    }
  }
  return out
}

/** Poll `fn` until it returns a truthy value (or time out with the last value in the message). */
export async function until<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  while (Date.now() < deadline) {
    last = await fn()
    if (last) return last
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`)
}

/**
 * What every engine test file starts with: a real registry on 127.0.0.1 holding the offline images
 * (`images`: fixture names such as 'busybox', 'httpd', pushed as library/<name>:latest), its own
 * store, and its own engine, started. `cleanup()` (idempotent) removes the containers, stops the
 * engine and the registry: call it in the last subtest and in t.teardown for a file that fails
 * half-way.
 */
export async function engineTestBed(images: FixtureName[], prefix?: string): Promise<{ env: TockerEnv; ref: (name: string) => string; cleanup: () => Promise<void> }> {
  const { startRegistry } = await import('../../helpers/registry.js')
  const { pushFixture } = await import('../../helpers/fixtures.js')
  const registry = await startRegistry()
  for (const name of images) await pushFixture(registry.addr, name, `library/${name}:latest`)
  const env = await tockerEnv(prefix)
  let cleaned = false
  const cleanup = async () => {
    if (cleaned) return
    cleaned = true
    await env.cleanup()
    await registry.stop()
  }
  await env.startEngine()
  return { env, ref: (name) => `${registry.addr}/library/${name}`, cleanup }
}

/** Debian's docker CLI against this engine's socket (classic builder, its own config dir). */
export function dockerCli(socket: string, configDir: string): (args: string[], input?: string) => Promise<{ code: number; stdout: string; stderr: string }> {
  const env = clientEnv({ DOCKER_BUILDKIT: '0', DOCKER_CONFIG: configDir })
  return (args, input) => runClient('docker', ['-H', `unix://${socket}`, ...args], { env, input: input ?? '' })
}

/** A bash pipeline (-o pipefail) in which $TOCKER is this engine's CLI (tars through stdin/stdout), killed after 60 s. */
export function tockerShell(env: TockerEnv, script: string): Promise<ClientRun> {
  const tocker = `${process.execPath} ${TOCKER_BIN} --root ${env.root}`
  return runClient('bash', ['-o', 'pipefail', '-c', script], { env: { ...process.env, TOCKER_NO_AUTOSTART: '1', TOCKER: tocker }, timeoutMs: 60_000 })
}

/** Lines "<12 hex>: <status>" of a push's output, as a map. */
export function layerLines(out: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const l of out.split('\n')) {
    const x = /^([0-9a-f]{12}): (.*)$/.exec(l)
    if (x) m.set(x[1], x[2])
  }
  return m
}

/** POST a JSON body to the engine on `socket`: the status and the parsed answer. */
export function postJson(socket: string, path: string, body: unknown): Promise<{ status: number; json: { Id?: string } }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body)
    const req = request({ socketPath: socket, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }))
    })
    req.on('error', reject)
    req.end(data)
  })
}
