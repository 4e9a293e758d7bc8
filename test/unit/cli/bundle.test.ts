// The CLI as bin/tocker runs it: from the bundle npm run build writes (scripts/bundle.mjs), split
// into an entry and chunks, each compiled through its V8 code cache by bin/bundle-loader.cjs.
// Checked on the built files with real Node processes (no engine, no root): a command reads only
// the chunks it needs, the caches written by one run are taken by the next, and what the command
// prints and its exit code are the compiled tree's (TOCKER_NO_BUNDLE=1).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runPiped } from './piped-run.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const TOCKER = join(repo, 'bin', 'tocker')
const BUNDLE = join(repo, 'dist', 'bundle')

/**
 * bin/tocker's run (of the checkout at `at`), with which of the bundle's files it read and whether V8
 * took their caches. `asRoot`: process.getuid() says 0, so that a command that needs root runs its
 * own code as far as it gets without an engine (the unit tier runs as uid 65534).
 */
const probeScript = (at: string, asRoot = false) =>
  `${asRoot ? 'process.getuid = () => 0' : ''}
const fs = require('node:fs'), vm = require('node:vm')
const read = [], scripts = []
const readFileSync = fs.readFileSync
fs.readFileSync = function (p, ...rest) { if (String(p).startsWith(${JSON.stringify(join(at, 'dist', 'bundle'))})) read.push(String(p)); return readFileSync.call(this, p, ...rest) }
const Script = vm.Script
vm.Script = class extends Script { constructor(src, o) { super(src, o); scripts.push([o.filename, o.cachedData !== undefined, this.cachedDataRejected === true]) } }
process.on('exit', () => process.stderr.write('PROBE' + JSON.stringify({ read, scripts })))
process.argv.splice(1, 0, ${JSON.stringify(join(at, 'bin', 'tocker'))})
require(${JSON.stringify(join(at, 'bin', 'bundle-loader.cjs'))})('tocker', 'cli/main.js')
`

interface Probed {
  status: number | null
  stdout: string
  stderr: string
  read: string[]
  scripts: [string, boolean, boolean][]
}

function probe(...args: string[]): Probed {
  return probeAt(repo, ...args)
}

function probeAt(checkout: string, ...args: string[]): Probed {
  return probeWith(checkout, false, {}, args)
}

function probeWith(checkout: string, asRoot: boolean, env: Record<string, string>, args: string[]): Probed {
  const r = spawnSync(process.execPath, ['-e', probeScript(checkout, asRoot), '--', ...args], { encoding: 'utf8', env: { ...process.env, TOCKER_NO_BUNDLE: '', ...env } })
  const at = r.stderr.lastIndexOf('PROBE')
  const seen = JSON.parse(r.stderr.slice(at + 'PROBE'.length)) as { read: string[]; scripts: [string, boolean, boolean][] }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.slice(0, at), ...seen }
}

function tree(...args: string[]) {
  return spawnSync(process.execPath, [TOCKER, ...args], { encoding: 'utf8', env: { ...process.env, TOCKER_NO_BUNDLE: '1' } })
}

const chunks = readdirSync(join(BUNDLE, 'tocker')).filter((f) => f.endsWith('.cjs'))
const sizeOf = (f: string) => statSync(f).size
const wholeBundle = sizeOf(join(BUNDLE, 'tocker.cjs')) + chunks.reduce((n, f) => n + sizeOf(join(BUNDLE, 'tocker', f)), 0)

t.test('every file of the bundle is its code inside Node module wrapper, ASCII only', async (t) => {
  for (const f of ['tocker.cjs', 'tocker-runtime.cjs', ...chunks.map((c) => join('tocker', c))]) {
    const text = readFileSync(join(BUNDLE, f), 'latin1')
    t.ok(text.startsWith('(function (exports, require, module, __filename, __dirname) { '), `${f} starts with the wrapper`)
    t.ok(text.endsWith('\n});'), `${f} ends it`)
    t.notOk(/[^ -~\t\n\r]/.test(text), `${f} is ASCII`)
  }
})

