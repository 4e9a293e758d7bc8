// A directory to a layer of the store: a container's upper directory (a RUN step, `commit`) or the
// files a COPY step made. The directory is read as an OCI layer tar (dir-tar.ts: overlay whiteouts
// become .wh. entries, opaque directories .wh..wh..opq) and the store unpacks that stream as it
// would a pulled layer, computing its DiffID. An empty directory makes no layer (Docker's
// empty_layer). The conversion is one trace event (`--explain`).
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { dirTar, type DirTarStats } from '../../image/diff/dir-tar.js'
import type { ImageStore } from '../../image/store.js'
import { traced } from '../../trace/trace.js'

export async function layerFromDir(store: ImageStore, dir: string, overlay: boolean): Promise<string | undefined> {
  const stats: DirTarStats = { entries: 0, whiteouts: 0, opaqueDirs: 0, size: 0 }
  const tar = dirTar(dir, stats, { overlay })
  const first = await tar.next()
  if (stats.entries === 0) {
    await tar.return(undefined)
    return undefined
  }
  const all = async function* () {
    if (!first.done) yield first.value
    yield* tar
  }
  const started = performance.now()
  const r = await store.addLayerStream(Readable.from(all()))
  traced(
    'fs',
    'layer-diff',
    () =>
      `${dir} -> layer ${r.diffID}: ${stats.entries} entries (${stats.whiteouts} whiteouts as .wh.<name>, ${stats.opaqueDirs} opaque directories as .wh..wh..opq), ${stats.size} bytes of files, ${r.status === 'exists' ? 'already in the store' : 'stored'} in ${Math.round(performance.now() - started)} ms`,
    () => undefined,
  )
  return r.diffID
}
