#!/usr/bin/env node
// The build and push benchmark (issue 11): tocker beside podman (buildah) and skopeo, in one run on
// the same machine, as ratios.
//
//   node test/bench/build.mjs [runs=3] [--only build,push] [--cpu-prof DIR]
//
// Build: the same Dockerfile and context for both, two images:
//   busybox  FROM busybox; RUN, COPY of a directory of 60 files, RUN making 200 files, COPY of one
//            page, ENV, CMD (4 layers, 2 metadata steps)
//   debian   FROM httpd (the offline Debian-based Apache of rootfs-cache); RUN in Debian's shell
//            (a directory, Debian's version, a count of the libraries), COPY of the page, CMD
// Each run times, per image and tool: a cold build (`--no-cache`: every step runs), a fully cached
// rebuild, and a rebuild after the copied page changed (the steps before it from the cache). RUN
// steps use `--network none` on both sides (podman's bridge needs netavark, not set up here).
// tocker: its engine (`tocker daemon`, a fresh store) and CLI, the context sent as a tar over the API
// (Docker's classic builder protocol); podman 4.3: `podman build` (buildah) with a temp --root, overlay,
// no events, crun without a cgroup (`--runtime-flag cgroup-manager=disabled`: with one, crun raises
// RLIMIT_MEMLOCK for its eBPF device filter, which this VM refuses); the base images are pulled
// into both stores before anything is timed.
//
// Push: the `bench` image (test/bench/fixtures.mjs: 2 layers, ~167 MB uncompressed, ~62 MB gzipped)
// pulled by tocker, then pushed to a fresh, empty registry each run, beside
//   skopeo gz    skopeo copy of bench's OCI layout (its gzipped blobs sent as they are: no compression)
//   skopeo raw   skopeo copy of the same image with uncompressed layers (skopeo compresses them on the
//                way, as tocker must: it keeps layers unpacked, not their compressed blobs)
//
// Measured: wall time, and the user+system CPU of the client and its children plus the daemon's
// process tree meanwhile (tocker's engine; podman and skopeo have no daemon). Everything runs in a
// private network and mount namespace with the host's cgroups hidden (test/bench/docker-engine.mjs).
// The order of the tools alternates from run to run; ratios are the median of each run's own ratio.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { hideHostState } from './docker-engine.mjs'
import { ACCEPT, startBenchRegistry, startPlainRegistry } from './bench-registry.mjs'
import { client, loadAverage, median, waitForSocket, withDaemon } from './measure.mjs'

if (!inNetSandbox()) {
  // Outside first: the Debian-based httpd may need building (debootstrap fetches from the mirror; a
  // few minutes the first time, nothing once its stamp matches).
  const built = spawnSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'rootfs-cache', 'build.mjs'), 'busybox', 'httpd'], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (built.status !== 0) throw new Error('rootfs-cache/build.mjs busybox httpd failed')
  process.exit(await reexecInNetSandbox())
}
prepareNetSandbox()
hideHostState()

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
// --cpu-prof DIR: the engine and the CLI write V8 CPU profiles there (node --cpu-prof), to see where
// tocker's time goes. Node's own parser (strict: an unknown option is an error).
const { values: opts, positionals } = parseArgs({ options: { only: { type: 'string', default: 'build,push' }, 'cpu-prof': { type: 'string' } }, allowPositionals: true })
const ONLY = opts.only.split(',')
const PROF = opts['cpu-prof']
const nodeProf = PROF ? ['--cpu-prof', '--cpu-prof-dir', resolve(PROF)] : []
const RUNS = Number(positionals[0] ?? 3)
const BIN = join(repoRoot, 'bin', 'tocker')
const LAYOUTS = { busybox: join(repoRoot, 'rootfs-cache/out/busybox'), httpd: join(repoRoot, 'rootfs-cache/out/httpd') }

const work = mkdtempSync('/tmp/tbb-')
const children = []
let podmanArgs
function cleanup() {
  // By their ChildProcess: a pid that ended could meanwhile belong to someone else.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
  // podman's overlay driver makes its home a private bind mount: let podman itself take it down.
  if (podmanArgs) spawnSync('podman', [...podmanArgs, 'system', 'reset', '--force'], { stdio: 'ignore', timeout: 60_000, env: { ...process.env, CONTAINERS_CONF: join(work, 'podman', 'containers.conf') } })
  waitForProcessesNaming(work)
  rmSync(work, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function must(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.error?.message ?? r.stderr}`)
  return r.stdout
}

// ---- set-up (not timed) -------------------------------------------------------------------------

process.stderr.write(`set-up: registry, images, tocker engine, podman store (load ${loadAverage()})\n`)
const registry = await startBenchRegistry(work)
children.push(registry.child)
const REG = registry.addr
for (const [name, layout] of Object.entries(LAYOUTS)) must('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${REG}/${name}:latest`])

