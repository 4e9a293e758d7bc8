// The set-up the engine benchmarks (lifecycle.mjs, user-networks.mjs, dashboard.mjs) share: a
// temp dir with a store, the CLI against it (never autostarting an engine), an engine of this
// checkout started as a child, optionally a registry with busybox, and one cleanup on exit that
// removes every container, ends the children and waits until no process of the store is left.
// Call it inside the benchmark's private network namespace.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { buildRootfsCache, DEFAULT_OUT } from '../../rootfs-cache/build.mjs'
import { startPlainRegistry } from './bench-registry.mjs'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const TOCKER = join(REPO_ROOT, 'bin', 'tocker')
export const CLI_ENV = { ...process.env, TOCKER_NO_AUTOSTART: '1' }

/**
 * A store under a new temp dir (`prefix`), and `before` to run first at exit (the dashboard's
 * browser, say). Returns the work dir, the store root, the CLI, and startEngine/busyboxRegistry.
 */
export function engineBench(prefix, before = () => {}) {
  const work = mkdtempSync(join(tmpdir(), prefix))
  const root = join(work, 'store')
  const children = { engine: undefined, registry: undefined }

  /** The CLI against this store; its stdout, or an error with its stderr. */
  function tocker(args, opts = {}) {
    const r = spawnSync(process.execPath, [TOCKER, '--root', root, ...args], { encoding: 'utf8', env: CLI_ENV, ...opts })
    if (r.status !== 0) throw new Error(`tocker ${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
    return r.stdout
  }

  function cleanup() {
    try {
      before()
      if (children.engine) {
        const ids = spawnSync(process.execPath, [TOCKER, '--root', root, 'ps', '-aq'], { encoding: 'utf8', env: CLI_ENV }).stdout.split('\n').filter(Boolean)
        for (let i = 0; i < ids.length; i += 50) spawnSync(process.execPath, [TOCKER, '--root', root, 'rm', '-f', ...ids.slice(i, i + 50)], { env: CLI_ENV })
        spawnSync(process.execPath, [TOCKER, '--root', root, 'network', 'prune', '-f'], { env: CLI_ENV })
        if (children.engine.exitCode === null) process.kill(children.engine.pid, 'SIGTERM')
      }
      if (children.registry?.exitCode === null) process.kill(children.registry.pid, 'SIGTERM')
    } catch {}
    // Synchronous (this runs in the 'exit' handler): wait until no process of this store is left.
    waitForProcessesNaming(work)
    rmSync(work, { recursive: true, force: true })
  }
  process.on('exit', cleanup)
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

  return {
    work,
    root,
    tocker,
    /** The engine's ChildProcess once started. */
    get engine() {
      return children.engine
    },
    /** Start this checkout's engine on the store; resolves once the CLI gets an answer. */
    async startEngine() {
      children.engine = spawn(process.execPath, [TOCKER, '--root', root, 'daemon'], { stdio: 'ignore' })
      await until(() => existsSync(join(root, 'tocker.sock')) && spawnSync(process.execPath, [TOCKER, '--root', root, 'ps'], { env: CLI_ENV }).status === 0, 'engine', 20_000)
      return children.engine
    },
    /** Debian's docker-registry with rootfs-cache's busybox pushed by skopeo; resolves with its reference. */
    async busyboxRegistry() {
      const built = await buildRootfsCache({ outDir: DEFAULT_OUT, only: ['busybox'] })
      const { addr, child } = await startPlainRegistry(work)
      children.registry = child
      const push = spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${built.busybox.layout}:latest`, `docker://${addr}/library/busybox:latest`], { encoding: 'utf8' })
      if (push.status !== 0) throw new Error(`skopeo: ${push.stderr}`)
      return `${addr}/library/busybox`
    },
  }
}

/** Wall time of one synchronous call, in ms. */
export function timeMs(fn) {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

/** Poll `fn` every 50 ms until it is true, or throw "timed out: what". */
export async function until(fn, what, ms = 15_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (fn()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out: ${what}`)
}
