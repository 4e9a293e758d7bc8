// The names of a layer tar: the OCI whiteout names, and an entry's name checked into a clean
// relative path inside the layer (UnsafeLayerError for an absolute name or a ".." component).
import { TockerError } from '../../errors.js'

export const WHITEOUT_PREFIX = '.wh.'
export const OPAQUE_MARKER = '.wh..wh..opq'
export const OPAQUE_XATTR = 'trusted.overlay.opaque'

/** A layer that tries to write outside its directory (or is otherwise not unpackable as is). */
export class UnsafeLayerError extends TockerError {
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`entry ${JSON.stringify(entry)}: ${reason}`, { code: 'EUNSAFELAYER' })
    this.name = 'UnsafeLayerError'
  }
}

/**
 * The entry's name as a clean relative path ('' is the layer root), or an UnsafeLayerError.
 * "./a//b/" -> "a/b". Absolute names and ".." components are refused outright, even when they
 * would resolve inside the layer: no legitimate layer needs them.
 */
export function checkedPath(entry: string, name: string, what = 'path'): string {
  if (name.startsWith('/')) throw new UnsafeLayerError(entry, `absolute ${what} ${JSON.stringify(name)} would escape the layer`)
  const parts: string[] = []
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') throw new UnsafeLayerError(entry, `${what} ${JSON.stringify(name)} has a ".." component that would escape the layer`)
    parts.push(part)
  }
  return parts.join('/')
}

/** The parent of a clean relative path ('' for a name in the layer's root). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/')
  return i === -1 ? '' : rel.slice(0, i)
}

/** Is `p` the path `rel` or below it? */
export function isAtOrBelow(p: string, rel: string): boolean {
  return p === rel || p.startsWith(rel + '/')
}
