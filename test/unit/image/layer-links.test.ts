// The layers' short links (layers/l/<26 letters>): derived from the DiffID, made, repaired, swept.
import t from 'tap'
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureLink, linkName, removeDanglingLinks, removeLink, shortLowerDirs } from '../../../src/image/layer-links.js'

const A = 'a'.repeat(64)
const B = '0123456789abcdef'.repeat(4)

t.test('names: 26 base32 letters of the DiffID, the same every time, different per layer', async (t) => {
  t.match(linkName(A), /^[A-Z2-7]{26}$/)
  t.equal(linkName(A), linkName(A))
  t.not(linkName(A), linkName(B))
  t.equal(linkName('0'.repeat(64)), 'A'.repeat(26))
  t.equal(linkName('f'.repeat(64)), '7'.repeat(26))
  t.throws(() => linkName('xyz'), /not a layer id/)
})

t.test('made on demand, repaired when wrong, removed with the layer, swept when dangling', async (t) => {
  const layers = mkdtempSync(join(tmpdir(), 'tocker-links-'))
  t.teardown(() => rmSync(layers, { recursive: true, force: true }))
  for (const h of [A, B]) mkdirSync(join(layers, h, 'diff'), { recursive: true })
  const path = ensureLink(layers, A)
  t.equal(path, join(layers, 'l', linkName(A)))
  t.equal(readlinkSync(path), `../${A}/diff`)
  t.equal(ensureLink(layers, A), path, 'a second call finds it')
  rmSync(path)
  symlinkSync(`../${B}/diff`, path)
  ensureLink(layers, A)
  t.equal(readlinkSync(path), `../${A}/diff`, 'a link to another layer is replaced')
  rmSync(path)
  writeFileSync(path, 'x')
  ensureLink(layers, A)
  t.equal(readlinkSync(path), `../${A}/diff`, 'a file in its place is replaced')
  t.same(shortLowerDirs(layers, [join(layers, B, 'diff'), '/elsewhere/diff']), [join(layers, 'l', linkName(B)), '/elsewhere/diff'])
  removeLink(layers, B)
  removeLink(layers, B) // already gone: fine
  rmSync(join(layers, A), { recursive: true })
  symlinkSync(`../${'c'.repeat(64)}/diff`, join(layers, 'l', 'DANGLING'))
  t.equal(removeDanglingLinks(layers), 2)
  t.same(readdirSync(join(layers, 'l')), [])
})
