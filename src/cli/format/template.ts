// Docker's --format: Go templates (go-template.ts), "\t" and "\n" escapes, "json", and the "table"
// prefix (a header row from the fields' column names, cells aligned like tabwriter).
import { TockerError } from '../../errors.js'
import { formatFieldRows, type Row } from './field-rows.js'
import { execute, TemplateError } from './go-template.js'

export type { Row }

/** Execute a Go template (go-template.ts) with `data`; a bad template is Docker's "template parsing error". */
export function render(format: string, data: unknown): string {
  try {
    return execute(format, data)
  } catch (err) {
    if (err instanceof TemplateError) throw new TockerError(`template parsing error: ${err.message}`, { code: 'EFORMAT' })
    throw err
  }
}

/**
 * Format rows: "table …" lays them out with a header (`headers` maps field names to titles),
 * anything else is one rendered line per row (field-rows.ts; rows it cannot fill in without the
 * template engine are rendered here).
 */
export function formatRows(format: string, rows: Row[], headers: Record<string, string>): string {
  return formatFieldRows(format, rows, headers, render)!
}
