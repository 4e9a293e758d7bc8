#!/usr/bin/env node
// Where does one `tocker pull` spend its time? (issue 17) Each phase of the pull path is run on its
// own, over the layers of the `bench` image (test/bench/fixtures.mjs), and timed in wall clock and
// in user and system CPU of this process (zlib's and the hash's work on libuv's thread pool
// included), then the whole pull library and the system calls it makes:
//
//   node test/bench/pull-profile.mjs [runs=3] [--strace] [--plain]
//
//   http             GET of each layer blob from docker-registry on 127.0.0.1, layers in parallel,
//                    read through fetch → Readable.fromWeb as the registry client does, discarded
//   http + verify    the registry client's openBlob (size and sha256 checked while streaming)
//   sha256 gz        hashing the compressed bytes alone (in memory, 64 KiB chunks as from a socket)
//   gunzip           zlib's inflate alone (createGunzip, 256 KiB output chunks), output discarded
//   sha256 tar       the DiffID hash of the uncompressed bytes alone
//   tar parse        the tar reader with a handler that does nothing (every header checked)
//   files            tar reader + layer writer, no tar-split: the files, dirs, links, metadata calls
//   files+tar-split  the same with tar-split.gz written (what the unpacker does)
//   unpackLayer      the whole unpacker from the gzip'd bytes in memory (gunzip, DiffID, tar, files)
//   syncfs           one syncfs(2) after the unpacks above (what durability before the commit costs)
//   pull library     pullImage() into a fresh store in this process: everything, layers in parallel;
//                    with the longest and the 99th-percentile stall of this thread's event loop
//                    meanwhile (in the engine, every API request waits that long)
// --strace: the pull library once more in a child under `strace -c -f` (system calls by count/time).
//
// Runs in a private network and mount namespace (the registry binds 127.0.0.1 there). Work
// directories stay until the end: on ext4 without a journal, creating files right after deleting
// many is slower (see test/bench/pull.mjs), which would blur the phases.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createGunzip, gunzipSync } from 'node:zlib'
import { waitForProcessesNaming } from '../helpers/leftover-processes.mjs'
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'
import { startBenchRegistry } from './bench-registry.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dist = (p) => import(join(repoRoot, 'dist', 'src', p))
const [{ TarReader }, { LayerWriter }, { TarSplitWriter }, { unpackLayer }, { RegistryClient }, { pullImage }, { ImageStore }, { parseReference }, { markTopDir }] = await Promise.all([
  dist('image/unpack/tar-reader.js'),
  dist('image/unpack/layer-writer.js'),
  dist('image/unpack/tar-split.js'),
  dist('image/unpack/unpack.js'),
  dist('image/registry/client.js'),
  dist('image/pull.js'),
  dist('image/store.js'),
  dist('image/reference.js'),
  dist('sys/fs.js'),
])

const argv = process.argv.slice(2)
const STRACE = argv.includes('--strace')
const RUNS = Number(argv.filter((a) => !a.startsWith('--'))[0] ?? 3)

