#!/usr/bin/env node
// The pull benchmark (issues 2 and 17): how fast does `tocker pull` get an image from a registry into
// a store ready for overlayfs, next to Docker's engine, podman and the least work possible, in one
// run on the same machine?
//
//   node test/bench/pull.mjs [runs=3] [--only tocker,direct,docker,podman,skopeo,floor] [--settle SECONDS]
//                            [--baseline CHECKOUT] [--spread]
//   node test/bench/pull.mjs --help      (the options, and a configuration that ends within 10 minutes)
//
// (default: all but `direct`)
//
// Image: `bench` (test/bench/fixtures.mjs), 2 layers, ~167 MB uncompressed / ~62 MB gzipped, from
// real files; `bench-sibling` shares its first layer. Both are pushed with skopeo to Debian's
// docker-registry on 127.0.0.1, storage in a temp dir.
//
// Everything runs in a private network and mount namespace (test/helpers/netns-sandbox.mjs) with
// the host's cgroups hidden under a cgroup2 mount and a fresh /run (test/bench/docker-engine.mjs):
//   tocker   a fresh engine (`tocker daemon`) per run; `tocker pull` is its CLI → engine → registry
//   tocker baseline   the same with the bin/tocker of another built checkout (--baseline DIR):
//            before/after a change, in the same run
//   docker   Debian's Docker engine (docker.io 20.10: dockerd + its containerd, crun as runtime,
//            no networking) with its data root in a temp dir; its own `docker pull`
//   direct   (opt-in) the pull library in a process of its own, as `tocker pull` worked before the
//            engine owned the images: download + verify + unpack, no API (engine overhead = tocker - direct)
//   podman   podman pull into a temp --root/--runroot (overlay, cgroupfs, no events)
//   skopeo   skopeo copy docker://ADDR/bench:latest oci:DIR:bench, then umoci unpack of it into a
//            bundle (second pull: the shared blob is in the layout already, but umoci unpacks every
//            layer again into a new bundle)
//   floor    curl of manifest, config and each new layer piped into `tar -xzf`, layers in parallel
//            (no digest check, no atomic commit: the least work that gets the files on disk)
// Each run times the first pull into an empty store, then the pull of bench-sibling into the same
// store (its base layer "Already exists"). The order of the tools rotates from run to run.
//
// Measured per pull: wall time, and user and system CPU of everything that worked for it: the
// client process and its children, plus (tocker, docker) the engine's process tree (dockerd's
// containerd and its untar children included). The registry's own CPU is the same for all and left
// out. The machine is shared: the load average is printed, and ratios are also given as the median
// of each run's own ratio (load drifting during the run then hits both sides alike).
//
// The file system here is ext4 without a journal: for such a file system the kernel skips
// "recently deleted" inodes (fs/ext4/ialloc.c: freed less than 60 s ago, 360 s while their inode
// table block is dirty) when it allocates a new one, re-checking each from the start of the group
// for every file created. Deleting one run's stores right before the next run's pulls would make
// all of them pay for it (it was most of their system CPU); so after a run's stores are removed the
// benchmark syncs and waits --settle seconds (default 61) before the next. Other processes of the
// machine delete files too: tocker makes its layers' directories chattr +T (src/sys/fs.ts
// markTopDir), so that they land in a block group of their own; --spread does the same for every
// tool's store (the comparison without that effect).
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { dockerEngineBinaries, hideHostState, startDockerd } from './docker-engine.mjs'
import { ACCEPT, startBenchRegistry } from './bench-registry.mjs'
import { client, waitForSocket, withDaemon } from './measure.mjs'

const HELP = `usage: node test/bench/pull.mjs [RUNS=3] [options]

tocker pull beside docker pull (Debian's docker.io engine, unpacked under test/.tmp, run in this
benchmark's private namespaces), podman, skopeo+umoci and curl+tar, in one run; each run: a first
pull of \`bench\` (2 layers, 175 MB) into an empty store, then \`bench-sibling\` (shares the base).
Prints wall time and CPU (user / sys of client + engine process tree) per pull, each run's own
numbers, and the ratios tocker / other (of the medians, and the median of each run's ratio).

options:
  RUNS               runs (default 3); the order of the tools rotates from run to run
  --only LIST        tools, comma-separated: tocker,direct,docker,podman,skopeo,floor
                     (default: all but direct; direct = the pull library without the engine)
  --baseline DIR     also another built checkout's tocker (e.g. main before a change), same run
  --settle SECONDS   wait after deleting a run's stores (default 61: ext4 without a journal skips
                     inodes freed less than 60 s ago, see the header of this file)
  --spread           chattr +T on the run's directory: every tool's store gets an ext4 block group
                     of its own, away from what the machine just deleted (tocker does this for its
                     own layers anyway; this makes Docker and the others avoid it too)
  --help             this text

within 10 minutes on 2 loaded cores (the configuration for a final measurement):
  node test/bench/pull.mjs 3 --only tocker,docker,floor       (about 5-7 min at load 15)
  node test/bench/pull.mjs 5 --only tocker,docker             (about 7-9 min at load 15)
a quick before/after of a change (about 4 min):
  node test/bench/pull.mjs 2 --only tocker,docker --baseline /path/to/built/checkout
`
// Node's own parser (strict: an unknown option is an error, not silently a run count).
const { values: opts, positionals } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    only: { type: 'string', default: 'tocker,docker,podman,skopeo,floor' },
    baseline: { type: 'string' },
    settle: { type: 'string', default: '61' },
    spread: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
