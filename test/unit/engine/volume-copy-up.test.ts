// A volume's data directory at container create, without root: one that cannot be read stops the
// create (ESTATE, the read error as cause, the volume the create made taken back); it is not read
// as "not empty" (which skipped the copy of the image's content and went on).
import { mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EventBus } from '../../../src/engine/events.js'
import { VolumeService } from '../../../src/engine/volumes/service.js'

const work = mkdtempSync(join(tmpdir(), 'tocker-unit-volume-copyup-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

const plan = (name: string) => ({ Type: 'volume' as const, Source: name, Destination: '/data', RW: true, Mode: 'z', Propagation: '' })

t.test("a volume whose data directory cannot be read is an error, not 'not empty'", async (t) => {
  const svc = new VolumeService({ root: join(work, 'root'), events: new EventBus(), users: () => [] })
  svc.load()
  const [rec] = svc.store.create({ Name: 'broken' })
  const data = svc.store.dataDir(rec.Name)
  renameSync(data, `${data}.kept`)
  symlinkSync('_data', data) // a loop: ELOOP (EIO or EACCES on a damaged machine)
  const err = await svc.resolve([plan('broken')], []).then(() => undefined, (e: unknown) => e as Error & { code?: string; cause?: { code?: string } })
  t.match(err, { code: 'ESTATE', message: /^cannot read the volume's data directory .*broken\/_data: ELOOP/ })
  t.equal(err?.cause?.code, 'ELOOP', 'the read error is the cause')

  // Readable and empty: resolved (nothing to copy from an image without layers).
  rmSync(data)
  renameSync(`${data}.kept`, data)
  const ok = await svc.resolve([plan('broken')], [])
  t.same(ok.mounts.map((m) => m.Name), ['broken'])
  ok.release()
})