t.test('a command reads its own chunks, not every command', async (t) => {
  const version = probe('--version')
  t.equal(version.status, 0)
  t.match(version.stdout, /^tocker version \d+\.\d+\.\d+\n$/)
  const help = probe('ps', '--help')
  t.equal(help.status, 0)
  for (const p of [version, help]) {
    const sources = p.read.filter((f) => f.endsWith('.cjs'))
    const bytes = sources.reduce((n, f) => n + sizeOf(f), 0)
    t.ok(bytes < wholeBundle / 2, `${bytes} of the bundle's ${wholeBundle} bytes read`)
    t.notOk(sources.some((f) => /\/(build|cp-local|network|volume)-[A-Z0-9]+\.cjs$/.test(f)), 'no other command chunk')
  }
  // --help of ps loads the help printer, which --version does not (ps's table is in the entry:
  // scripts/bundle.mjs, IN_ENTRY).
  const helpPrinter = (f: string) => /\/help-[A-Z0-9]+\.cjs$/.test(f)
  t.ok(help.read.some(helpPrinter), 'ps --help: the help printer read')
  t.notOk(version.read.some(helpPrinter), '--version: not')
})

// Their default tables and field-only --format templates are filled in by format/field-rows.ts: the Go
// template engine (~20 KB of code) loads only for a --format that needs it.
t.test('ps and images read no template engine for their tables', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-bundle-root-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  for (const cmd of ['ps', 'images']) {
    // No engine there: the command loads its code, then fails to connect.
    const p = probeWith(repo, true, { TOCKER_NO_AUTOSTART: '1' }, ['--root', root, cmd])
    t.equal(p.status, 1, `${cmd}: exit 1`)
    t.match(p.stderr, /^Cannot connect to the tocker engine/, `${cmd}: no engine`)
    const texts = p.read.filter((f) => f.endsWith('.cjs')).map((f) => readFileSync(f, 'latin1'))
    t.ok(texts.some((s) => /function (formatPs|imageRows)\(/.test(s)), `${cmd}: its table code was read`)
    t.notOk(texts.some((s) => s.includes('var TemplateError = class')), `${cmd}: the template engine was not`)
  }
})

// Their one request goes over libuv's pipe handle (src/api/unix-pipe.ts says why): node:net and
// node:stream are never loaded. Against a stand-in engine (node:http on <root>/tocker.sock) so
// that nothing is printed on stderr (a pipe's process.stderr is a net.Socket).
t.test('ps, images and rm load neither node:net nor node:stream', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-bundle-root-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const engine = createServer((_req, res) => res.end('[]'))
  await new Promise<void>((r) => engine.listen(join(root, 'tocker.sock'), r))
  t.teardown(() => new Promise<void>((r) => (engine.closeAllConnections(), engine.close(() => r()))))
  const script = `process.getuid = () => 0
const fs = require('node:fs'), read = [], readFileSync = fs.readFileSync
fs.readFileSync = function (p, ...rest) { if (String(p).startsWith(${JSON.stringify(BUNDLE)}) && String(p).endsWith('.cjs')) read.push(String(p)); return readFileSync.call(this, p, ...rest) }
process.on('exit', () => fs.writeSync(1, 'MODULES' + JSON.stringify({ modules: process.moduleLoadList, read })))
process.argv.splice(1, 0, ${JSON.stringify(TOCKER)})
require(${JSON.stringify(join(repo, 'bin', 'bundle-loader.cjs'))})('tocker', 'cli/main.js')`
  // rm prints the container's name as each-container.ts does: by write(2), not through
  // process.stdout (on a pipe, as here, a net.Socket).
  for (const [cmd, printed] of [[['ps'], /^CONTAINER ID /], [['images'], /^REPOSITORY /], [['rm', '-f', 'c1'], /^c1\n$/]] as const) {
    const { status, out, err } = await runPiped(script, ['--root', root, ...cmd])
    t.equal(status, 0, `${cmd}: exit 0 ${err}`)
    const { modules, read } = JSON.parse(out.slice(out.indexOf('MODULES') + 'MODULES'.length)) as { modules: string[]; read: string[] }
    t.match(out.slice(0, out.indexOf('MODULES')), printed, `${cmd}: its output`)
    t.notOk(modules.includes('NativeModule net'), `${cmd}: node:net not loaded`)
    t.notOk(modules.includes('NativeModule stream'), `${cmd}: node:stream not loaded`)
    // ps and images run from the entry alone (scripts/bundle.mjs, IN_ENTRY): no chunk file of their
    // own or of the template engine is opened (each would be one more file to read and compile).
    if (cmd[0] !== 'rm') t.same(read, [join(BUNDLE, 'loader.cjs'), join(BUNDLE, 'tocker.cjs')], `${cmd}: only the loader and the entry read`)
  }
})

