// Runs the suite with tap, then the leak check, and ends with the line CI reads:
// "N passed, N failed[, N skipped]". A test is each subtest (or loose assertion) directly inside a
// test file; the leak check counts as one more.
// Usage: node test/run.mjs [tap args, e.g. a file list]
import { spawn } from 'node:child_process'
import { Parser } from 'tap-parser'
import { leaks, snapshot } from './leak-check.mjs'

const args = process.argv.slice(2)
const before = snapshot()
const tap = spawn('npx', ['tap', '--reporter=tap', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
const counts = { passed: 0, failed: 0, skipped: 0 }
let fileFailures = 0
const parser = new Parser()
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
tap.on('close', (code) => {
  parser.end()
  setImmediate(() => {
    if (fileFailures > 0 && counts.failed === 0) counts.failed += fileFailures
    const leaked = leaks(before, snapshot())
    if (Object.keys(leaked).length) {
      counts.failed++
      console.log('not ok - leak check: the suite left these behind')
      for (const [kind, items] of Object.entries(leaked)) console.log(`#   ${kind}:\n${items.map((i) => `#     ${i}`).join('\n')}`)
    } else {
      counts.passed++
      console.log('ok - leak check: no mounts, cgroups, links, rules, processes or temp stores left')
    }
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : ''
    console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`)
    process.exit(code === 0 && counts.failed === 0 ? 0 : 1)
  })
})
