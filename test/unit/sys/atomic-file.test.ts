// writeFileAtomicAsync's writeNow: the temporary file is written before the call returns, so that
// only its fdatasync (one request to libuv's pool) is left while the caller's thread is held; the
// target appears whole, by rename, once that has landed. Without the fdatasync (durable: false)
// nothing is left to wait for: the target is replaced before the call returns.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { writeFileAtomicAsync } from '../../../src/sys/atomic-file.js'

t.test('writeNow: written at once, renamed over the target after its fdatasync; no temporary file left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-atomic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const target = join(dir, 'state.json')
  await writeFileAtomicAsync(target, 'old\n', { writeNow: true })
  const data = JSON.stringify({ big: 'x'.repeat(100_000) })
  const written = writeFileAtomicAsync(target, data, { mode: 0o600, writeNow: true })
  // Before any turn of the event loop: the new content is in its temporary file, the target still old.
  const tmp = readdirSync(dir).filter((f) => f.startsWith('.state.json.') && f.endsWith('.tmp'))
  t.equal(tmp.length, 1, 'the temporary file exists already')
  t.equal(readFileSync(join(dir, tmp[0]!), 'utf8'), data, 'with all of the content')
  t.equal(readFileSync(target, 'utf8'), 'old\n', 'the target is not replaced before the fdatasync')
  await written
  t.equal(readFileSync(target, 'utf8'), data, 'then the target has it')
  t.same(readdirSync(dir), ['state.json'], 'and nothing else is left')
})

t.test('writeNow, durable: false: the target is replaced before the call returns, no temporary file left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-atomic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const target = join(dir, 'container.json')
  await writeFileAtomicAsync(target, 'old\n', { writeNow: true, durable: false })
  const data = JSON.stringify({ big: 'y'.repeat(100_000) })
  const written = writeFileAtomicAsync(target, data, { mode: 0o600, writeNow: true, durable: false })
  // Before any turn of the event loop (no step of it waits for libuv's pool).
  t.equal(readFileSync(target, 'utf8'), data, 'the target has the new content at once')
  t.same(readdirSync(dir), ['container.json'], 'and nothing else is left')
  await written
  t.equal(readFileSync(target, 'utf8'), data)
})

t.test('writeNow: a failed write leaves the target as it was and no temporary file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-atomic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await t.rejects(writeFileAtomicAsync(join(dir, 'missing', 'state.json'), 'x', { writeNow: true }), { code: 'ENOENT' })
  await t.rejects(writeFileAtomicAsync(join(dir, 'missing', 'state.json'), 'x', { writeNow: true, durable: false }), { code: 'ENOENT' })
  t.same(readdirSync(dir), [])
})
