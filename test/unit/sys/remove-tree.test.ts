// removeTree is rm -rf of a state dir: nested directories, sockets and symlinks go (a symlink, never
// what it points to), a missing path is fine, and a file path is removed as a file.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { removeTree } from '../../../src/sys/remove-tree.js'

t.test('a tree with files, a socket, a nested dir and a symlink to a dir outside it', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'tocker-unit-rmtree-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  const outside = join(base, 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'keep'), 'x')
  const dir = join(base, 'state')
  mkdirSync(join(dir, 'execs', 'deeper'), { recursive: true })
  writeFileSync(join(dir, 'state.json'), '{}')
  writeFileSync(join(dir, 'execs', 'a.json'), '{}')
  writeFileSync(join(dir, 'execs', 'deeper', 'b'), '')
  symlinkSync(outside, join(dir, 'link'))
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(join(dir, 'start.sock'), resolve))
  server.close()
  removeTree(dir)
  t.notOk(existsSync(dir), 'the tree is gone')
  t.ok(existsSync(join(outside, 'keep')), 'what a symlink in it pointed to is not touched')
})

t.test('a path that does not exist, and a plain file', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'tocker-unit-rmtree-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  t.doesNotThrow(() => removeTree(join(base, 'nothing')), 'nothing there: fine (rm -rf)')
  writeFileSync(join(base, 'file'), 'x')
  removeTree(join(base, 'file'))
  t.notOk(existsSync(join(base, 'file')), 'a file is removed too')
})
