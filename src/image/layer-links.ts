// Short names for layers: layers/l/<26 letters> -> ../<DiffID hex>/diff, as Docker's overlay2 keeps
// them in /var/lib/docker/overlay2/l/.
//
// Why: a container's root is one overlayfs mount whose lowerdir= option lists every layer, and
// mount(2) copies its options in ONE page (4096 bytes, the NUL included). As absolute paths
// (/var/lib/tocker/layers/<64 hex>/diff: ~94 bytes each) only ~40 layers fit; images with 100+
// layers exist (Docker allows 125 at build time). Through these links, and relative to this
// directory (the runtime chdir()s into it, see src/runtime/overlay.ts), a layer costs 27 bytes:
// ~145 layers fit. `ls -l /var/lib/tocker/layers/l` shows where each name leads.
//
// The name is derived from the DiffID (its first 130 bits, base32), not random as Docker's: there
// is no `link` file to keep in step with it, and a store made before links existed needs no
// migration: a missing link is made when a container first needs it. Two different layers would
// need a 130-bit collision of sha256 to share a name; a link found pointing elsewhere (a damaged
// store) is replaced, since the right target follows from the name's owner.
import { TockerError } from '../errors.js'
import { mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { traced } from '../trace/trace.js'

/** The links' directory, inside the layers directory. */
export const LINK_DIR = 'l'
export const LINK_NAME_LENGTH = 26
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567' // RFC 4648, the alphabet of Docker's link names
const HEX64 = /^[a-f0-9]{64}$/

/** The short name of the layer whose DiffID hex is `hex`: 26 base32 letters. */
export function linkName(hex: string): string {
  if (!HEX64.test(hex)) throw new TockerError(`not a layer id: ${hex}`, { code: 'EINVAL', internal: true })
  const bytes = Buffer.from(hex, 'hex')
  let out = ''
  let bits = 0
  let acc = 0
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5 && out.length < LINK_NAME_LENGTH) {
      out += BASE32[(acc >> (bits - 5)) & 31]
      bits -= 5
    }
    acc &= (1 << bits) - 1
    if (out.length === LINK_NAME_LENGTH) break
  }
  return out
}

/** layers/l/<name>: the path the overlay mount names instead of layers/<hex>/diff. */
export function linkPath(layersDir: string, hex: string): string {
  return join(layersDir, LINK_DIR, linkName(hex))
}

/** What the link of layer `hex` points to (relative, so the store can move as a whole). */
function linkTarget(hex: string): string {
  return `../${hex}/diff`
}

/** Make (or repair) the link of layer `hex`; returns its path. Safe to race with itself. */
export function ensureLink(layersDir: string, hex: string): string {
  const path = linkPath(layersDir, hex)
  const target = linkTarget(hex)
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = readLink(path)
    if (current === target) return path
    // A link to elsewhere, or a file in its place (a damaged store): the name is this layer's.
    if (current !== undefined) traced('fs', 'unlink', () => `${path} (wrong short link: ${current === '' ? 'not a symlink' : current})`, () => unlinkSync(path))
    try {
      traced('fs', 'symlink', () => `${target}, ${path} (short name of layer ${hex.slice(0, 12)})`, () => symlinkSync(target, path))
      return path
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') mkdirSync(join(layersDir, LINK_DIR), { recursive: true, mode: 0o700 })
      else if (code !== 'EEXIST') throw err // EEXIST: made meanwhile by another process; look again
    }
  }
  throw new TockerError(`cannot make the short link ${path} of layer ${hex}`, { code: 'ELAYERLINK', internal: true })
}

/** A symlink's target; undefined when there is nothing, '' when something else has the name. */
function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EINVAL') return ''
    throw err
  }
}

/** Remove the link of layer `hex` (before the layer itself goes). */
export function removeLink(layersDir: string, hex: string): void {
  try {
    unlinkSync(linkPath(layersDir, hex))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/**
 * Remove links whose layer is gone (a process that died between removing a layer and its link,
 * or one that made a link while the layer was being removed). Returns how many went.
 */
export function removeDanglingLinks(layersDir: string): number {
  const dir = join(layersDir, LINK_DIR)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  let removed = 0
  for (const name of names) {
    const path = join(dir, name)
    if (statSync(path, { throwIfNoEntry: false }) !== undefined) continue
    try {
      unlinkSync(path)
      removed++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return removed
}

/**
 * The overlay lower dirs to mount for `dirs` (layers/<hex>/diff, as image records and container
 * records name them): each layer's short link, made if missing (a store from before links). A
 * directory that is not a layer of this store is kept as it is.
 */
export function shortLowerDirs(layersDir: string, dirs: string[]): string[] {
  const prefix = join(layersDir, '/')
  return dirs.map((d) => {
    if (!d.startsWith(prefix) || !d.endsWith('/diff')) return d
    const hex = d.slice(prefix.length, -'/diff'.length)
    return HEX64.test(hex) ? ensureLink(layersDir, hex) : d
  })
}
