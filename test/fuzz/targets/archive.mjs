// Fuzz target: `load` of an archive (docker-archive or OCI layout, plain or gzip'd): extraction,
// manifest.json / index.json / oci-layout / blobs / configs, tags. Layers are reported present, so
// none is unpacked (the tar reader has its own target); everything else is the real code, with the
// extracted members in a temp dir that is removed after each input.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { expected } from './common.mjs'
const { loadArchive } = await import('../../../dist/src/image/archive/load.js')

const root = mkdtempSync(join(tmpdir(), 'tocker-fuzz-archive-'))
process.on('exit', () => rmSync(root, { recursive: true, force: true }))
let n = 0
const store = {
  session: () => ({ mkdtemp: (p) => mkdtempSync(join(root, `${p}${n++}-`)) }),
  hasLayer: () => true,
  addLayer: async () => 'exists',
  discardLayers() {},
  unpinLayers() {},
  commitImage: (a) => ({ id: a.configDigest }),
  resolveId: () => undefined,
  tag() {},
}

export async function fuzz(data) {
  try {
    await loadArchive(store, Readable.from([Buffer.from(data)]))
  } catch (err) {
    expected(err)
  }
}
