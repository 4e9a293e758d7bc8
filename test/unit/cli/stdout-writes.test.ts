// The commands that print once print by writeStdout (write(2) to fd 1, src/cli/output.ts), as ps,
// images, inspect and the several-container commands do: through process.stdout, which on a pipe
// is a net.Socket, --version, help, history, network ls, port and diff loaded node:net and
// node:stream for their one write (help also for its width: help.ts asks fstat first). Run from the bundle with stdout a pipe, against a stand-in
// engine (node:http on <root>/tocker.sock); a 'MODULES' line at exit lists what was loaded.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runPiped } from './piped-run.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const TOCKER = join(repo, 'bin', 'tocker')

t.test('--version, help, history, network ls, port and diff load neither node:net nor node:stream', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-stdout-root-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const engine = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json')
    const url = req.url ?? ''
    if (url.includes('/containers/c1/changes')) return void res.end(JSON.stringify([{ Kind: 1, Path: '/tmp/new' }]))
    if (url.includes('/containers/c1/json')) return void res.end(JSON.stringify({ Id: 'c1'.padEnd(64, '0'), Name: '/c1', NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }] } } }))
    res.end('[]')
  })
  await new Promise<void>((r) => engine.listen(join(root, 'tocker.sock'), r))
  t.teardown(() => new Promise<void>((r) => (engine.closeAllConnections(), engine.close(() => r()))))
  const script = `process.getuid = () => 0
const fs = require('node:fs')
process.on('exit', () => fs.writeSync(1, 'MODULES' + JSON.stringify(process.moduleLoadList)))
process.argv.splice(1, 0, ${JSON.stringify(TOCKER)})
require(${JSON.stringify(join(repo, 'bin', 'bundle-loader.cjs'))})('tocker', 'cli/main.js')`
  const cases: [string[], RegExp][] = [
    [['--version'], /^tocker version \S+\n$/],
    [['--help'], /^Usage: {2}tocker \[OPTIONS\] COMMAND\n/],
    [['help', 'ps'], /^Usage: {2}tocker ps \[OPTIONS\]\n/],
    [['ps', '--help'], /^Usage: {2}tocker ps \[OPTIONS\]\n/],
    [['history', 'busybox'], /^IMAGE +CREATED +CREATED BY +SIZE +COMMENT\n$/],
    [['network', 'ls'], /^NETWORK ID +NAME +DRIVER +SCOPE\n$/],
    [['port', 'c1'], /^80\/tcp -> 0\.0\.0\.0:8081\n$/],
    [['diff', 'c1'], /^A \/tmp\/new\n$/],
  ]
  for (const [cmd, printed] of cases) {
    const { status, out, err } = await runPiped(script, ['--root', root, ...cmd])
    t.equal(status, 0, `${cmd.join(' ')}: exit 0 ${err}`)
    const at = out.indexOf('MODULES')
    t.match(out.slice(0, at), printed, `${cmd.join(' ')}: its output`)
    const modules = JSON.parse(out.slice(at + 'MODULES'.length)) as string[]
    t.notOk(modules.includes('NativeModule net'), `${cmd.join(' ')}: node:net not loaded`)
    t.notOk(modules.includes('NativeModule stream'), `${cmd.join(' ')}: node:stream not loaded`)
  }
})
