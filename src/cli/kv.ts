// `--label k=v`, `--opt k=v`, `--driver-opt k=v` as a map, the way Docker's CLI turns them into one
// (opts.ConvertKVStringsToMap): the first "=" splits, a word without "=" is a key with an empty
// value, a later key wins.

export function kvMap(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const l of list ?? []) {
    const i = l.indexOf('=')
    out[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1)
  }
  return out
}
