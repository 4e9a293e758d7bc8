// A directory to a layer of the store: a container's upper directory (a RUN step, `commit`) or the
// files a COPY step made. An unpacking thread reads the directory as an OCI layer tar (dir-tar.ts:
// overlay whiteouts become .wh. entries, opaque directories .wh..wh..opq) and unpacks that stream as
// it would a pulled layer, computing its DiffID; the engine's main thread only waits (a RUN making
// 20k files no longer stalls every other client). An empty directory makes no layer (Docker's
// empty_layer). The conversion is one trace event (`--explain`).
import { performance } from 'node:perf_hooks'
import type { ImageStore } from '../../image/store.js'
import { traced } from '../../trace/trace.js'

export async function layerFromDir(store: ImageStore, dir: string, overlay: boolean): Promise<string | undefined> {
  const started = performance.now()
  const r = await store.addLayerFromDir(dir, overlay)
  if (!r) return undefined
  const { stats } = r
  traced(
    'fs',
    'layer-diff',
    () =>
      `${dir} -> layer ${r.diffID}: ${stats.entries} entries (${stats.whiteouts} whiteouts as .wh.<name>, ${stats.opaqueDirs} opaque directories as .wh..wh..opq), ${stats.size} bytes of files, ${
        r.status === 'exists' ? 'already in the store' : 'stored'
      } in ${Math.round(performance.now() - started)} ms`,
    () => undefined,
  )
  return r.diffID
}
