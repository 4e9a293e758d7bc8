// The pull benchmark's images, built from real files of this machine (cached by layout-cache.mjs):
//
//   bench          layer 1: busybox + ~135 MB of /usr/lib/x86_64-linux-gnu (about 50 MB gzipped)
//                  layer 2: ~30 MB of /usr/share (its subdirectories a-l)
//   bench-sibling  layer 1 shared with bench (same digest), layer 2: the next ~30 MB of
//                  /usr/lib/x86_64-linux-gnu (an "application" layer of binaries)
//
// Real libraries and documents give a realistic compression ratio, unlike random or zero bytes.
import { busyboxBaseEntries } from '../../rootfs-cache/build.mjs'
import { sortEntries } from '../../rootfs-cache/lib/oci-layout.mjs'
import { parentDirs, treeEntries } from '../../rootfs-cache/lib/tree.mjs'
import { BUSYBOX_CONFIG } from '../../rootfs-cache/recipes/busybox.mjs'
import { cachedLayout } from '../helpers/layout-cache.mjs'

const BENCH_VERSION = 2

function merge(entries) {
  const byPath = new Map()
  for (const e of entries) if (!byPath.has(e.path)) byPath.set(e.path, e)
  return sortEntries([...byPath.values()])
}

const LIBS = '/usr/lib/x86_64-linux-gnu'
const BASE_LIB_BYTES = 135e6

async function libEntries(inputs, skipBytes, maxBytes) {
  const libs = await treeEntries(LIBS, { mtime: inputs.mtime, prefix: LIBS.slice(1), skipBytes, maxBytes })
  return [...parentDirs(`${LIBS.slice(1)}/x`, inputs.mtime), ...libs]
}

async function baseEntries(inputs) {
  return merge([...(await busyboxBaseEntries(inputs)), ...(await libEntries(inputs, 0, BASE_LIB_BYTES))])
}

const RECIPES = {
  bench: ['/usr/share a-l', async (inputs) => {
    const tree = await treeEntries('/usr/share', { mtime: inputs.mtime, prefix: 'usr/share', include: (rel) => rel.split('/')[0] < 'm', maxBytes: 30e6 })
    return merge([...parentDirs('usr/share/x', inputs.mtime), ...tree])
  }],
  'bench-sibling': [`the next 30 MB of ${LIBS}`, async (inputs) => merge(await libEntries(inputs, BASE_LIB_BYTES, 30e6))],
}

/** @param {'bench'|'bench-sibling'} name @returns {Promise<string>} the OCI layout directory */
export function benchFixture(name) {
  const [what, topEntries] = RECIPES[name]
  return cachedLayout(name, BENCH_VERSION, async (w, inputs) => {
    const base = await w.layer(await baseEntries(inputs))
    const top = await w.layer(await topEntries(inputs))
    return w.image({ layers: [base, top], config: BUSYBOX_CONFIG, created: inputs.mtime, history: ['busybox + /usr/lib/x86_64-linux-gnu', what] })
  })
}