// In a copy of the bundle without its caches, owned by whoever runs the test: the unit tier runs as
// uid 65534, which cannot write caches beside root's build (the loader then runs without them,
// only slower), and the checkout's caches may already exist.
t.test('the code caches one run writes are taken by the next', async (t) => {
  const at = mkdtempSync(join(tmpdir(), 'tocker-unit-bundle-'))
  t.teardown(() => rmSync(at, { recursive: true, force: true }))
  for (const f of ['bin/tocker', 'bin/bundle-loader.cjs', 'package.json']) cpSync(join(repo, f), join(at, f))
  cpSync(BUNDLE, join(at, 'dist', 'bundle'), { recursive: true, filter: (f) => !f.endsWith('.cache') })
  const first = probeAt(at, '--version')
  t.ok(first.scripts.every(([, cached]) => !cached), 'the first run: no cache yet')
  const p = probeAt(at, '--version')
  t.ok(p.scripts.length > 1, 'the entry and its chunks')
  // bin/tocker runs the loader's copy in the bundle through a cache of its own (bin/tocker says why).
  t.same(p.scripts.find(([f]) => f === join(at, 'dist', 'bundle', 'loader.cjs')), [join(at, 'dist', 'bundle', 'loader.cjs'), true, false], 'the loader read with its cache, and V8 takes it')
  for (const [file, cached, rejected] of p.scripts) {
    t.ok(cached, `${file} read with its cache`)
    t.notOk(rejected, `${file}'s cache taken`)
  }

  // The entry's cache is the command's own (bin/bundle-loader.cjs, commandWord): ps's first run
  // compiles the entry from its source, not through --version's cache, and writes tocker.cjs.ps.cache.
  const entry = join(at, 'dist', 'bundle', 'tocker.cjs')
  const noEngine = ['--root', join(at, 'no-root')]
  const firstPs = probeWith(at, true, { TOCKER_NO_AUTOSTART: '1' }, [...noEngine, 'ps'])
  t.match(firstPs.stderr, /^Cannot connect to the tocker engine/, 'ps ran its code (no engine)')
  t.same(firstPs.scripts.find(([f]) => f === entry), [entry, false, false], 'ps: the entry compiled from its source the first time')
  t.ok(existsSync(`${entry}.ps.cache`), 'ps wrote its own cache of the entry')
  const ps = probeWith(at, true, { TOCKER_NO_AUTOSTART: '1' }, [...noEngine, 'ps'])
  t.ok(ps.read.includes(`${entry}.ps.cache`) && !ps.read.includes(`${entry}.cache`), 'the next ps reads its own cache')
  t.same(ps.scripts.find(([f]) => f === entry), [entry, true, false], 'and V8 takes it')
  // images the same way: its own cache, taken from its second run on.
  probeWith(at, true, { TOCKER_NO_AUTOSTART: '1' }, [...noEngine, 'images'])
  const images = probeWith(at, true, { TOCKER_NO_AUTOSTART: '1' }, [...noEngine, 'images'])
  t.same(images.scripts.find(([f]) => f === entry), [entry, true, false], 'images: the entry through its own cache, taken')
  t.ok(images.read.includes(`${entry}.images.cache`), 'images read tocker.cjs.images.cache')
  t.ok(probeAt(at, '--version').read.includes(`${entry}.cache`), '--version (no command word) keeps the shared one')
})

t.test('output and exit codes are those of the compiled tree', async (t) => {
  for (const args of [['--version'], ['--help'], ['ps', '--help'], ['nosuchcommand'], ['ps', '--nosuchflag'], ['run']]) {
    const b = probe(...args)
    const s = tree(...args)
    t.equal(b.status, s.status, `${args.join(' ')}: exit ${s.status}`)
    t.equal(b.stdout, s.stdout, `${args.join(' ')}: stdout`)
    t.equal(b.stderr, s.stderr, `${args.join(' ')}: stderr`)
  }
})
