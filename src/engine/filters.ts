// Docker's `filters` query parameter (moby's api/types/filters): a JSON object of filter names to
// the values asked for, in either of the two shapes clients send:
//   {"dangling":["true"],"label":["a=b"]}           (current)
//   {"dangling":{"true":true},"label":{"a=b":true}}  (the older map form, still sent by some clients)
// Values of one name are alternatives (any may match); different names must all match.
import { TockerError } from '../errors.js'

export type Filters = Map<string, string[]>

export function parseFilters(raw: string | null | undefined, allowed: readonly string[]): Filters {
  const out: Filters = new Map()
  if (!raw) return out
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new TockerError(`invalid filter: ${raw}`, { code: 'EINVALID', daemon: true })
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TockerError(`invalid filter: ${raw}`, { code: 'EINVALID', daemon: true })
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw new TockerError(`invalid filter '${key}'`, { code: 'EINVALID', daemon: true })
    let values: string[]
    if (Array.isArray(value)) values = value.map(String)
    else if (value && typeof value === 'object') values = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k])
    else throw new TockerError(`invalid filter: ${raw}`, { code: 'EINVALID', daemon: true })
    if (values.length) out.set(key, values)
  }
  return out
}

/** A filter's single boolean value (dangling=true): Docker refuses anything but true/false/1/0. */
export function boolFilter(f: Filters, key: string): boolean | undefined {
  const values = f.get(key)
  if (!values) return undefined
  const seen = new Set(values.map((v) => v.toLowerCase()))
  for (const v of seen) if (!['true', 'false', '1', '0'].includes(v)) throw new TockerError(`invalid filter '${key}=${v}'`, { code: 'EINVALID', daemon: true })
  const truthy = seen.has('true') || seen.has('1')
  const falsy = seen.has('false') || seen.has('0')
  if (truthy && falsy) throw new TockerError(`invalid filter '${key}=${values.join(',')}'`, { code: 'EINVALID', daemon: true })
  return truthy
}

/** label=KEY or label=KEY=VALUE (and label!= with `negate`): does `labels` match every one asked? */
export function matchLabels(f: Filters, labels: Record<string, string> | null | undefined, key = 'label'): boolean {
  const want = f.get(key)
  if (!want) return true
  const have = labels ?? {}
  return want.every((w) => {
    const i = w.indexOf('=')
    return i < 0 ? w in have : have[w.slice(0, i)] === w.slice(i + 1)
  })
}

/** label!=KEY or label!=KEY=VALUE (prune): true when none of them matches. */
export function matchNotLabels(f: Filters, labels: Record<string, string> | null | undefined): boolean {
  const want = f.get('label!')
  if (!want) return true
  const have = labels ?? {}
  return !want.some((w) => {
    const i = w.indexOf('=')
    return i < 0 ? w in have : have[w.slice(0, i)] === w.slice(i + 1)
  })
}

/**
 * Docker's timestamps in filters and query parameters (until=, since=): unix seconds with an
 * optional fraction ("1700000000.123456789"), an RFC 3339 date, or a Go duration relative to now
 * ("10m", "1h30m", as `docker image prune --filter until=24h` sends it). Returns unix nanoseconds.
 */
export function parseTimestamp(value: string, now = Date.now()): bigint {
  const v = value.trim()
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v)
  if (unix) return BigInt(unix[1]) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0') || '0')
  const duration = parseGoDuration(v)
  if (duration !== undefined) return BigInt(now) * 1_000_000n - duration
  const ms = Date.parse(v)
  if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n
  throw new TockerError(`failed to parse value as time or duration: "${value}"`, { code: 'EINVALID', daemon: true })
}

/** Go's time.ParseDuration ("1h30m", "90s", "1.5h"), in nanoseconds; undefined if not one. */
export function parseGoDuration(v: string): bigint | undefined {
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined
  let total = 0
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]]
  return BigInt(Math.round(total))
}