const root = join(work, 'store')
const engine = spawn(process.execPath, [...nodeProf, BIN, '--root', root, 'daemon'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } })
children.push(engine)
await waitForSocket(join(root, 'tocker.sock'), engine)
const tockerEnv = { ...process.env, TOCKER_NO_AUTOSTART: '1', TOCKER_CONFIG: join(work, 'tocker-config'), NODE_OPTIONS: '' }
const tocker = (args) => withDaemon(engine.pid, () => client(process.execPath, [...nodeProf, BIN, '--root', root, ...args], { env: tockerEnv }))
const wantBuild = ONLY.includes('build')
const wantPush = ONLY.includes('push')
for (const name of [...(wantBuild ? ['busybox', 'httpd'] : []), ...(wantPush ? ['bench'] : [])]) await tocker(['pull', `${REG}/${name}`])

const podmanDir = join(work, 'podman')
mkdirSync(podmanDir)
// Ulimits this VM can grant (it lacks CAP_SYS_RESOURCE), no pids limit (no pids controller here).
writeFileSync(join(podmanDir, 'containers.conf'), '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\npids_limit = 0\n')
const podmanEnv = { ...process.env, CONTAINERS_CONF: join(podmanDir, 'containers.conf') }
podmanArgs = ['--root', join(podmanDir, 'root'), '--runroot', join(podmanDir, 'run'), '--tmpdir', join(podmanDir, 'tmp'), '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none']
const podman = (args) => client('podman', [...podmanArgs, ...args], { env: podmanEnv })
if (wantBuild) { for (const name of ['busybox', 'httpd']) await podman(['pull', '--quiet', '--tls-verify=false', `${REG}/${name}`]) }

// ---- the contexts -------------------------------------------------------------------------------

const DOCKERFILES = {
  busybox: `FROM ${REG}/busybox
RUN mkdir -p /app/data && echo hello > /app/hello.txt
COPY app/ /app/
RUN cd /app/data && for i in $(seq 1 200); do echo "line $i" > f$i; done
COPY page.html /app/page.html
ENV APP_HOME=/app
CMD ["sh", "-c", "cat /app/page.html"]
`,
  httpd: `FROM ${REG}/httpd
RUN mkdir -p /srv/site && cat /etc/debian_version > /srv/site/debian && echo ok > /srv/site/ok && ls /usr/lib/x86_64-linux-gnu | wc -l > /srv/site/libs
COPY page.html /usr/local/apache2/htdocs/index.html
CMD ["httpd-foreground"]
`,
}
const contexts = {}
for (const [name, dockerfile] of Object.entries(DOCKERFILES)) {
  const ctx = join(work, `ctx-${name}`)
  mkdirSync(join(ctx, 'app'), { recursive: true })
  for (let i = 0; i < 60; i++) writeFileSync(join(ctx, 'app', `file${i}.txt`), `file ${i}\n`.repeat(200))
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile)
  contexts[name] = ctx
}
const page = (name, text) => writeFileSync(join(contexts[name], 'page.html'), `<h1>${text}</h1>\n`)

const expect = (ok, what, r) => {
  if (!ok) throw new Error(`${what}:\n${r.out}${r.err}`)
  return r
}

/** How many steps a build had, and how many of them came from the cache ([steps, cached]). */
function cacheUse(r, stepRe, cacheRe) {
  const text = r.out + r.err
  const total = Number(stepRe.exec(text)?.[1] ?? NaN)
  return [total, (text.match(cacheRe) ?? []).length]
}

const builders = {
  tocker: {
    build: (name, tag, noCache) => tocker(['build', '--network', 'none', ...(noCache ? ['--no-cache'] : []), '-t', tag, contexts[name]]),
    cacheUse: (r) => cacheUse(r, /^Step 1\/(\d+) : /m, /^ ---> Using cache$/gm),
  },
  podman: {
    build: (name, tag, noCache) => podman(['build', '--network=none', '--pull=never', '--layers', '--runtime-flag', 'cgroup-manager=disabled', ...(noCache ? ['--no-cache'] : []), '-t', tag, contexts[name]]),
    cacheUse: (r) => cacheUse(r, /^STEP 1\/(\d+): /m, /^--> Using cache /gm),
  },
}
let raw
/**
 * bench with uncompressed layers (made once): what skopeo must compress on its way to a registry, as
 * tocker must (it keeps layers unpacked, not their compressed blobs). skopeo's --dest-decompress
 * does not apply to an oci: destination, so the layout is written here: each gzip layer gunzipped
 * into a blob of media type …layer.v1.tar (its digest is then its DiffID), the config unchanged.
 */
function rawLayout() {
  if (raw) return raw
  const src = registry.layouts.bench
  raw = join(work, 'bench-raw')
  const blobs = join(raw, 'blobs', 'sha256')
  mkdirSync(blobs, { recursive: true })
  const blob = (d) => join(src, 'blobs', 'sha256', d.slice(7))
  const put = (bytes) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    writeFileSync(join(blobs, digest.slice(7)), bytes)
    return { digest, size: bytes.length }
  }
  const index = JSON.parse(readFileSync(join(src, 'index.json'), 'utf8'))
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'))
  copyFileSync(blob(manifest.config.digest), join(blobs, manifest.config.digest.slice(7)))
  manifest.layers = manifest.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...put(gunzipSync(readFileSync(blob(l.digest)))) }))
  manifest.mediaType = 'application/vnd.oci.image.manifest.v1+json'
  const m = put(Buffer.from(JSON.stringify(manifest)))
  writeFileSync(join(raw, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  writeFileSync(join(raw, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }))
  return raw
}

