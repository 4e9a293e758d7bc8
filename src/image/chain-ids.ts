// Layer chain IDs, as Docker names layers (`rmi`'s "Deleted: sha256:…" lines, `inspect`'s layers).
import { sha256 } from '../content/blobs.js'

/** chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)). */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = []
  for (const d of diffIDs) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`))
  return out
}