if (opts.help) {
  process.stdout.write(HELP)
  process.exit(0)
}

if (!inNetSandbox()) {
  // Outside first: the sandbox has no network for apt-get to fetch Docker's engine with.
  if (opts.only.split(',').includes('docker')) dockerEngineBinaries()
  process.exit(await reexecInNetSandbox())
}
prepareNetSandbox()
hideHostState()

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
// Another checkout (built) to compare with in the same run, e.g. the commit before a change.
const BASELINE = opts.baseline
const ONLY = opts.only.split(',')
const SETTLE = Number(opts.settle)
const SPREAD = opts.spread
const RUNS = Number(positionals[0] ?? 3)

// Short: dockerd's socket lives under it (108-byte limit on socket paths).
const work = mkdtempSync('/tmp/tbp-')
const daemons = []
let registry
function cleanup() {
  // By their ChildProcess: a pid that ended could meanwhile belong to someone else.
  for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGTERM')
  if (registry?.exitCode === null) process.kill(registry.pid, 'SIGTERM')
  waitForProcessesNaming(work)
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

// ---- measuring ----------------------------------------------------------------------------------

// client(), withDaemon() and waitForSocket() are in measure.mjs (shared with build.mjs).

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.error?.message ?? r.stderr}`)
  return r.stdout
}

// ---- the ways to pull -----------------------------------------------------------------------------

const expect = (ok, what, r) => {
  if (!ok) throw new Error(`${what}:\n${r.out}${r.err}`)
  return r
}

/** tocker through a fresh engine of the checkout at `checkout` (its bin/tocker). */
function tockerAt(name, checkout) {
  const bin = join(checkout, 'bin', 'tocker')
  return {
    name,
    async setup(dir) {
      const root = join(dir, 'store')
      const engine = spawn(process.execPath, [bin, '--root', root, 'daemon'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } })
      daemons.push(engine)
      await waitForSocket(join(root, 'tocker.sock'), engine)
      return {
        root,
        engine,
        stop: async () => {
          if (engine.exitCode !== null) return
          const gone = new Promise((r) => engine.once('exit', r))
          engine.kill('SIGTERM')
          await gone
        },
      }
    },
    async pull(ctx, addr, repo) {
      const r = await withDaemon(ctx.engine.pid, () => client(process.execPath, [bin, '--root', ctx.root, 'pull', `${addr}/${repo}:latest`], { env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } }))
      // A pull that printed no status did not pull: better no number than a wrong one.
      expect(/^Status: Downloaded newer image for /m.test(r.out), `${name} pull printed no "Status: Downloaded newer image"`, r)
      if (repo === 'bench-sibling') expect(/: Already exists$/m.test(r.out), `${name}: the second pull did not reuse the shared layer ("Already exists")`, r)
      return r
    },
  }
}
const tocker = tockerAt('tocker', repoRoot)

// `tocker pull` before the engine owned the images: the CLI process ran the pull library itself.
const DIRECT = `
const [{ pullImage }, { ImageStore }, { parseReference }] = await Promise.all([
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/pull.js'))}),
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/store.js'))}),
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/reference.js'))}),
])
const lines = []
const r = await pullImage(parseReference(process.argv[1]), { store: new ImageStore(process.argv[2]), onEvent: (e) => lines.push(e.kind === 'layer' ? e.id + ': ' + e.status : e.id) })
process.stdout.write(lines.join('\\n') + '\\nStatus: ' + (r.downloaded ? 'Downloaded newer image for ' : 'Image is up to date for ') + process.argv[1] + '\\n')
`
const tockerDirect = {
  name: 'tocker direct',
  async setup(dir) {
    return { root: join(dir, 'store') }
  },
  async pull(ctx, addr, repo) {
    const r = await client(process.execPath, ['--input-type=module', '-e', DIRECT, `${addr}/${repo}:latest`, ctx.root])
    return expect(/^Status: Downloaded newer image for /m.test(r.out), 'the direct pull printed no "Status: Downloaded newer image"', r)
  },
}

let dockerBins
const docker = {
  name: 'docker',
  async setup(dir) {
    const d = await startDockerd(dir, dockerBins)
    daemons.push(d.child)
    return d
  },
  async pull(ctx, addr, repo) {
    const [cmd, args] = ctx.docker('pull', `${addr}/${repo}:latest`)
    const r = await withDaemon(ctx.pid, () => client(cmd, args))
    expect(/^Status: Downloaded newer image for /m.test(r.out), 'docker pull printed no "Status: Downloaded newer image"', r)
    if (repo === 'bench-sibling') expect(/: Already exists$/m.test(r.out), 'docker: the second pull did not reuse the shared layer', r)
    return r
  },
}

const podman = {
  name: 'podman',
  async setup(dir) {
    const args = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none']
    return {
      args,
      // podman's overlay driver makes its home a private bind mount: let podman itself take it down.
      stop: async () => void (await client('podman', [...args, 'system', 'reset', '--force']).catch(() => {})),
    }
  },
  async pull(ctx, addr, repo) {
    // podman 4.3 downloads the shared blob again (its storage knows the layer by its DiffID only)
    // but does not store it twice: that is its second pull as it is.
    return client('podman', [...ctx.args, 'pull', '--tls-verify=false', `${addr}/${repo}:latest`])
  },
}

const skopeoUmoci = {
  name: 'skopeo+umoci',
  async setup(dir) {
    return { dir, stop: async () => {} }
  },
  async pull(ctx, addr, repo) {
    const copy = await client('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${addr}/${repo}:latest`, `oci:${ctx.dir}/layout:${repo}`])
    const unpack = await client('umoci', ['unpack', '--image', `${ctx.dir}/layout:${repo}`, `${ctx.dir}/bundle-${repo}`])
    return { out: '', err: '', wall: copy.wall + unpack.wall, user: copy.user + unpack.user, sys: copy.sys + unpack.sys }
  },
}

