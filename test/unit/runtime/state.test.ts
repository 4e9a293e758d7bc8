// The runtime's state.json: written without fsync (state.ts says why), so after a crash of the
// machine it may be empty; such a file is told apart from one broken now, and delete --force
// clears it.
import t from 'tap'
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deleteContainer } from '../../../src/runtime/operations.js'
import { makeStateDir, readState, STALE_STATE, writeState, type StoredState } from '../../../src/runtime/state.js'
import { removeDir, tempDir } from '../../helpers/bundle.js'

const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1])

function stored(id: string): StoredState {
  return {
    ociVersion: '1.0.2',
    id,
    pid: 0,
    pidStartTime: '',
    shimPid: 0,
    shimStartTime: '',
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: '2026-12-04T00:00:00.000Z',
    owner: 'root',
    process: { cwd: '/', args: ['true'] } as StoredState['process'],
  }
}

t.test('a state.json is read back whole', async (t) => {
  const root = tempDir('tocker-state-')
  t.teardown(() => removeDir(root))
  makeStateDir(root, 'c1')
  const st = stored('c1')
  writeState(root, st)
  t.same(readState(root, 'c1'), st)
})

t.test('an empty state.json from before this boot: STALE_STATE, and delete --force clears it', async (t) => {
  const root = tempDir('tocker-state-')
  t.teardown(() => removeDir(root))
  const dir = makeStateDir(root, 'c2')
  const file = join(dir, 'state.json')
  writeFileSync(file, '')
  const before = bootSeconds - 3600
  utimesSync(file, before, before)
  t.throws(() => readState(root, 'c2'), { code: STALE_STATE, message: /cut short by the crash/ })
  await t.rejects(deleteContainer('c2', { stateRoot: root }), { code: STALE_STATE }, 'without --force it is reported')
  t.ok(existsSync(dir))
  await deleteContainer('c2', { stateRoot: root, force: true })
  t.notOk(existsSync(dir), 'gone with --force')
})

t.test('an empty state.json written in this boot is an error of its own, never taken for stale', async (t) => {
  const root = tempDir('tocker-state-')
  t.teardown(() => removeDir(root))
  const dir = makeStateDir(root, 'c3')
  writeFileSync(join(dir, 'state.json'), '')
  let err: unknown
  try {
    readState(root, 'c3')
  } catch (e) {
    err = e
  }
  t.match(err, { message: /cannot read .*state\.json/ })
  t.not((err as { code?: string }).code, STALE_STATE)
  await t.rejects(deleteContainer('c3', { stateRoot: root, force: true }), { message: /cannot read/ }, "not cleared behind the user's back")
  t.ok(existsSync(dir))
})
