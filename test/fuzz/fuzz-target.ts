// Coverage-guided fuzzing (Jazzer.js: libFuzzer driving instrumented JavaScript) of every parser of
// untrusted input, for a bounded time per target: the tar reader, image references, image documents,
// archive loading and the API's request handling (targets/*.mjs; corpus and how to fuzz longer:
// test/fuzz/README.md). A target fails on any exception that is not the parser's own refusal, on an
// input that runs longer than 10 s (a hang) and past 1 GiB of memory; the input that did it is kept
// under test/.tmp/fuzz/<target>/ and named here, so it can become a regression test.
// TOCKER_FUZZ_SECONDS sets the time per target (default 25: 5 targets ≈ 2.5 minutes of CI).
// The targets run from two test files (formats.test.ts, engine-inputs.test.ts), not one: each takes
// 25 s plus Jazzer's start (instrumenting the code it loads), which grows with the machine's load; at
// load 20 the five in one file took 278 s of tap's 300 s limit (CI).
import { spawn } from 'node:child_process'
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
// @ts-ignore: plain JavaScript helper
import { jazzerEnv } from './jazzer-env.mjs'
import { REPO_ROOT } from '../helpers/paths.js'

const repo = REPO_ROOT
const seconds = Number(process.env.TOCKER_FUZZ_SECONDS ?? 25)
// Not the test runner's own NODE_OPTIONS (tap's process-info hooks): only what Jazzer needs here.
const env: Record<string, string | undefined> = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(_?TAP|NODE_OPTIONS$)/.test(k))),
  ...(jazzerEnv() as Record<string, string>),
}
const cli = join(repo, 'node_modules/@jazzer.js/core/dist/cli.js')

/** A tap subtest for each target, one after another (each fuzzer keeps a core busy). */
export function fuzzTargets(targets: { name: string; sync: boolean }[]): void {
  for (const target of targets) {
    t.test(`fuzz ${target.name} for ${seconds} s`, async (t) => {
      const work = join(repo, 'test/.tmp/fuzz', target.name)
      rmSync(work, { recursive: true, force: true })
      const corpus = join(work, 'corpus')
      const artifacts = join(work, 'findings')
      mkdirSync(artifacts, { recursive: true })
      // The fuzzer adds what it finds to its first corpus directory: a copy, never the seeds.
      cpSync(join(repo, 'test/fuzz/corpus', target.name), corpus, { recursive: true })
      const args = [
        cli,
        join(repo, 'test/fuzz/targets', `${target.name}.mjs`),
        corpus,
        ...(target.sync ? ['--sync'] : []),
        '--includes',
        join(repo, 'dist/src/'),
        // Jazzer always hands libFuzzer `-timeout=<this in s>`, and libFuzzer then arms SIGALRM
        // every timeout/2+1 s for its per-input watchdog. In Jazzer's async mode that signal can reach
        // the process with no handler left and end it (seen on a loaded 2-core machine: killed
        // mid-run with exec/s 160). So the watchdog's period is made longer than the whole run: an
        // input that hangs is caught by the backstop below instead (SIGKILL: the test fails, and the
        // corpus entry is in the output).
        `--timeout=${(seconds + 120) * 1000}`,
        '--',
        `-max_total_time=${seconds}`,
        '-rss_limit_mb=1024',
        // libFuzzer saves any input that took longer than -report_slow_units (10 s by default, wall
        // time) as a `slow-unit` finding. On the CI's loaded 2-core machine a 248-byte index took
        // "15 s" once (documents at 2,855 inputs/s; 171 ms in a fresh process, 0.3 ms warm): a stall of
        // the process, not a slow input. The bound is the watchdog's above: an input really that slow
        // is caught by the backstop below.
        `-report_slow_units=${seconds + 120}`,
        `-artifact_prefix=${artifacts}/`,
        '-print_final_stats=1',
      ]
      const out = await new Promise<{ code: number | null; signal: string | null; text: string }>((resolve) => {
        // A target's temp files go under work/ (removed below): libFuzzer ends the process with
        // exit(), so a target's own process.on('exit') clean-up never runs.
        const tmp = join(work, 'tmp')
        mkdirSync(tmp, { recursive: true })
        // The fuzzer writes into a file, not a pipe. Node's 'pipe' is a UNIX socket pair, and Node in
        // the child makes it non-blocking (libuv sets O_NONBLOCK on fd 2, the same open file that
        // libFuzzer's C stderr writes to). The socket holds only ~280 unread writes, and libFuzzer
        // writes every field of a status line separately (≈ 20 lines, 3 KB): when this process falls
        // that far behind reading (a loaded machine), libFuzzer's write(2) fails with EAGAIN and the
        // text is dropped without a word. At the end that is the final stats: exit 0, "NaN inputs"
        // (seen in CI). A file never says EAGAIN. test/fuzz/stdio-stall.mjs shows it both ways.
        const log = join(work, 'fuzzer.log')
        const fd = openSync(log, 'w')
        const child = spawn(process.execPath, args, { cwd: repo, env: { ...env, TMPDIR: tmp }, stdio: ['ignore', fd, fd] })
        closeSync(fd)
        // libFuzzer stops itself at max_total_time; this is the backstop for a stuck process.
        const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000)
        child.on('close', (code, signal) => {
          clearTimeout(timer)
          resolve({ code, signal, text: readFileSync(log, 'utf8') })
        })
      })
      const stat = (k: string) => Number(new RegExp(`stat::${k}:\\s+(\\d+)`).exec(out.text)?.[1] ?? NaN)
      const findings = readdirSync(artifacts)
      const runs = stat('number_of_executed_units')
      t.same(findings, [], findings.length ? `findings kept in ${artifacts}:\n${out.text.split('\n').slice(-40).join('\n')}` : 'no crash, hang or memory blow-up')
      t.equal(out.code, 0, `the fuzzer ended on its own, cleanly${out.code === 0 ? '' : ` (exit ${out.code}, signal ${out.signal}):\n${out.text.split('\n').slice(-15).join('\n')}`}`)
      // Without its final stats the fuzzer's last words are shown and its whole output kept.
      const summary = `${runs} inputs, ${stat('average_exec_per_sec')}/s, ${stat('new_units_added')} new corpus entries, peak RSS ${stat('peak_rss_mb')} MB`
      t.ok(runs > 0, runs > 0 ? summary : `${summary}; the fuzzer's last lines (all in ${work}/fuzzer.log):\n${out.text.split('\n').slice(-25).join('\n')}`)
      if (findings.length === 0 && out.code === 0 && runs > 0) rmSync(work, { recursive: true, force: true })
    })
  }
}