const floor = {
  name: 'curl+tar (floor)',
  async setup(dir) {
    return { dir, have: new Set(), stop: async () => {} }
  },
  async pull(ctx, addr, repo) {
    const base = `http://${addr}/v2/${repo}`
    // The manifest and config are fetched as a client must; then each new layer streams into tar.
    const script = [
      `curl -sfS -H 'Accept: ${ACCEPT}' ${base}/manifests/latest > "$D/manifest-${repo}.json"`,
      `curl -sfS ${base}/blobs/${manifests[repo].config.digest} > "$D/config-${repo}.json"`,
      ...manifests[repo].layers
        .filter((l) => !ctx.have.has(l.digest))
        .map((l) => `(mkdir -p "$D/${l.digest.slice(7)}" && curl -sfS ${base}/blobs/${l.digest} | tar -xzf - -C "$D/${l.digest.slice(7)}") &`),
      'wait',
    ].join('\n')
    const r = await client('sh', ['-ec', script], { env: { ...process.env, D: ctx.dir } })
    for (const l of manifests[repo].layers) ctx.have.add(l.digest)
    return r
  },
}

// ---- main ---------------------------------------------------------------------------------------

const methods = []
if (ONLY.includes('tocker')) methods.push(tocker)
if (BASELINE) methods.push(tockerAt('tocker baseline', resolve(BASELINE)))
if (ONLY.includes('direct')) methods.push(tockerDirect)
if (ONLY.includes('docker')) {
  dockerBins = dockerEngineBinaries()
  if (dockerBins) methods.push(docker)
}
if (ONLY.includes('podman')) {
  if (spawnSync('sh', ['-c', 'command -v podman']).status === 0) methods.push(podman)
  else process.stderr.write('podman is not installed (apt-get install podman): left out\n')
}
if (ONLY.includes('skopeo')) {
  if (spawnSync('sh', ['-c', 'command -v skopeo && command -v umoci']).status === 0) methods.push(skopeoUmoci)
  else process.stderr.write('skopeo or umoci is not installed (apt-get install skopeo umoci): left out\n')
}
if (ONLY.includes('floor')) methods.push(floor)

