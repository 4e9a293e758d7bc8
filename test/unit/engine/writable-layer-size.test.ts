// `system df`'s SizeRw: the bytes of the files in a container's writable layer (find in a child
// process). A file that vanished while find walked is no error; any other complaint of find is.
import t from 'tap'
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unexpectedFindErrors, writableLayerSize } from '../../../src/engine/system.js'

t.test('files count once (hard links too); directories do not; no upper/ is 0', async (t) => {
  const upper = mkdtempSync(join(tmpdir(), 'tocker-upper-'))
  t.teardown(() => rmSync(upper, { recursive: true, force: true }))
  mkdirSync(join(upper, 'etc'))
  writeFileSync(join(upper, 'etc', 'a'), 'x'.repeat(100))
  linkSync(join(upper, 'etc', 'a'), join(upper, 'a-again'))
  writeFileSync(join(upper, 'b'), 'y'.repeat(23))
  t.equal(await writableLayerSize(upper), 123)
  t.equal(await writableLayerSize(join(upper, 'absent')), 0)
})

t.test("find's stderr: only vanished files are expected", async (t) => {
  t.same(unexpectedFindErrors("find: '/u/tmp/x': No such file or directory\n"), [])
  t.same(unexpectedFindErrors("find: '/u/tmp/x': No such file or directory\nfind: '/u/secret': Permission denied\n"), ["find: '/u/secret': Permission denied"])
})