const work = mkdtempSync('/tmp/tocker-bench-profile-')
// As the store's session directory (src/image/session.ts): each phase's directory gets a block group
// of its own (ext4: chattr +T), not one where the machine just deleted files. --plain: without.
if (!argv.includes('--plain')) markTopDir(work)
let registry
process.on('exit', () => {
  if (registry?.exitCode === null) registry.kill('SIGTERM')
  waitForProcessesNaming(work)
  rmSync(work, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

process.stderr.write('building the bench images (cached after the first time)...\n')
const reg = await startBenchRegistry(work)
registry = reg.child
const layers = reg.manifests.bench.layers
const gz = layers.map((l) => readFileSync(join(reg.layouts.bench, 'blobs', 'sha256', l.digest.slice(7))))
const tars = gz.map((b) => gunzipSync(b))
const ref = parseReference(`${reg.addr}/bench:latest`)

function* chunks(buf, size) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size)
}
const discard = () => new Writable({ write: (_c, _e, cb) => cb() })
let dirN = 0
const freshDir = () => {
  const d = join(work, `d${++dirN}`)
  mkdirSync(d)
  return d
}

/** Wall and CPU (user, sys) seconds of fn, CPU of the whole process (thread pool included). */
async function measure(fn) {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await fn()
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const c = process.cpuUsage(c0)
  return { wall, user: c.user / 1e6, sys: c.system / 1e6 }
}

const phases = {
  http: () =>
    Promise.all(layers.map(async (l) => {
      const res = await fetch(`http://${reg.addr}/v2/bench/blobs/${l.digest}`)
      await pipeline(Readable.fromWeb(res.body), discard())
    })),
  'http + verify': () => {
    const client = new RegistryClient()
    return Promise.all(layers.map(async (l) => pipeline(await client.openBlob(ref, l), discard())))
  },
  'sha256 gz': async () => {
    for (const b of gz) {
      const h = createHash('sha256')
      for (const c of chunks(b, 64 << 10)) h.update(c)
      h.digest()
    }
  },
  gunzip: () => Promise.all(gz.map((b) => pipeline(Readable.from(chunks(b, 64 << 10)), createGunzip({ chunkSize: 256 << 10 }), discard()))),
  'sha256 tar': async () => {
    for (const b of tars) {
      const h = createHash('sha256')
      for (const c of chunks(b, 256 << 10)) h.update(c)
      h.digest()
    }
  },
  'tar parse': async () => {
    for (const b of tars) {
      const r = new TarReader({ entry() {}, data() {}, endEntry() {}, raw() {} })
      for (const c of chunks(b, 256 << 10)) r.write(c)
      r.end()
    }
  },
  files: async () => {
    for (const b of tars) {
      const w = new LayerWriter(freshDir())
      const r = new TarReader(w)
      for (const c of chunks(b, 256 << 10)) r.write(c)
      r.end()
      w.finish()
    }
  },
  'files+tar-split': async () => {
    for (const b of tars) {
      const dir = freshDir()
      const split = new TarSplitWriter(dir)
      const w = new LayerWriter(dir, split)
      const r = new TarReader(w)
      for (const c of chunks(b, 256 << 10)) r.write(c)
      r.end()
      w.finish()
      await split.close()
    }
  },
  unpackLayer: () => Promise.all(gz.map((b, i) => unpackLayer(Readable.from(chunks(b, 64 << 10)), freshDir(), { mediaType: layers[i].mediaType }))),
  syncfs: async () => {
    // sync -f: syncfs(2) of the file system holding the work dir.
    const r = spawnSync('sync', ['-f', work])
    if (r.status !== 0) throw new Error('sync -f failed')
  },
  'pull library': async () => {
    const h = monitorEventLoopDelay({ resolution: 10 })
    h.enable()
    await pullImage(ref, { store: new ImageStore(freshDir()) })
    h.disable()
    stalls.push({ max: h.max / 1e6, p99: h.percentile(99) / 1e6 })
  },
}
const stalls = []

const results = Object.fromEntries(Object.keys(phases).map((k) => [k, []]))
for (let run = 0; run < RUNS; run++) {
  for (const [name, fn] of Object.entries(phases)) results[name].push(await measure(fn))
  process.stderr.write(`run ${run + 1}/${RUNS} done (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
const mb = (n) => (n / 1e6).toFixed(1)
const gzBytes = gz.reduce((n, b) => n + b.length, 0)
const tarBytes = tars.reduce((n, b) => n + b.length, 0)
let files = 0
for (const b of tars) {
  const r = new TarReader({ entry: () => files++, data() {}, endEntry() {} })
  r.write(b)
  r.end()
}
console.log(`\nphases of one pull of bench (${layers.length} layers, ${mb(gzBytes)} MB gzipped, ${mb(tarBytes)} MB of tar, ${files} entries); median of ${RUNS} runs; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`)
const rows = [['phase', 'wall (s)', 'user (s)', 'sys (s)', 'MB/s of tar']]
for (const [name, rs] of Object.entries(results)) {
  const w = median(rs.map((r) => r.wall))
  rows.push([name, w.toFixed(2), median(rs.map((r) => r.user)).toFixed(2), median(rs.map((r) => r.sys)).toFixed(2), (tarBytes / 1e6 / w).toFixed(0)])
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('   '))
console.log(`event loop during the pull library: longest stall ${median(stalls.map((s) => s.max)).toFixed(0)} ms, p99 ${median(stalls.map((s) => s.p99)).toFixed(0)} ms (median of runs)`)

if (STRACE) {
  const script = `
const [{ pullImage }, { ImageStore }, { parseReference }] = await Promise.all([
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/pull.js'))}),
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/store.js'))}),
  import(${JSON.stringify(join(repoRoot, 'dist/src/image/reference.js'))}),
])
await pullImage(parseReference(process.argv[1]), { store: new ImageStore(process.argv[2]) })`
  const out = join(work, 'strace.txt')
  const r = spawnSync('strace', ['-c', '-f', '-o', out, process.execPath, '--input-type=module', '-e', script, `${reg.addr}/bench:latest`, freshDir()], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`strace pull: ${r.stderr}`)
  const lines = readFileSync(out, 'utf8').split('\n')
  console.log(`\nsystem calls of the pull library (strace -c -f, ${files} entries; the top 20 by time):`)
  console.log(lines.slice(0, 22).join('\n'))
  console.log(lines.filter((l) => /total/.test(l)).join('\n'))
}
process.exit(0)
