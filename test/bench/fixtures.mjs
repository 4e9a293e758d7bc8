// The pull benchmark's images, built from real files of this machine (cached by layout-cache.mjs):
//
//   bench          layer 1: busybox + ~135 MB of /usr/lib/x86_64-linux-gnu (about 50 MB gzipped)
//                  layer 2: ~30 MB of /usr/share (its subdirectories a-l)
//   bench-sibling  layer 1 shared with bench (same digest), layer 2: ~30 MB of /usr/share m-z
//
// Real libraries and documents give a realistic compression ratio, unlike random or zero bytes.
import { busyboxBaseEntries } from '../../rootfs-cache/build.mjs'
import { sortEntries } from '../../rootfs-cache/lib/oci-layout.mjs'
import { parentDirs, treeEntries } from '../../rootfs-cache/lib/tree.mjs'
import { BUSYBOX_CONFIG } from '../../rootfs-cache/recipes/busybox.mjs'
import { cachedLayout } from '../helpers/layout-cache.mjs'

const BENCH_VERSION = 1

function merge(entries) {
  const byPath = new Map()
  for (const e of entries) if (!byPath.has(e.path)) byPath.set(e.path, e)
  return sortEntries([...byPath.values()])
}

async function baseEntries(inputs) {
  const libs = await treeEntries('/usr/lib/x86_64-linux-gnu', { mtime: inputs.mtime, prefix: 'usr/lib/x86_64-linux-gnu', maxBytes: 135e6 })
  return merge([...(await busyboxBaseEntries(inputs)), ...parentDirs('usr/lib/x86_64-linux-gnu/x', inputs.mtime), ...libs])
}

async function shareEntries(inputs, pick) {
  const tree = await treeEntries('/usr/share', { mtime: inputs.mtime, prefix: 'usr/share', include: (rel) => pick(rel.split('/')[0]), maxBytes: 30e6 })
  return merge([...parentDirs('usr/share/x', inputs.mtime), ...tree])
}

const RECIPES = {
  bench: ['/usr/share a-l', (top) => top < 'm'],
  'bench-sibling': ['/usr/share m-z', (top) => top >= 'm'],
}

/** @param {'bench'|'bench-sibling'} name @returns {Promise<string>} the OCI layout directory */
export function benchFixture(name) {
  const [what, pick] = RECIPES[name]
  return cachedLayout(name, BENCH_VERSION, async (w, inputs) => {
    const base = await w.layer(await baseEntries(inputs))
    const top = await w.layer(await shareEntries(inputs, pick))
    return w.image({ layers: [base, top], config: BUSYBOX_CONFIG, created: inputs.mtime, history: ['busybox + /usr/lib/x86_64-linux-gnu', what] })
  })
}
