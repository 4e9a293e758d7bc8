#!/usr/bin/env node
// The unpacker benchmark: tocker's layer unpacker (gunzip + sha256 DiffID + tar reader + writing
// files, whiteout translation and tar-split included) against GNU `tar -xzf` of the same gzip'd tar,
// in one run, fresh target directories, alternating the two.
//
//   node test/bench/unpack.mjs [runs=5] [--dir DIR]... [--cap MB] [--target DIR]
//
// Inputs (each becomes one tar.gz, built once per run of the script):
//   big files:   /usr/lib/x86_64-linux-gnu (or --dir), files taken in order until --cap MB (400)
//   small files: /usr/share, same cap
// Uses the compiled unpacker (dist/, `npx tsc -p .`). Prints medians [min-max] and tocker/tar.
import { spawn, spawnSync } from 'node:child_process'
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const { unpackLayer } = await import(join(repoRoot, 'dist', 'src', 'image', 'unpack', 'unpack.js'))

const argv = process.argv.slice(2)
const take = (flag) => {
  const out = []
  for (let i = argv.indexOf(flag); i >= 0; i = argv.indexOf(flag)) out.push(argv.splice(i, 2)[1])
  return out
}
const dirs = take('--dir')
const CAP = Number(take('--cap')[0] ?? 400) * 1e6
const target = take('--target')[0] ?? tmpdir()
const RUNS = Number(argv[0] ?? 5)

const work = mkdtempSync(join(target, 'tocker-bench-unpack-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

/** Regular files and symlinks under `root`, in directory order, until `cap` bytes. */
function pick(root, cap) {
  const list = []
  const inodes = new Set()
  let bytes = 0
  const walk = (d) => {
    let names
    try {
      names = readdirSync(d).sort()
    } catch {
      return
    }
    for (const n of names) {
      if (bytes >= cap) return
      const p = join(d, n)
      const st = lstatSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isSymbolicLink() || (st.isFile() && !inodes.has(st.ino))) {
        // Hard links of one file would be one copy in the tar: count (and take) each inode once.
        inodes.add(st.ino)
        list.push(relative(root, p))
        bytes += st.isFile() ? st.size : 0
      }
    }
  }
  walk(root)
  return { list, bytes }
}

function makeInput(name, root) {
  const { list, bytes } = pick(root, CAP)
  const listFile = join(work, `${name}.list`)
  writeFileSync(listFile, list.join('\n') + '\n')
  const out = join(work, `${name}.tar.gz`)
  const r = spawnSync('sh', ['-c', `tar -C "$1" -cf - --no-recursion -T "$2" | gzip -6 > "$3"`, 'sh', root, listFile, out])
  if (r.status !== 0) throw new Error(`building ${out}: ${r.stderr}`)
  return { name, root, file: out, files: list.length, bytes }
}

function time(fn) {
  return async () => {
    const t0 = performance.now()
    await fn()
    return (performance.now() - t0) / 1000
  }
}

const tarRun = (input, dest) =>
  new Promise((res, rej) => {
    const c = spawn('tar', ['-C', dest, '-xzf', input.file], { stdio: 'ignore' })
    c.on('close', (code) => (code === 0 ? res() : rej(new Error(`tar exit ${code}`))))
  })

const tockerRun = (input, dest) => unpackLayer(createReadStream(input.file, { highWaterMark: 1 << 20 }), dest, {})

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (xs) => `${median(xs).toFixed(2)} s [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`

const inputs = []
const bigDir = dirs[0] ?? (existsSync('/usr/lib/x86_64-linux-gnu') ? '/usr/lib/x86_64-linux-gnu' : '/usr/lib')
const smallDir = dirs[1] ?? '/usr/share'
console.error('building inputs...')
inputs.push(makeInput('big-files', bigDir), makeInput('small-files', smallDir))

const results = []
for (const input of inputs) {
  const t = { tar: [], tocker: [] }
  for (let i = 0; i < RUNS; i++) {
    for (const tool of i % 2 === 0 ? ['tar', 'tocker'] : ['tocker', 'tar']) {
      const dest = join(work, `out-${tool}`)
      rmSync(dest, { recursive: true, force: true })
      mkdirSync(dest)
      spawnSync('sync')
      t[tool].push(await time(() => (tool === 'tar' ? tarRun(input, dest) : tockerRun(input, dest)))())
      rmSync(dest, { recursive: true, force: true })
    }
  }
  results.push({ input, t })
}

console.log(
  `\nunpack of a gzip'd tar into ${target} (${spawnSync('stat', ['-f', '-c', '%T', target], { encoding: 'utf8' }).stdout.trim()}), median [min-max] of ${RUNS} runs; ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}`,
)
console.log(`${'input'.padEnd(46)}${'tar -xzf'.padEnd(24)}${'tocker unpack'.padEnd(24)}tocker/tar`)
for (const { input, t } of results) {
  const label = `${input.name}: ${input.files} files, ${(input.bytes / 1e6).toFixed(0)} MB`
  const ratio = median(t.tocker) / median(t.tar)
  console.log(`${label.padEnd(46)}${fmt(t.tar).padEnd(24)}${fmt(t.tocker).padEnd(24)}${ratio.toFixed(2)}x (${((input.bytes / 1e6) / median(t.tocker)).toFixed(0)} MB/s)`)
}
