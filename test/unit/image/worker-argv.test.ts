// What the unpack threads inherit of the engine's node flags: an allow-list (loaders, source maps,
// conditions), never a debugger port, a profiler, heap limits, -e's --input-type or a preload.
import t from 'tap'
import { workerExecArgv } from '../../../src/image/unpack/unpack-thread.js'

t.test('worker execArgv: only the allowed flags, each with its value', async (t) => {
  const parent = [
    '--import=file:///loader.mjs',
    '--inspect=127.0.0.1:9229',
    '--input-type',
    'module',
    '--max-old-space-size=100',
    '--import',
    'file:///other.mjs',
    '--enable-source-maps',
    '--cpu-prof',
    '--cpu-prof-dir',
    '/tmp/prof',
    '-r',
    'preload.js',
    '--require=p2.js',
    '--conditions',
    'development',
    '--heapsnapshot-signal=SIGUSR2',
  ]
  t.same(workerExecArgv(parent), ['--import=file:///loader.mjs', '--import', 'file:///other.mjs', '--enable-source-maps', '--conditions', 'development'])
  t.same(workerExecArgv([]), [])
  t.same(workerExecArgv(['--inspect-brk']), [], 'a debugger flag alone')
})
