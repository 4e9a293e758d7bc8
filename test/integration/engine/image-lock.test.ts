// rmi and create are serialised inside the engine: from the moment a create resolves its image
// until its record is saved, an rmi of that image waits, so it can never delete the layers the new
// container is about to mount (issue 9's race). The engine's real Lifecycle and ImageService on a
// real store; the runtime backend's prepare() is held open to widen the window deterministically.
import { mkdtempSync, rmSync, existsSync, createReadStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ContainerTable } from '../../../src/engine/container-table.js'
import { ContainerEvents, EventBus } from '../../../src/engine/events.js'
import { ImageService } from '../../../src/engine/images/service.js'
import { Lifecycle, type LifecycleDeps } from '../../../src/engine/lifecycle.js'
import type { RuntimeBackend } from '../../../src/engine/backend.js'
import { RWLock } from '../../../src/engine/rwlock.js'
import { loadArchive } from '../../../src/image/archive/load.js'
import { OFFLINE_IMAGES } from '../../helpers/paths.js'

const BUSYBOX_TAR = join(OFFLINE_IMAGES, 'busybox.tar')

t.test('RWLock: readers share, a writer waits for them and holds back later readers', async (t) => {
  const lock = new RWLock()
  const log: string[] = []
  let releaseReader!: () => void
  const r1 = lock.read(() => new Promise<void>((r) => (releaseReader = () => (log.push('r1 done'), r())))).then(() => undefined)
  const r2 = lock.read(async () => void log.push('r2 ran'))
  await r2
  const w = lock.write(async () => void log.push('writer ran'))
  const r3 = lock.read(async () => void log.push('r3 ran'))
  await new Promise((r) => setTimeout(r, 20))
  t.same(log, ['r2 ran'], 'the writer waits for the reader still inside; r3 waits behind the writer')
  releaseReader()
  await Promise.all([r1, w, r3])
  t.same(log, ['r2 ran', 'r1 done', 'writer ran', 'r3 ran'])
})

t.test('an rmi -f issued while a create is between resolve and record waits, and deletes nothing it needs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-image-lock-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const bus = new EventBus()
  const table = new ContainerTable(join(root, 'containers'))
  table.load()
  const images = new ImageService({
    root,
    events: bus,
    users: (id) => table.all().filter((r) => r.ImageID === id).map((r) => ({ id: r.Id, running: r.State.Running })),
  })
  t.teardown(() => images.close())
  const [loaded] = await loadArchive(images.store, createReadStream(BUSYBOX_TAR))
  let enterPrepare!: () => void
  const inPrepare = new Promise<void>((r) => (enterPrepare = r))
  let finishPrepare!: () => void
  const prepared = new Promise<void>((r) => (finishPrepare = r))
  const runtime = {
    checkLimits() {},
    async prepare() {
      enterPrepare()
      await prepared // a slow prepare: the window between resolve and record
    },
  } as unknown as RuntimeBackend
  const lifecycle = new Lifecycle({ table, images, runtime, events: new ContainerEvents(bus), warn: () => {} } as unknown as LifecycleDeps)

  const create = lifecycle.create({ Image: 'busybox', Cmd: ['true'] }, 'racer')
  await inPrepare
  let removed: unknown
  const rmi = images.remove('busybox', { force: true }).then(
    (r) => (removed = r),
    (err) => (removed = err),
  )
  await new Promise((r) => setTimeout(r, 50))
  t.equal(removed, undefined, 'the rmi waits while the create is in progress')
  finishPrepare()
  const { Id } = await create
  await rmi
  t.same(removed, [{ Untagged: 'busybox:latest' }], 'then it only untags: the new container uses the image')
  const rec = table.find(Id)
  t.equal(rec.ImageID, loaded.id)
  for (const dir of rec.LowerDirs) t.ok(existsSync(dir), `the container's lower dir ${dir} is there`)
  t.ok(images.store.get(loaded.id), 'the image stays (dangling) while its container exists')
})
