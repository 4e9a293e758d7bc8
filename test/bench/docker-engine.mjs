// Docker's own engine for benchmarks, run so that it touches nothing of the host:
//
//   - the binaries come out of Debian's docker.io package, fetched with `apt-get download` and
//     unpacked under test/.tmp/docker-engine/ (never installed: no service, no docker group, no
//     /etc/docker, no iptables rules);
//   - it runs only inside the benchmark's private network and mount namespaces
//     (test/helpers/netns-sandbox.mjs) after hideHostState(): the host's cgroups are hidden under a
//     cgroup2 mount (its v1 hierarchies are never seen, let alone written) and /run is a fresh tmpfs
//     (so neither the host's containerd socket nor its /run/docker is reachable);
//   - its data root, exec root, pid file, socket and libtrust key all live in a temp dir; networking
//     off (no bridge, no iptables, no ip_forward, no masquerading); crun as its runtime. It starts
//     its own containerd (Debian's containerd package) under that exec root.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inNetSandbox } from '../helpers/netns-sandbox.mjs'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CACHE = join(repoRoot, 'test', '.tmp', 'docker-engine')
const CGROUP2_MAGIC = 0x63677270

/**
 * Inside the sandbox's private mount namespace: cgroup2 over /sys/fs/cgroup (crun, podman and
 * dockerd refuse a hybrid host, and must never see its v1 hierarchies) and a tmpfs over /run.
 * Nothing of this is visible outside the namespace.
 */
export function hideHostState() {
  if (!inNetSandbox()) throw new Error('hideHostState: refusing to run outside the network/mount sandbox')
  if (statfsSync('/sys/fs/cgroup').type !== CGROUP2_MAGIC) mustRun('mount', ['-t', 'cgroup2', 'cgroup2', '/sys/fs/cgroup'])
  mustRun('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run'])
}

function mustRun(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`)
  return r.stdout
}

/** dockerd and its matching docker client from Debian's docker.io package; undefined if unavailable. */
export function dockerEngineBinaries() {
  const bins = { dockerd: join(CACHE, 'usr', 'sbin', 'dockerd'), docker: join(CACHE, 'usr', 'bin', 'docker') }
  if (existsSync(bins.dockerd) && existsSync(bins.docker)) return { ...bins, version: versionOf(bins.dockerd) }
  const tmp = mkdtempSync(join(dirname(CACHE), '.docker-engine-'))
  try {
    mkdirSync(dirname(CACHE), { recursive: true })
    const dl = spawnSync('apt-get', ['download', '-qq', 'docker.io'], { cwd: tmp, encoding: 'utf8' })
    const deb = readdirSync(tmp).find((n) => /^docker\.io_.*\.deb$/.test(n))
    if (dl.status !== 0 || !deb) {
      process.stderr.write(`docker.io could not be downloaded (apt-get download docker.io: ${dl.stderr?.trim()}): Docker's engine is left out\n`)
      return undefined
    }
    mustRun('dpkg-deb', ['-x', deb, 'x'], { cwd: tmp })
    rmSync(CACHE, { recursive: true, force: true })
    renameSync(join(tmp, 'x'), CACHE)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return { ...bins, version: versionOf(bins.dockerd) }
}

function versionOf(dockerd) {
  return /version ([^,\s]+)/.exec(spawnSync(dockerd, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?'
}

/**
 * Start dockerd with everything under `dir` (which must be short: the socket path has a 108-byte
 * limit). Resolves once it answers; `stop()` ends it (and its containerd) by pid and waits.
 */
export async function startDockerd(dir, bins) {
  if (!inNetSandbox() || statfsSync('/sys/fs/cgroup').type !== CGROUP2_MAGIC) throw new Error('startDockerd: call hideHostState() in the sandbox first')
  if (!existsSync('/usr/bin/containerd') && !spawnSync('sh', ['-c', 'command -v containerd']).stdout.length) {
    throw new Error("Docker's engine needs containerd (apt-get install containerd)")
  }
  mkdirSync(dir, { recursive: true })
  const socket = join(dir, 'docker.sock')
  // deprecated-key-path: Docker 20.10 writes a libtrust key, by default to /etc/docker/key.json.
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }))
  const args = [
    '--config-file',
    join(dir, 'daemon.json'),
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'docker.pid'),
    '-H',
    `unix://${socket}`,
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--bridge=none',
    '--userland-proxy=false',
    '--add-runtime',
    'crun=/usr/bin/crun',
    '--default-runtime',
    'crun',
    '--storage-driver',
    'overlay2',
    '--log-level',
    'error',
  ]
  const child = spawn(bins.dockerd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${join(CACHE, 'usr', 'bin')}:${process.env.PATH}` } })
  let log = ''
  child.stderr.on('data', (d) => (log = (log + d).slice(-4000)))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await gone
    clearTimeout(timer)
  }
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`dockerd exited ${child.exitCode}: ${log}`)
    if (existsSync(socket) && spawnSync(bins.docker, ['-H', `unix://${socket}`, 'version'], { stdio: 'ignore' }).status === 0) {
      return { socket, pid: child.pid, child, stop, docker: (...a) => [bins.docker, ['-H', `unix://${socket}`, ...a]] }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  await stop()
  throw new Error(`dockerd did not answer within 30 s: ${log}`)
}
