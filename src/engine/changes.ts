// `docker diff`: what a container changed, read from its overlay upper directory (the writable
// layer) against the layers below it, as Docker's overlay2 driver does (archive.OverlayChanges):
//   A  a name in the upper directory that no lower layer has;
//   C  a name the lower layers have too (a file copied up and changed; a directory the kernel
//      copied up because something under it changed — overlayfs copies up every parent first);
//   D  a whiteout (a character device 0:0 the kernel left where a lower name was deleted), and
//      what an opaque directory (trusted.overlay.opaque=y, made when a directory is removed and made
//      again) hides of the lower layers.
// The lower layers are read with LayerStack (links resolved inside the image, never the host's).
import { lstat, opendir } from 'node:fs/promises'
import { join } from 'node:path'
import { existsSync, type Stats } from 'node:fs'
import { LayerStack, type StackEntry } from '../image/diff/layer-stack.js'
import { lgetxattr } from '../sys/fs.js'

export interface Change {
  Path: string
  /** 0: modified, 1: added, 2: deleted (Docker's ChangeType). */
  Kind: 0 | 1 | 2
}

/** At most this many entries are reported (a container that wrote millions of files). */
const MAX_CHANGES = 1_000_000

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0

export async function containerChanges(upper: string, lowerDirs: string[]): Promise<Change[]> {
  // Containers made before the init layer existed have none.
  const stack = new LayerStack(lowerDirs.filter((d) => existsSync(d)))
  const out: Change[] = []
  const add = (c: Change) => {
    if (out.length < MAX_CHANGES) out.push(c)
  }
  async function walk(dir: string, path: string, lower: StackEntry | undefined): Promise<void> {
    const names: string[] = []
    const handle = await opendir(dir)
    for await (const e of handle) names.push(e.name)
    for (const name of names) {
      const p = path === '/' ? `/${name}` : `${path}/${name}`
      const st = await lstat(join(dir, name))
      if (isWhiteout(st)) {
        add({ Path: p, Kind: 2 })
        continue
      }
      const below = lower ? stack.child(lower, name) : undefined
      add({ Path: p, Kind: below ? 0 : 1 })
      if (!st.isDirectory()) continue
      const opaque = below !== undefined && lgetxattr(join(dir, name), 'trusted.overlay.opaque')?.toString() === 'y'
      const belowDir = below?.st.isDirectory() ? below : undefined
      if (opaque && belowDir) {
        // Made again after a delete: whatever the lower layers had in it is gone.
        const kept = new Set<string>()
        const h = await opendir(join(dir, name))
        for await (const e of h) kept.add(e.name)
        for (const n of stack.readdir(belowDir)) if (!kept.has(n)) add({ Path: `${p}/${n}`, Kind: 2 })
      }
      await walk(join(dir, name), p, opaque ? undefined : belowDir)
    }
  }
  await walk(upper, '/', stack.root())
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0))
}
