// Fuzz target: image references. A parsed reference must print back (fullString) to itself.
import { expected } from './common.mjs'
const { parseReference, fullString } = await import('../../../dist/src/image/reference.js')

export function fuzz(data) {
  const s = data.toString('utf8')
  let r
  try {
    r = parseReference(s)
  } catch (err) {
    expected(err)
    return
  }
  if (!r.domain || !r.path || r.path.length > 255) throw new Error(`bad reference from ${JSON.stringify(s)}: ${JSON.stringify(r)}`)
  const again = parseReference(fullString(r))
  if (JSON.stringify(again) !== JSON.stringify(r)) throw new Error(`${JSON.stringify(s)} does not print back to itself`)
}
