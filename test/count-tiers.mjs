// Counts how many of the suite's subtests run without root (issue 15: "at least half of all subtests
// without root"). Method (the one s4-seams used, written down):
//   - every test file (test/**/*.test.{ts,mjs}) is run on its own as uid 65534 (setpriv, no groups),
//     with node and tap's TypeScript loader (not the tap runner: its .tap/ state dir is shared with
//     root runs in the same checkout), with a time cap (COUNT_TIERS_CAP seconds, default 120);
//   - a test is a top-level subtest of a file (what test/run.mjs counts); it is root-free when it
//     passes that way. Skipped and todo subtests count as not root-free;
//   - a file's total is the larger of the subtests it ran and its static count (lines starting with
//     `t.test(`, `t.skip(` … at column 0), so a file that skips itself without root, crashes before
//     its first subtest or times out counts what it did not run as root; so do the files that are never run here: the VM tier (test/vm, needs qemu and minutes)
//     and test/rootfs-cache.test.ts (debootstrap);
//   - total = sum over files. The tier a file lives in (test/unit, test/integration) does not matter
//     to the count; a file in test/unit must be wholly root-free (CI runs it as nobody).
// Usage (as root, from the repo root, after npm run build):
//   node test/count-tiers.mjs [files…]       prints one line per file and the totals
// Runs 2 files at a time (COUNT_TIERS_JOBS). Network changes are impossible as nobody, so running
// root tests this way is harmless: they fail at their first privileged step.
import { spawn } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Parser } from 'tap-parser'

const NOBODY = 65534
const CAP = Number(process.env.COUNT_TIERS_CAP ?? 120)
const JOBS = Number(process.env.COUNT_TIERS_JOBS ?? 2)
const NEVER_RUN = [/^test\/vm\//, /^test\/integration\/rootfs-cache\.test\.ts$/, /^test\/rootfs-cache\.test\.ts$/]

function walk(dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '.tmp' && e.name !== 'guest') out.push(...walk(p))
    } else if (/\.test\.(ts|mjs)$/.test(e.name)) out.push(relative('.', p))
  }
  return out
}

/** Top-level subtests written at column 0: `t.test(`, `t.skip(`, `t.todo(`, `test(` (a lower bound). */
export function staticCount(file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const top = lines.filter((l) => /^(?:await\s+)?(?:t\.)?(?:test|skip|todo)\(/.test(l)).length
  // Subtests made in a loop or by a helper (fuzz targets, guide chapters): at least one each.
  return top || lines.filter((l) => /\bt\.(?:test|skip|todo)\(/.test(l)).length
}

/** Runs one file as nobody; resolves with { passed, total, note }. */
function runAsNobody(file, home) {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: home, LANG: process.env.LANG ?? 'C.UTF-8', TOCKER_NO_AUTOSTART: '1' }
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--enable-source-maps', '--import=./test/tap/ts-loader.mjs', file], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    })
    const parser = new Parser()
    let passed = 0
    let total = 0
    parser.on('assert', (a) => {
      total++
      if (a.ok && !a.skip && !a.todo) passed++
    })
    child.stdout.pipe(parser)
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }, CAP * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      parser.end()
      setImmediate(() => resolve({ passed, total, note: signal ? `killed (${signal})` : code === 0 ? 'ok' : `exit ${code}` }))
    })
  })
}

const files = (process.argv.length > 2 ? process.argv.slice(2) : walk('test')).sort()
const home = mkdtempSync(join(tmpdir(), 'tocker-count-home-'))
chownSync(home, NOBODY, NOBODY)
const results = new Map()
let next = 0
async function worker() {
  while (next < files.length) {
    const file = files[next++]
    if (NEVER_RUN.some((r) => r.test(file))) {
      results.set(file, { passed: 0, total: staticCount(file), note: 'not run (root by nature)' })
      continue
    }
    const r = await runAsNobody(file, home)
    // A file that skips itself without root, or dies early, ran fewer subtests than it has.
    r.total = Math.max(r.total, staticCount(file))
    results.set(file, r)
    process.stderr.write(`${file} ${r.passed}/${r.total} ${r.note}\n`)
  }
}
try {
  await Promise.all(Array.from({ length: JOBS }, worker))
} finally {
  rmSync(home, { recursive: true, force: true })
}
let passed = 0
let total = 0
let freeFiles = 0
for (const file of files) {
  const r = results.get(file)
  passed += r.passed
  total += r.total
  if (r.total > 0 && r.passed === r.total) freeFiles++
  console.log(`${String(r.passed).padStart(3)}/${String(r.total).padEnd(3)} ${r.passed === r.total && r.total > 0 ? 'root-free' : r.passed === 0 ? 'root     ' : 'mixed    '} ${file} (${r.note})`)
}
console.log(`root-free: ${passed} of ${total} subtests (${((100 * passed) / total).toFixed(1)} %); ${freeFiles} of ${files.length} files wholly root-free`)
