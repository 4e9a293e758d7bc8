// Docker's --format: Go templates (go-template.ts), "\t" and "\n" escapes, "json", and the "table"
// prefix (a header row from the fields' column names, cells aligned like tabwriter).
import { TockerError } from '../../errors.js'
import { table } from '../output.js'
import { execute, TemplateError } from './go-template.js'

export type Row = Record<string, unknown>

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g

/** Execute a Go template (go-template.ts) with `data`; a bad template is Docker's "template parsing error". */
export function render(format: string, data: unknown): string {
  try {
    return execute(format, data)
  } catch (err) {
    if (err instanceof TemplateError) throw new TockerError(`template parsing error: ${err.message}`, { code: 'EFORMAT' })
    throw err
  }
}

function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n')
}

/** A template of text and `{{.Field}}` only (no pipes, functions, trim markers or other braces). */
const FIELDS_ONLY = /^(?:[^{}]|\{\{ *\.[A-Za-z_][A-Za-z0-9_]* *\}\})*$/
const FIELD = /\{\{ *\.([A-Za-z_][A-Za-z0-9_]*) *\}\}/g

/**
 * How to render `template` for each row. A template that only names fields (every default --format of
 * ps and images, and most of what learners type) is filled in without the template engine when the
 * row has those fields as strings: what Go prints for a string field is the string. Anything else
 * (a missing field, a number, a map) is left to render(), which knows Go's rules for them.
 */
function rowRenderer(template: string): (row: Row) => string {
  if (!FIELDS_ONLY.test(template)) return (row) => render(template, row)
  // The text's typed "\t" and "\n" as the parser turns them (field names have no backslash).
  const text = unescape(template)
  return (row) => {
    let missing = false
    const out = text.replace(FIELD, (_, name: string) => {
      const v = Object.hasOwn(row, name) ? row[name] : undefined
      if (typeof v === 'string') return v
      missing = true
      return ''
    })
    return missing ? render(template, row) : out
  }
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
    // Each row is the whole template rendered, cut into cells at its tabs (as tabwriter does).
    const fill = rowRenderer(body)
    return table(header, rows.map((r) => fill(r).split('\t')), 10)
  }
  const fill = rowRenderer(trimmed)
  return rows.map((r) => fill(r) + '\n').join('')
}
