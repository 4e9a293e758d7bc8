// Real engines driving bin/tocker-runtime (issue 13's acceptance): podman through conmon, containerd
// through containerd-shim-runc-v2, and crun beside them as the reference. Everything they make stays
// in the test's private namespaces (netns-sandbox.mjs: `unshare --net --mount`) and temp dirs:
//   - /sys/fs/cgroup becomes the cgroup2 hierarchy (this host is hybrid: v1 at /sys/fs/cgroup, which
//     neither the engines nor tocker may write; crun/podman refuse hybrid hosts anyway), as
//     test/bench/ does;
//   - a tmpfs on /run and on /var/lib/containers: containerd's shim sockets (/run/containerd/s),
//     ctr's fifos, the runtimes' default roots (/run/crun, /run/tocker-runtime) and podman's caches
//     land there and vanish with the namespace.
// Only call prepareEngineSandbox() inside the sandbox (after prepareNetSandbox()).
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
export const TOCKER_RUNTIME = join(REPO, 'bin/tocker-runtime')
export const BUSYBOX_TAR = join(REPO, 'rootfs-cache/out/busybox.tar')
const CGROUP2_MAGIC = 0x63677270

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`)
}

/** The private mounts described above. */
export function prepareEngineSandbox(): void {
  if (!process.env.TOCKER_NET_SANDBOX) throw new Error('prepareEngineSandbox: not in the test namespace')
  if (Number(statfsSync('/sys/fs/cgroup').type) !== CGROUP2_MAGIC) must('mount', ['-t', 'cgroup2', 'cgroup2', '/sys/fs/cgroup'])
  must('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', '/run'])
  if (existsSync('/var/lib/containers')) must('mount', ['-t', 'tmpfs', '-o', 'mode=700', 'tmpfs', '/var/lib/containers'])
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Run a command to its end (bounded: killed after `timeoutMs`), output collected. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    if (opts.input !== undefined) child.stdin!.end(opts.input)
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr })
    })
  })
}

/** Run under a pseudo-terminal (`script`), for -it / -t: the output as the terminal showed it. */
export function runInPty(cmdline: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return run('script', ['-qec', cmdline, '/dev/null'], opts)
}

/** A wrapper script: `runtime --cgroup-manager=disabled "$@"` (what podman --cgroups=disabled passes). */
export function noCgroupWrapper(dir: string, name: string, runtime: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\nexec ${runtime} --cgroup-manager=disabled "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

export interface Podman {
  env: NodeJS.ProcessEnv
  args: string[]
  podman(args: string[], opts?: { timeoutMs?: number }): Promise<Run>
}

/**
 * podman with its store, run dir and config in `dir`: runtimes "tocker-runtime" and "crun" (both
 * able to run without cgroups, both given the JSON log), ulimits this VM can grant (it lacks
 * CAP_SYS_RESOURCE, so podman's default RLIMIT_NOFILE/NPROC raise fails with any runtime), no pids
 * limit (no pids controller in this host's cgroup2), and the offline busybox image loaded.
 */
export async function setupPodman(dir: string): Promise<Podman> {
  mkdirSync(dir, { recursive: true })
  const conf = join(dir, 'containers.conf')
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
      'pids_limit = 0',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "none"',
      'runtime_supports_nocgroup = ["crun", "tocker-runtime"]',
      'runtime_supports_json = ["crun", "runc", "tocker-runtime"]',
      '[engine.runtimes]',
      `tocker-runtime = ["${TOCKER_RUNTIME}"]`,
      'crun = ["/usr/bin/crun"]',
      '',
    ].join('\n'),
  )
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf }
  delete env.NODE_OPTIONS // tap's loaders are not for bin/tocker-runtime (conmon passes the env on)
  const args = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--log-level', 'error']
  const p: Podman = { env, args, podman: (a, o) => run('podman', [...args, ...a], { env, timeoutMs: o?.timeoutMs }) }
  const load = await p.podman(['load', '-i', BUSYBOX_TAR])
  if (load.code !== 0) throw new Error(`podman load: ${load.stderr}`)
  return p
}

export interface Containerd {
  socket: string
  ctr(args: string[], opts?: { timeoutMs?: number }): Promise<Run>
  stop(): Promise<void>
}

/** containerd with a private root, state and socket (no CRI), the offline busybox imported. */
export async function startContainerd(dir: string): Promise<Containerd> {
  mkdirSync(dir, { recursive: true })
  const socket = join(dir, 'containerd.sock')
  writeFileSync(
    join(dir, 'config.toml'),
    ['version = 2', `root = "${join(dir, 'root')}"`, `state = "${join(dir, 'state')}"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]', '[grpc]', `  address = "${socket}"`, '[ttrpc]', `  address = "${socket}.ttrpc"`, ''].join('\n'),
  )
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore', env })
  for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(50)
  if (!existsSync(socket)) {
    daemon.kill('SIGKILL')
    throw new Error('containerd did not start')
  }
  const ctr = (a: string[], o?: { timeoutMs?: number }) => run('ctr', ['--address', socket, ...a], { env, timeoutMs: o?.timeoutMs })
  const imp = await ctr(['images', 'import', BUSYBOX_TAR])
  if (imp.code !== 0) throw new Error(`ctr images import: ${imp.stderr}`)
  return {
    socket,
    ctr,
    stop: async () => {
      if (daemon.exitCode !== null) return
      const exited = new Promise((r) => daemon.once('exit', r))
      daemon.kill('SIGTERM')
      await Promise.race([exited, sleep(10_000)])
      if (daemon.exitCode === null) daemon.kill('SIGKILL')
    },
  }
}

export function engineTempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `tocker-test-engines-${tag}-`))
}
