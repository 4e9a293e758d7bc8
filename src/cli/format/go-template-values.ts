// Go's text/template (go-template.ts): values as Go prints and tests them (fmt's %v, truth, fields
// of the API's JSON objects) and the functions a template may call: Go's built-ins and Docker's own
// (cli/templates/templates.go).
import { fail, type Value } from './go-template-parse.js'

// ---- values as Go prints them ----

/** fmt's %v of a value decoded from JSON. */
export function show(v: Value): string {
  if (v === undefined) return '<no value>'
  if (v === null) return '<nil>'
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`
  if (typeof v === 'object') {
    return `map[${
      Object.keys(v as object)
        .sort()
        .map((k) => `${k}:${show((v as Record<string, Value>)[k])}`)
        .join(' ')
    }]`
  }
  return String(v)
}

export function truth(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v as object).length > 0
  return true
}

export function field(v: Value, name: string): Value {
  if (v === undefined || v === null) return fail(`nil pointer evaluating .${name}`)
  if (typeof v !== 'object' || Array.isArray(v)) return fail(`can't evaluate field ${name} in type ${typeof v}`)
  return (v as Record<string, Value>)[name]
}

// fmt's verbs for printf: %v %s %d %q %t %f %x %X %o %b %e %c %%, with flags, width and precision.
function sprintf(format: string, args: Value[]): string {
  let n = 0
  return format.replace(/%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])/g, (_, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%'
    if (n >= args.length) return `%!${verb}(MISSING)`
    const a = args[n++]
    let s: string
    const num = typeof a === 'number' ? a : Number(a)
    switch (verb) {
      case 'v':
      case 's':
        s = show(a)
        if (prec !== undefined) s = s.slice(0, Number(prec))
        break
      case 'q':
        s = JSON.stringify(show(a))
        break
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${show(a)})`
        if (flags.includes('+') && num >= 0) s = '+' + s
        break
      case 't':
        s = show(a)
        break
      case 'f':
      case 'F':
        s = num.toFixed(prec === undefined ? 6 : Number(prec))
        break
      case 'e':
        s = num.toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([-+])(\d)$/, 'e$10$2')
        break
      case 'x':
      case 'X':
        s = typeof a === 'string' ? Buffer.from(a).toString('hex') : Math.trunc(num).toString(16)
        if (verb === 'X') s = s.toUpperCase()
        break
      case 'o':
        s = Math.trunc(num).toString(8)
        break
      case 'b':
        s = Math.trunc(num).toString(2)
        break
      case 'c':
        s = String.fromCodePoint(num)
        break
      default:
        s = `%!${verb}(${show(a)})`
    }
    const w = width === undefined ? 0 : Number(width)
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && /[dfx]/i.test(verb) ? s.padStart(w, '0') : s.padStart(w)
    return s
  }) + (n < args.length ? `%!(EXTRA ${args.slice(n).map((a) => `${typeof a}=${show(a)}`).join(', ')})` : '')
}

/**
 * encoding/json writes a struct's fields in their declared order (the API's order, kept) and a
 * map's keys sorted. The JSON here does not say which is which: an object with a key that is not
 * an exported Go field name ("80/tcp", a label) is a map.
 */
function goJsonOrder(_key: string, v: Value): Value {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v
  const keys = Object.keys(v)
  if (keys.every((k) => /^[A-Z]/.test(k))) return v
  return Object.fromEntries(keys.sort().map((k) => [k, (v as Record<string, Value>)[k]]))
}

function compare(name: string, a: Value, b: Value): number {
  const ok = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')
  if (!ok) fail(`error calling ${name}: incompatible types for comparison`)
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

function basic(v: Value): boolean {
  return v === null || v === undefined || typeof v !== 'object'
}

export const FUNCS: Record<string, (...a: Value[]) => Value> = {
  not: (a) => !truth(a),
  len: (a) => {
    if (a === null) return 0
    if (typeof a === 'string') return Buffer.byteLength(a)
    if (Array.isArray(a)) return a.length
    if (typeof a === 'object') return Object.keys(a as object).length
    return fail(`error calling len: len of type ${typeof a}`)
  },
  index: (a, ...keys) => {
    let cur = a
    for (const k of keys) {
      if (cur === null || cur === undefined) return fail('error calling index: index of untyped nil')
      if (Array.isArray(cur) || typeof cur === 'string') {
        if (typeof k !== 'number') return fail('error calling index: cannot index slice/array with type string')
        if (k < 0 || k >= cur.length) return fail(`error calling index: index out of range: ${k}`)
        cur = cur[k]
      } else if (typeof cur === 'object') {
        // Go gives the zero value for a key the map does not have: the empty string of a label map.
        cur = Object.prototype.hasOwnProperty.call(cur, String(k)) ? (cur as Record<string, Value>)[String(k)] : ''
      } else return fail(`error calling index: can't index item of type ${typeof cur}`)
    }
    return cur
  },
  slice: (a, ...ix) => {
    if (typeof a !== 'string' && !Array.isArray(a)) return fail(`error calling slice: can't slice item of type ${typeof a}`)
    const [i = 0, j = a.length] = ix as number[]
    if (i < 0 || j < i || j > a.length) return fail(`error calling slice: index out of range: ${j}`)
    return a.slice(i, j)
  },
  eq: (a, ...bs) => {
    if (!bs.length) fail('wrong number of args for eq: want at least 2 got 1')
    if (!basic(a)) fail('error calling eq: invalid type for comparison')
    return bs.some((b) => a === b)
  },
  ne: (a, b) => a !== b,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  // fmt.Sprint: a space between two operands when neither is a string.
  print: (...a) => a.map((v, i) => (i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + show(v)).join(''),
  println: (...a) => a.map(show).join(' ') + '\n',
  printf: (f, ...a) => sprintf(String(f), a),
  // Docker's (cli/templates/templates.go).
  json: (a) => (a === undefined ? 'null' : JSON.stringify(a, goJsonOrder)),
  join: (a, sep) => {
    if (!Array.isArray(a)) return fail('error calling join: wrong type for value; expected []string')
    return a.map(show).join(String(sep))
  },
  split: (s, sep) => String(s).split(String(sep)),
  title: (s) => String(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase()),
  lower: (s) => show(s).toLowerCase(),
  upper: (s) => show(s).toUpperCase(),
  pad: (s, prefix, suffix) => ' '.repeat(Number(prefix)) + show(s) + ' '.repeat(Number(suffix)),
  truncate: (s, n) => [...show(s)].slice(0, Number(n)).join(''),
}
