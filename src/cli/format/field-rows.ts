// The --format templates that only name fields (`table {{.Repository}}\t{{.Tag}}`, every default of
// ps and images and most of what learners type), filled in without the Go template engine
// (go-template*.ts, ~20 KB of the CLI's bundle): what Go prints for a string field is the string.
// template.ts uses these for its fast path; `tocker ps` and `tocker images` call formatFieldRows
// first and load the engine (template.ts) only for what it does not do, so a plain `tocker images`
// does not read the engine's code at all.
import { table } from '../output.js'

export type Row = Record<string, unknown>

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g

/** The typed "\t" and "\n" of a template, as the template parser turns them. */
function unescapeFormat(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n')
}

/** A template of text and `{{.Field}}` only (no pipes, functions, trim markers or other braces). */
const FIELDS_ONLY = /^(?:[^{}]|\{\{ *\.[A-Za-z_][A-Za-z0-9_]* *\}\})*$/
const FIELD = /\{\{ *\.([A-Za-z_][A-Za-z0-9_]*) *\}\}/g

/**
 * How to fill `template` in for a row without the template engine: undefined when the template is
 * more than text and fields; the filler returns undefined for a row that lacks one of the fields as
 * a string (a missing field, a number, a map: Go's rules for those are the engine's).
 */
function fieldFiller(template: string): ((row: Row) => string | undefined) | undefined {
  if (!FIELDS_ONLY.test(template)) return undefined
  // The text's typed "\t" and "\n" as the parser turns them (field names have no backslash).
  const text = unescapeFormat(template)
  return (row) => {
    let missing = false
    const out = text.replace(FIELD, (_, name: string) => {
      const v = Object.hasOwn(row, name) ? row[name] : undefined
      if (typeof v === 'string') return v
      missing = true
      return ''
    })
    return missing ? undefined : out
  }
}

/** The header cells of a "table …" template's body: each field's title from `headers`. */
function tableHeader(body: string, headers: Record<string, string>): string[] {
  return unescapeFormat(body)
    .split('\t')
    .map((c) => c.replace(ACTION, (_, a: string) => headers[a.replace(/^\./, '')] ?? a.replace(/^\./, '').toUpperCase()))
}

/**
 * Rows as `format` says: "json" (one object per row), "table …" (a header row, cells aligned as
 * tabwriter does) or one line per row. Templates of text and string fields are filled in here; for
 * anything else each row goes to `render` (template.ts's formatRows passes the template engine's),
 * and without one the answer is undefined (the caller loads template.ts then, which gives the same
 * text for what this does).
 */
export function formatFieldRows(format: string, rows: Row[], headers: Record<string, string>, render?: (template: string, row: Row) => string): string | undefined {
  const trimmed = format.trim()
  // Docker's "json": one JSON object per row, with the template's field names.
  if (trimmed === 'json') return rows.map((r) => JSON.stringify(r) + '\n').join('')
  const isTable = trimmed.startsWith('table')
  const body = isTable ? trimmed.slice('table'.length).trim() : trimmed
  const fill = fieldFiller(body)
  const lines: string[] = []
  for (const r of rows) {
    const line = fill?.(r) ?? render?.(body, r)
    if (line === undefined) return undefined
    lines.push(line)
  }
  // Each row is the whole template filled in, cut into cells at its tabs (as tabwriter does).
  if (isTable) return table(tableHeader(body, headers), lines.map((l) => l.split('\t')), 10)
  return lines.map((l) => l + '\n').join('')
}
