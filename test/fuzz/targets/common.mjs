// What every fuzz target shares: the compiled modules under test (dist/, built by `npm run build`)
// and the rule for failures. A parser may refuse its input with its own error (a TarFormatError, a
// user-facing TockerError, a document refusal); anything else escaping it is a finding.
import { isUserFacing } from '../../../dist/src/errors.js'

export const dist = (p) => new URL(`../../../dist/src/${p}`, import.meta.url).href

export class Refused extends Error {}

/** Rethrow anything that is not one of the parsers' own refusals. */
export function expected(err, ...classes) {
  if (err instanceof Refused || isUserFacing(err) || classes.some((c) => err instanceof c)) return
  throw err
}
