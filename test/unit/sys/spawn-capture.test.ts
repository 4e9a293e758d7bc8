// sys/spawn-capture.ts: a program started with posix_spawn, its stdin fed, its output and exit
// captured, and reaped (no zombie left). Root-free: real processes (cat, sh).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { spawnCapture } from '../../../src/sys/spawn-capture.js'

t.test('stdin fed, stdout captured, exit 0', async (t) => {
  t.same(await spawnCapture('cat', [], 'line 1\nline 2\n'), { code: 0, stdout: 'line 1\nline 2\n', stderr: '' })
})

t.test('stdout and stderr apart, the exit code, no stdin (/dev/null)', async (t) => {
  t.same(await spawnCapture('sh', ['-c', 'cat; echo out; echo err >&2; exit 3']), { code: 3, stdout: 'out\n', stderr: 'err\n' })
})

t.test('a signal: code null and its number', async (t) => {
  t.same(await spawnCapture('sh', ['-c', 'kill -9 $$']), { code: null, signal: 9, stdout: '', stderr: '' })
})

t.test('a program that exits without reading its stdin', async (t) => {
  t.same(await spawnCapture('true', [], 'x'.repeat(1 << 20)), { code: 0, stdout: '', stderr: '' })
})

t.test('a program not on $PATH: ENOENT', async (t) => {
  await t.rejects(spawnCapture('tocker-no-such-tool', []), { code: 'ENOENT' })
})

t.test('every child is reaped: no zombie of ours', async (t) => {
  await Promise.all(Array.from({ length: 10 }, () => spawnCapture('true', [])))
  const zombies = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z')
      } catch {
        return false
      }
    })
  t.same(zombies, [])
})
