// Docker's --format: Go templates, the parts learners use: {{.Field}}, {{.A.B}}, {{json .}},
// {{json .Field}}, {{upper .X}}/{{lower .X}}, "\t" and "\n" escapes, and the "table" prefix
// (a header row from the fields' column names, cells aligned like tabwriter).
import { table } from '../output.js'

export type Row = Record<string, unknown>

const ACTION = /\{\{\s*(.*?)\s*\}\}/g

function lookup(obj: unknown, path: string): unknown {
  if (path === '.') return obj
  let cur: unknown = obj
  for (const key of path.replace(/^\./, '').split('.')) {
    if (cur === null || cur === undefined) return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>'
  if (typeof v === 'object') return Array.isArray(v) ? `[${v.map(show).join(' ')}]` : `map[${Object.entries(v as object).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`
  return String(v)
}

function evalAction(action: string, data: unknown): string {
  const words = action.split(/\s+/)
  if (words[0] === 'json') return JSON.stringify(lookup(data, words[1] ?? '.'))
  if (words[0] === 'upper') return show(lookup(data, words[1])).toUpperCase()
  if (words[0] === 'lower') return show(lookup(data, words[1])).toLowerCase()
  if (words[0] === 'println') return words.slice(1).map((w) => show(lookup(data, w))).join(' ') + '\n'
  if (words[0].startsWith('.')) return show(lookup(data, words[0]))
  throw new Error(`template: unsupported action {{${action}}} (tocker supports {{.Field}}, {{json .}}, upper, lower)`)
}

export function render(format: string, data: unknown): string {
  return unescape(format).replace(ACTION, (_, action: string) => evalAction(action, data))
}

function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n')
}

/**
 * Format rows: "table …" lays them out with a header (`headers` maps field names to titles),
 * anything else is one rendered line per row.
 */
export function formatRows(format: string, rows: Row[], headers: Record<string, string>): string {
  const trimmed = format.trim()
  // Docker's "json": one JSON object per row, with the template's field names.
  if (trimmed === 'json') return rows.map((r) => JSON.stringify(r) + '\n').join('')
  if (trimmed.startsWith('table')) {
    const body = trimmed.slice('table'.length).trim()
    const cols = unescape(body).split('\t')
    const header = cols.map((c) => c.replace(ACTION, (_, a: string) => headers[a.replace(/^\./, '')] ?? a.replace(/^\./, '').toUpperCase()))
    return table(header, rows.map((r) => cols.map((c) => render(c, r))), 10)
  }
  return rows.map((r) => render(trimmed, r) + '\n').join('')
}
