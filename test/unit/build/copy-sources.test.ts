// COPY's sources in the build context, without root: a missing source is Docker's "file not found",
// and a source that cannot be resolved (a symbolic-link loop) says so instead of passing for missing.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { prepareCopy, type CopySpec } from '../../../src/engine/build/copy.js'
import { LayerStack } from '../../../src/image/diff/layer-stack.js'

const work = mkdtempSync(join(tmpdir(), 'tocker-copy-sources-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const ctx = join(work, 'ctx')
mkdirSync(ctx)
writeFileSync(join(ctx, 'hello.txt'), 'hello\n')
symlinkSync('loop', join(ctx, 'loop'))
mkdirSync(join(work, 'image'))

const spec = (sources: string[]): CopySpec => ({
  cmd: 'COPY',
  sources,
  dest: '/dst/',
  workingDir: '/',
  source: new LayerStack([ctx], true),
  fromImage: false,
  image: new LayerStack([join(work, 'image')]),
  scratch: join(work, 'scratch'),
})

t.test('a source that is there: its content hash', async (t) => {
  const p = await prepareCopy(spec(['hello.txt']))
  t.match(p.hash, /^file:[0-9a-f]{64}$/)
})

t.test("a missing source: Docker's file-not-found error", async (t) => {
  await t.rejects(prepareCopy(spec(['nope.txt'])), { code: 'EBUILD', message: 'COPY failed: file not found in build context or excluded by .dockerignore: stat nope.txt: file does not exist' })
  await t.rejects(prepareCopy(spec(['hello.txt/x'])), { message: /file not found in build context/ }, 'a file named as a directory is missing too')
})

t.test('a symbolic-link loop is an error of its own, not a missing file', async (t) => {
  const err = await prepareCopy(spec(['loop'])).then(() => undefined, (e: unknown) => e as Error & { code: string; cause?: { code?: string } })
  t.ok(err, 'refused')
  t.equal(err?.code, 'EBUILD')
  t.equal(err?.message, 'COPY failed: too many levels of symbolic links: /loop')
  t.equal(err?.cause?.code, 'ELOOP', 'the lookup failure is the cause')
})
