// A removed container's directory is moved into <root>/trash and deleted after the answer
// (src/engine/trash.ts): gone from its place when `rm` (or --rm's wait) answers, deleted by the time
// the engine closes, and what an engine that died mid-deletion left is deleted at the next start.
// With the fake runtime (no root); test/integration/engine/lifecycle.test.ts has the real one.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Engine } from '../../../src/engine/engine.js'
import { removeContainerTree } from '../../../src/engine/remove-tree.js'
import { onTrace } from '../../../src/trace/trace.js'
import { FakeRuntime, fakeImages } from '../fakes/runtime.js'

function store(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-trash-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  return root
}

t.test('rm answers with the directory moved aside; its files are deleted after, and all by close', async (t) => {
  const root = store(t)
  const runtime = new FakeRuntime()
  const engine = new Engine({ root, runtime, images: fakeImages() })
  await engine.init()
  const { Id } = await engine.create({ Image: 'busybox' }, 'web')
  // What a container wrote: a writable layer with files (deleted by a process: rm -rf).
  mkdirSync(join(root, 'containers', Id, 'upper', 'data'), { recursive: true })
  for (let i = 0; i < 50; i++) writeFileSync(join(root, 'containers', Id, 'upper', 'data', `f${i}`), 'x')
  await engine.remove('web', { force: false, volumes: false })
  // No event-loop turn since the answer: the deletion (a process, or libuv's pool) cannot have ended.
  t.notOk(existsSync(join(root, 'containers', Id)), 'gone from its place at the answer')
  t.ok(existsSync(join(root, 'trash', Id, 'upper', 'data', 'f0')), 'its files are deleted after the answer, not before')
  t.throws(() => engine.find('web'), { status: 404, message: 'No such container: web' })
  await engine.create({ Image: 'busybox' }, 'web')
  t.pass('the name is free at once')
  await engine.close()
  t.same(readdirSync(join(root, 'trash')), [], 'close waits for the deletions under way')
})

t.test('--rm: the same for the container that removes itself at its exit', async (t) => {
  const root = store(t)
  const runtime = new FakeRuntime()
  const engine = new Engine({ root, runtime, images: fakeImages() })
  await engine.init()
  const { Id } = await engine.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, 'once')
  await engine.start('once')
  const w = engine.wait('once', 'removed')
  runtime.exit(Id, 0)
  t.same(await w.result, { StatusCode: 0, Error: null })
  t.notOk(existsSync(join(root, 'containers', Id)), 'gone from its place when wait answers')
  await engine.close()
  t.same(readdirSync(join(root, 'trash')), [], 'deleted by close')
})

t.test('an engine that died mid-deletion: the next one deletes what it left in trash/', async (t) => {
  const root = store(t)
  const left = join(root, 'trash', 'a'.repeat(64))
  mkdirSync(join(left, 'upper', 'deep', 'er'), { recursive: true })
  writeFileSync(join(left, 'upper', 'deep', 'er', 'file'), 'x')
  const engine = new Engine({ root, runtime: new FakeRuntime(), images: fakeImages() })
  await engine.init()
  await engine.close()
  t.notOk(existsSync(left), 'swept at start (close waited for it)')
})

// rename(2) cannot move a name to another file system (EXDEV), nor move a mount point (EBUSY):
// the store's containers/ on a mount of its own (test/integration/engine/logs-enospc.test.ts puts
// a size-limited tmpfs there) must still remove, deleting the directory in place. Here containers/
// is a link to a directory under /dev/shm (a tmpfs), trash/ stays on the store's file system.
t.test('a container directory on another file system than trash/ is deleted in place', async (t) => {
  const root = store(t)
  const shm = mkdtempSync(join('/dev/shm', 'tocker-unit-trash-'))
  t.teardown(() => rmSync(shm, { recursive: true, force: true }))
  symlinkSync(shm, join(root, 'containers'))
  const engine = new Engine({ root, runtime: new FakeRuntime(), images: fakeImages() })
  await engine.init()
  const { Id } = await engine.create({ Image: 'busybox' }, 'web')
  writeFileSync(join(root, 'containers', Id, 'upper-file'), 'x')
  await engine.remove('web', { force: false, volumes: false })
  t.notOk(existsSync(join(shm, Id)), 'deleted where it was')
  t.throws(() => engine.find('web'), { status: 404, message: 'No such container: web' })
  await engine.close()
  t.same(readdirSync(join(root, 'trash')), [], 'nothing in trash/')
})

// A volatile mount (--rm: runtime/overlay.ts) leaves work/work/incompat/volatile/dirty: still a
// container that wrote nothing, deleted in this process. Through `rm -rf` the engine forked (15 ms
// of system time at 100 MB RSS) and rm ran (10 ms), per `run --rm`.
t.test("a volatile mount's mark alone in work/work: deleted in-process, no rm -rf process", async (t) => {
  const root = store(t)
  const kinds = async (make: (dir: string) => void): Promise<string[]> => {
    const dir = mkdtempSync(join(root, 'ctr-'))
    for (const d of ['upper', 'rootfs', 'work/work']) mkdirSync(join(dir, d), { recursive: true })
    make(dir)
    const seen: string[] = []
    const off = onTrace((e) => seen.push(`${e.kind} ${e.op}`))
    try {
      await removeContainerTree(dir, 'test')
    } finally {
      off()
    }
    t.notOk(existsSync(dir), 'deleted')
    return seen
  }
  const mark = (dir: string) => {
    mkdirSync(join(dir, 'work/work/incompat/volatile'), { recursive: true })
    writeFileSync(join(dir, 'work/work/incompat/volatile/dirty'), '')
  }
  t.same(await kinds(() => {}), ['fs rm'], 'nothing written: in-process')
  t.same(await kinds(mark), ['fs rm'], 'only the volatile mark: in-process')
  t.same(await kinds((dir) => (mark(dir), writeFileSync(join(dir, 'work/work/incompat/other'), ''))), ['exec rm'], 'anything more in work/work: rm -rf')
  t.same(await kinds((dir) => writeFileSync(join(dir, 'upper/file'), '')), ['exec rm'], 'a file written: rm -rf')
})