if (wantPush) rawLayout()

// ---- runs ---------------------------------------------------------------------------------------

/** results[case][tool] = [{ wall, cpu }] */
const results = {}
const record = (what, tool, r) => ((results[what] ??= {})[tool] ??= []).push({ wall: r.wall, cpu: r.user + r.sys })

for (let run = 1; run <= RUNS; run++) {
  process.stderr.write(`run ${run}/${RUNS} (load ${loadAverage()})\n`)
  const order = run % 2 ? ['tocker', 'podman'] : ['podman', 'tocker']
  if (wantBuild) {
    for (const name of ['busybox', 'httpd']) {
      for (const tool of order) {
        const b = builders[tool]
        const tag = `bench-${name}-${tool}`
        page(name, `run ${run} ${tool} ${Date.now()}`)
        record(`${name}: cold`, tool, await b.build(name, tag, true))
        const cached = await b.build(name, tag, false)
        const [steps, fromCache] = b.cacheUse(cached)
        expect(fromCache === steps - 1, `${tool}: the rebuild of ${name} was not fully cached (${fromCache} of ${steps - 1} steps)`, cached)
        record(`${name}: cached`, tool, cached)
        page(name, `run ${run} ${tool} changed ${Date.now()}`)
        const changed = await b.build(name, tag, false)
        const [, reused] = b.cacheUse(changed)
        expect(reused > 0 && reused < steps - 1, `${tool}: the rebuild of ${name} after a change reused ${reused} of ${steps - 1} steps`, changed)
        record(`${name}: one file changed`, tool, changed)
      }
    }
  }
  if (wantPush) {
    const pushers = {
      tocker: async (reg) => {
        await tocker(['tag', `${REG}/bench`, `${reg}/bench:latest`])
        const r = await tocker(['push', `${reg}/bench:latest`])
        return expect(/^latest: digest: sha256:/m.test(r.out) && (r.out.match(/: Pushed$/gm) ?? []).length === 2, 'tocker push did not push both layers', r)
      },
      'skopeo gz': (reg) => client('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${registry.layouts.bench}:latest`, `docker://${reg}/bench:latest`]),
      'skopeo raw': async (reg) => {
        const r = await client('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${rawLayout()}:latest`, `docker://${reg}/bench:latest`])
        const m = await (await fetch(`http://${reg}/v2/bench/manifests/latest`, { headers: { accept: ACCEPT } })).json()
        return expect(m.layers.every((l) => /gzip/.test(l.mediaType)), `skopeo did not compress the layers: ${JSON.stringify(m.layers)}`, r)
      },
    }
    const names = Object.keys(pushers)
    for (const tool of run % 2 ? names : [...names].reverse()) {
      const dir = join(work, `push-${run}-${tool.replace(' ', '-')}`)
      mkdirSync(dir)
      const target = await startPlainRegistry(dir)
      children.push(target.child)
      try {
        record('push ~170 MB (2 layers) to an empty registry', tool, await pushers[tool](target.addr))
      } finally {
        const gone = new Promise((r) => target.child.once('exit', r))
        target.child.kill('SIGTERM')
        await gone
        rmSync(dir, { recursive: true, force: true })
      }
      if (tool === 'tocker') await tocker(['rmi', `${target.addr}/bench:latest`])
    }
  }
}

// ---- report -------------------------------------------------------------------------------------

const GOALS = { cold: 1.0, cached: 0.5, 'one file changed': undefined, push: 1.0 }
const f = (x) => x.toFixed(2)
process.stdout.write(`\nbuild/push benchmark: ${RUNS} runs, load ${loadAverage()}, ${new Date().toISOString()}\n`)
for (const [what, byTool] of Object.entries(results)) {
  const tools = Object.keys(byTool)
  const ref = what.startsWith('push') ? tools.filter((t) => t !== 'tocker') : ['podman']
  const t = byTool.tocker
  let line = `${what.padEnd(44)} tocker ${f(median(t.map((x) => x.wall)))} s (cpu ${f(median(t.map((x) => x.cpu)))} s)`
  for (const other of ref) {
    const o = byTool[other]
    const ratio = median(t.map((x, i) => x.wall / o[i].wall))
    const cpuRatio = median(t.map((x, i) => x.cpu / o[i].cpu))
    const goal = GOALS[what.startsWith('push') ? 'push' : what.split(': ')[1]]
    line += ` | ${other} ${f(median(o.map((x) => x.wall)))} s: ${f(ratio)}× (cpu ${f(cpuRatio)}×)${goal !== undefined ? ` goal ≤ ${goal}× ${ratio <= goal ? 'met' : 'NOT met'}` : ''}`
  }
  process.stdout.write(line + '\n')
}
