// `-f/--filter name=value`, one reading for every command (ps, images, network ls/prune, volume
// ls/prune, container/image prune), as Docker's CLI reads it (cli/opts FilterOpt.Set):
//   - a value without "=" is a flag error at parse time: `invalid argument "x" for "-f, --filter"
//     flag: bad format of filter (expected name=value)`, exit 125 (the parser's 'filter' type);
//   - an empty value is ignored; the name is lower-cased, name and value are trimmed;
//   - the engine gets them as filters.Args' JSON: {"name": {"value": true}}.

/** Why a --filter value is refused, or undefined when it is fine (Docker's wording). */
export function filterError(value: string): string | undefined {
  return value === '' || value.includes('=') ? undefined : 'bad format of filter (expected name=value)'
}

/** The filters' JSON for the API's `filters` parameter; undefined when there are none. */
export function filtersJson(values: readonly string[]): string | undefined {
  const out: Record<string, Record<string, boolean>> = {}
  for (const v of values) {
    if (v === '') continue
    const eq = v.indexOf('=')
    ;(out[v.slice(0, eq).trim().toLowerCase()] ??= {})[v.slice(eq + 1).trim()] = true
  }
  return Object.keys(out).length ? JSON.stringify(out) : undefined
}
