// Shows why test/fuzz/fuzz-target.ts gives the fuzzer a file for stdout and stderr, not a pipe.
// Runs one target as the test does, `runs` times, once with the output read through a pipe (the test
// before) and once into a file (the test now), while this process's event loop is blocked for the
// whole run: a reader that is not scheduled, as on a loaded CI machine. Prints how many runs lost the
// final stats. Node's 'pipe' is a UNIX socket pair that Node in the child makes non-blocking, and it
// holds only ~280 unread writes (libFuzzer writes every field of a status line separately: ≈ 20
// lines); past that libFuzzer's write(2) fails with EAGAIN and the text is gone, exit status 0.
// Measured 2026-12-04 (tar, 10 s, 2 runs each, load 8-12): pipe 2/2 runs lost the stats (2.7-3 KB of
// output arrived of ~45 KB), file 0/2.
// Usage: npm run build; node test/fuzz/stdio-stall.mjs [target=tar] [runs=2] [seconds=10]
import { spawn } from 'node:child_process'
import { closeSync, cpSync, openSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jazzerEnv } from './jazzer-env.mjs'

const repo = fileURLToPath(new URL('../..', import.meta.url))

const [target = 'tar', runs = '2', seconds = '10'] = process.argv.slice(2)
const env = { ...process.env, ...jazzerEnv() }
const work = join(repo, 'test/.tmp/fuzz-stall', target)

/** One run; true when the output has libFuzzer's final stats. */
async function run(mode) {
  rmSync(work, { recursive: true, force: true })
  cpSync(join(repo, 'test/fuzz/corpus', target), join(work, 'corpus'), { recursive: true })
  const args = [join(repo, 'node_modules/@jazzer.js/core/dist/cli.js'), join(repo, 'test/fuzz/targets', `${target}.mjs`), join(work, 'corpus')]
  if (target !== 'archive') args.push('--sync')
  args.push('--includes', join(repo, 'dist/src/'), `--timeout=${(Number(seconds) + 120) * 1000}`, '--', `-max_total_time=${seconds}`, '-print_final_stats=1')
  const log = join(work, 'fuzzer.log')
  let text = ''
  const fd = mode === 'file' ? openSync(log, 'w') : 'pipe'
  const child = spawn(process.execPath, args, { cwd: repo, env, stdio: ['ignore', fd, fd] })
  if (mode === 'file') closeSync(fd)
  else for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (text += d))
  const closed = new Promise((resolve) => child.on('close', resolve))
  // Blocked until well after the fuzzer has ended (startup takes a few seconds more).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, (Number(seconds) + 20) * 1000)
  const code = await closed
  if (mode === 'file') text = readFileSync(log, 'utf8')
  const stats = /stat::number_of_executed_units:\s+\d+/.test(text)
  console.log(`${mode}: exit ${code}, ${text.length} bytes of output, final stats ${stats ? 'there' : 'LOST'}`)
  return stats
}

for (const mode of ['pipe', 'file']) {
  let lost = 0
  for (let i = 0; i < Number(runs); i++) if (!(await run(mode))) lost++
  console.log(`${mode}: ${lost}/${runs} runs without the final stats`)
}
rmSync(work, { recursive: true, force: true })