process.stderr.write('building the bench images (cached after the first time)...\n')
const { addr, child: registryChild, layouts, manifests } = await startBenchRegistry(work)
registry = registryChild
const config = await (await fetch(`http://${addr}/v2/bench/blobs/${manifests.bench.config.digest}`)).json()
const compressed = manifests.bench.layers.reduce((n, l) => n + l.size, 0)
const uncompressed = Number(sh('sh', ['-c', `for f in ${manifests.bench.layers.map((l) => join(layouts.bench, 'blobs/sha256', l.digest.slice(7))).join(' ')}; do gzip -dc "$f"; done | wc -c`]).trim())

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const loadAtStart = loadavg()
const results = Object.fromEntries(methods.map((m) => [m.name, { first: [], second: [], error: undefined }]))
for (let run = 0; run < RUNS; run++) {
  const runDir = join(work, `run${run}`)
  mkdirSync(runDir)
  if (SPREAD) sh('chattr', ['+T', runDir])
  const order = methods.map((_, i) => methods[(i + run) % methods.length])
  for (const m of order) {
    const r = results[m.name]
    if (r.error) continue
    const dir = join(runDir, m.name.replace(/[^a-z0-9]+/gi, '-'))
    mkdirSync(dir, { recursive: true })
    let ctx
    try {
      ctx = await m.setup(dir)
      r.first.push(await m.pull(ctx, addr, 'bench'))
      r.second.push(await m.pull(ctx, addr, 'bench-sibling'))
    } catch (err) {
      r.error = err.message
    } finally {
      await ctx?.stop?.()
    }
  }
  rmSync(runDir, { recursive: true, force: true })
  process.stderr.write(`run ${run + 1}/${RUNS} done (load ${loadavg()})\n`)
  for (const m of order) {
    const r = results[m.name]
    const one = (x) => (x ? `${x.wall.toFixed(2)} s (${x.user.toFixed(2)} u / ${x.sys.toFixed(2)} s${x.client !== undefined ? `, client ${x.client.toFixed(2)}` : ''})` : 'n/a')
    process.stderr.write(`  ${m.name.padEnd(16)} first ${one(r.first[run])}, second ${one(r.second[run])}\n`)
  }
  if (run + 1 < RUNS && SETTLE > 0) {
    // See the header: let the inodes just freed stop counting as "recently deleted".
    sh('sync', [])
    await new Promise((r) => setTimeout(r, SETTLE * 1000))
  }
}

// ---- report ---------------------------------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
const col = (rs, k) => rs.map((r) => r[k])
const cell = (rs) => (rs.length ? `${median(col(rs, 'wall')).toFixed(2)} s [${Math.min(...col(rs, 'wall')).toFixed(2)}-${Math.max(...col(rs, 'wall')).toFixed(2)}]` : 'n/a')
const cpu = (rs) => (rs.length ? `${median(col(rs, 'user')).toFixed(2)} / ${median(col(rs, 'sys')).toFixed(2)}` : 'n/a')
console.log(
  `\npull of a ${config.rootfs.diff_ids.length}-layer image from docker-registry on 127.0.0.1: ${(uncompressed / 1e6).toFixed(0)} MB uncompressed, ` +
    `${(compressed / 1e6).toFixed(1)} MB gzipped; median [min-max] of ${RUNS} runs, fresh store each run; ${sh('nproc', []).trim()} cores, ` +
    `load average ${loadAtStart} at the start, ${loadavg()} at the end${dockerBins ? `; Docker engine ${dockerBins.version}` : ''}`,
)
const rows = [['', 'first pull: wall', 'CPU user / sys (s)', 'second pull (shared base): wall', 'CPU user / sys (s)']]
for (const m of methods) {
  const r = results[m.name]
  rows.push([m.name, cell(r.first), cpu(r.first), cell(r.second), cpu(r.second)])
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd())

/** tocker / other: ratio of the medians, and the median of each run's own ratio. */
function ratio(a, b, k = 'wall') {
  if (!a.length || !b.length) return 'n/a'
  const n = Math.min(a.length, b.length)
  const perRun = median(Array.from({ length: n }, (_, i) => a[i][k] / b[i][k]))
  return `${(median(col(a, k)) / median(col(b, k))).toFixed(2)}x (per run ${perRun.toFixed(2)}x)`
}
const T = results.tocker
if (T) {
  console.log('')
  for (const m of methods.filter((x) => x !== tocker)) {
    const o = results[m.name]
    console.log(`tocker / ${m.name}: first ${ratio(T.first, o.first)}, second ${ratio(T.second, o.second)}; CPU (user+sys) first ${ratio(cpuSum(T.first), cpuSum(o.first), 'cpu')}`)
  }
  const D = results.docker
  if (D?.first.length && T.first.length) {
    const goal = (a, b) => median(col(a, 'wall')) / median(col(b, 'wall')) <= 0.8
    console.log(`\ngoal tocker <= 0.8x docker: first pull ${goal(T.first, D.first) ? 'met' : 'NOT met'}, second pull ${goal(T.second, D.second) ? 'met' : 'NOT met'}`)
  }
}
function cpuSum(rs) {
  return rs.map((r) => ({ cpu: r.user + r.sys }))
}
for (const [name, r] of Object.entries(results)) if (r.error) console.log(`\n${name} failed: ${r.error}`)
// exit() runs cleanup(): the registry child would otherwise keep the event loop alive.
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0)
