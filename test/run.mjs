// Runs the suite with tap, then the leak check, and ends with the line CI reads:
// "N passed, N failed[, N skipped]". A test is each subtest (or loose assertion) directly inside a
// test file; the leak check counts as one more.
// The whole suite run as root (CI) runs the unit tier (test/unit) first as uid 65534, which proves
// it needs no root, and then everything else as root: the integration tier (test/integration), the
// VM tier (test/vm), the lab guide (test/docs), the fuzz targets (test/fuzz) and test/lint.test.ts.
// Before that line, every failing test again by its full name (CI may show only the tail).
// Usage: node test/run.mjs [tap args, e.g. a file list]
import { spawn } from 'node:child_process'
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Parser } from 'tap-parser'
import { leaks, snapshot } from './leak-check.mjs'

export const UNIT_TIER = 'test/unit/**/*.test.ts'
const NOBODY = 65534

const args = process.argv.slice(2)
// No test may have a CLI start an engine by itself (in whatever namespaces and store it runs):
// each test starts the engines it uses. The autostart test says TOCKER_NO_AUTOSTART=0 itself.
process.env.TOCKER_NO_AUTOSTART = '1'
const before = snapshot()
const counts = { passed: 0, failed: 0, skipped: 0 }
let fileFailures = 0
/** Every failing assertion at any depth, by its full name ("file > subtest > assertion"). */
const failures = []

/** Collect the failures of a parser and of all its subtests. */
function collectFailures(parser) {
  parser.on('assert', (a) => {
    if (!a.ok && !a.skip && !a.todo) failures.push({ name: a.fullname || a.name, diag: a.diag })
  })
  parser.on('child', collectFailures)
}

/**
 * The failures again, just above the last line: CI systems often keep only the tail of the output,
 * and a count alone does not say which test to look at. Only the innermost ones (a failing subtest's
 * parents fail with it), with the first line of what they found.
 */
function printFailures() {
  const leaves = failures.filter((f) => !failures.some((g) => g !== f && g.name.startsWith(`${f.name} > `)))
  console.log(`# failed (${leaves.length}):`)
  for (const f of leaves.slice(0, 40)) {
    const d = f.diag ?? {}
    const changed = typeof d.diff === 'string' ? d.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l)).join(' ') : ''
    const detail = String(d.message ?? changed).split('\n')[0].slice(0, 160)
    const at = d.at?.fileName ? ` (${d.at.fileName}:${d.at.lineNumber})` : ''
    console.log(`#   ${f.name}${at}${detail ? ` — ${detail}` : ''}`)
  }
  if (leaves.length > 40) console.log(`#   … and ${leaves.length - 40} more (search the output for "not ok")`)
}

/** Run one tap process, print its TAP and count its results; resolves with its exit code. */
function runTap(command, commandArgs, env = process.env) {
  const tap = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'inherit'], env })
  const parser = new Parser()
  collectFailures(parser)
  parser.on('child', (file) => {
    file.on('assert', (a) => {
      if (a.skip || a.todo) counts.skipped++
      else if (a.ok) counts.passed++
      else counts.failed++
    })
  })
  parser.on('assert', (a) => {
    // A file that failed outside any subtest (crash, timeout) counts as one failure of its own.
    if (!a.ok && !a.skip && !a.todo) fileFailures++
  })
  tap.stdout.on('data', (d) => process.stdout.write(d))
  tap.stdout.pipe(parser)
  return new Promise((resolve) =>
    tap.on('close', (code) => {
      parser.end()
      setImmediate(() => resolve(code ?? 1))
    })
  )
}

/** tap's own state dir (.tap/) must be writable by the unprivileged run too. */
function chownTree(path, uid) {
  chownSync(path, uid, uid)
  if (statSync(path).isDirectory()) { for (const e of readdirSync(path)) chownTree(join(path, e), uid) }
}

let code = 0
if (args.length === 0 && process.getuid?.() === 0) {
  // The unit tier as nobody: the fakes stand in for the kernel, so nothing here may need root.
  mkdirSync('.tap', { recursive: true })
  chownTree('.tap', NOBODY)
  const home = mkdtempSync(join(tmpdir(), 'tocker-unit-home-'))
  chownSync(home, NOBODY, NOBODY)
  console.log(`# the unit tier (${UNIT_TIER}) as uid ${NOBODY}, without root`)
  const env = { PATH: process.env.PATH, HOME: home, LANG: process.env.LANG ?? 'C.UTF-8', TOCKER_NO_AUTOSTART: '1' }
  code = await runTap('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, 'node_modules/.bin/tap', '--reporter=tap', UNIT_TIER], env)
  rmSync(home, { recursive: true, force: true })
  chownTree('.tap', 0)
  const rest = await runTap('npx', ['tap', '--reporter=tap', '--exclude=test/vm/guest/**', '--exclude=test/unit/**'])
  if (rest !== 0) code = rest
} else {
  code = await runTap('npx', ['tap', '--reporter=tap', ...args])
}
if (fileFailures > 0 && counts.failed === 0) counts.failed += fileFailures
const leaked = leaks(before, snapshot())
if (Object.keys(leaked).length) {
  counts.failed++
  console.log('not ok - leak check: the suite left these behind')
  for (const [kind, items] of Object.entries(leaked)) console.log(`#   ${kind}:\n${items.map((i) => `#     ${i}`).join('\n')}`)
  failures.push({ name: 'leak check' })
} else {
  counts.passed++
  console.log('ok - leak check: no mounts, cgroups, links, rules, processes or temp stores left')
}
if (failures.length > 0) printFailures()
const skipped = counts.skipped ? `, ${counts.skipped} skipped` : ''
console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`)
process.exit(code === 0 && counts.failed === 0 ? 0 : 1)
