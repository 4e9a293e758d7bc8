// JSON Schema checking for every JSON document tocker is handed by someone else: API request bodies
// (api/validate.ts) and what registries and archives send (image/documents.ts). One ajv instance,
// schemas compiled on first use (the engine and the CLI start without paying for them). A leaf
// module: plain data in, the first problem out, no I/O; each caller words the error its own way.
import { Ajv, type ValidateFunction } from 'ajv'

/** A JSON Schema (draft-07) with tocker's one annotation: `goType`, the Go type Docker decodes into. */
export type JsonSchema = { [key: string]: unknown; goType?: string }

/** The first thing wrong with a value: where (JSON pointer parts), which rule, ajv's own words. */
export interface SchemaProblem {
  path: string[]
  keyword: string
  params: Record<string, any>
  message: string
}

let ajv: Ajv | undefined

function instance(): Ajv {
  if (!ajv) {
    // allErrors off: the first error is the one reported (as Go's decoder stops at the first).
    ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true })
    ajv.addKeyword({ keyword: 'goType', schemaType: 'string' })
  }
  return ajv
}

/** A checker for `schema`: undefined when the value conforms, else its first problem. */
export function schemaChecker(schema: JsonSchema): (value: unknown) => SchemaProblem | undefined {
  let compiled: ValidateFunction | undefined
  return (value) => {
    compiled ??= instance().compile(schema)
    if (compiled(value)) return undefined
    const e = compiled.errors?.[0]
    if (!e) return { path: [], keyword: 'unknown', params: {}, message: 'is invalid' }
    return { path: decodePointer(e.instancePath), keyword: e.keyword, params: e.params as Record<string, any>, message: e.message ?? e.keyword }
  }
}

function decodePointer(p: string): string[] {
  return p === '' ? [] : p.slice(1).split('/').map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** "layers[0].size" for ["layers", "0", "size"]. */
export function dottedPath(path: string[]): string {
  return path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}

/** The value at a JSON pointer's parts. */
export function valueAt(root: unknown, path: string[]): unknown {
  let v: any = root
  for (const part of path) v = v?.[part]
  return v
}

/** The schema that applies at a JSON pointer's parts (following properties, items and maps). */
export function schemaAt(root: JsonSchema, path: string[]): JsonSchema | undefined {
  let s: JsonSchema | undefined = root
  for (const part of path) {
    if (!s) return undefined
    const props = s.properties as Record<string, JsonSchema> | undefined
    if (props && Object.hasOwn(props, part)) s = props[part]
    else if (s.items && /^\d+$/.test(part)) s = s.items as JsonSchema
    else if (typeof s.additionalProperties === 'object') s = s.additionalProperties as JsonSchema
    else return undefined
  }
  return s
}
