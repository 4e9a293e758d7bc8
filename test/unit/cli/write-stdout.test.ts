// cli/output.ts's writeStdout: a command's output written to fd 1 by write(2), not through
// process.stdout (ps, images). Checked in real Node processes (the compiled tree, dist/src/) on
// what process.stdout handled for them: a pipe whose reader is slow while the pipe is non-blocking
// (libuv sets O_NONBLOCK on it once process.stdout exists), a reader that goes away (exit 141,
// nothing on stderr, as `docker ps | head -1`), and a file. No root needed.
import { spawn } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const OUTPUT = pathToFileURL(join(repo, 'dist', 'src', 'cli', 'output.js')).href
const SIZE = 4 << 20

/** A child that writes SIZE bytes (a known pattern) with writeStdout; `touch`: it makes process.stdout first. */
const writer = (touch: boolean) => `${touch ? 'process.stdout;' : ''} import(${JSON.stringify(OUTPUT)}).then(({ writeStdout }) => writeStdout('0123456789abcdef'.repeat(${SIZE / 16})))`

function run(touch: boolean, stdout: 'pipe' | number, onChild?: (c: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', writer(touch)], { stdio: ['ignore', stdout, 'pipe'] })
    const chunks: Buffer[] = []
    let err = ''
    c.stderr!.on('data', (d) => (err += d))
    if (stdout === 'pipe') c.stdout!.on('data', (d: Buffer) => chunks.push(d))
    onChild?.(c)
    c.on('close', (code) => done({ code, out: Buffer.concat(chunks), err }))
  })
}

const want = Buffer.from('0123456789abcdef'.repeat(SIZE / 16))

t.test('a slow reader on a non-blocking pipe gets every byte', { timeout: 60_000 }, async (t) => {
  for (const touch of [false, true]) {
    const r = await run(touch, 'pipe', (c) => {
      // Read nothing for 300 ms: the 64 KB pipe fills and the writer meets EAGAIN (touch) or blocks.
      c.stdout!.pause()
      setTimeout(() => c.stdout!.resume(), 300)
    })
    t.equal(r.err, '', `${touch ? 'with' : 'without'} process.stdout first: nothing on stderr`)
    t.equal(r.code, 0, 'exit 0')
    t.ok(r.out.equals(want), `all ${SIZE} bytes, in order (got ${r.out.length})`)
  }
})

t.test('a reader that goes away ends the writer quietly with 141', { timeout: 60_000 }, async (t) => {
  const r = await run(true, 'pipe', (c) => c.stdout!.once('data', () => c.stdout!.destroy()))
  t.equal(r.code, 141, 'exit 141 (128 + SIGPIPE)')
  t.equal(r.err, '', 'nothing on stderr')
})

t.test('to a file: the whole output', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-write-stdout-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const fd = openSync(join(dir, 'out'), 'w')
  const r = await run(false, fd)
  closeSync(fd)
  t.equal(r.code, 0)
  t.ok(readFileSync(join(dir, 'out')).equals(want), 'the file holds every byte')
})
