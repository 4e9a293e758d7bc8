// Request bodies are checked against a JSON Schema before any handler sees them (json-schema.ts; see the
// README's dependency table for why ajv). The rules follow what Docker's Go decoder accepts, so the
// real docker CLI, compose and podman keep working:
//   - unknown fields are ignored (Go's encoding/json drops them), never an error;
//   - `null` for a field is allowed everywhere: Go leaves the field at its zero value, so a null
//     for a field that cannot hold one is removed here (the engine then sees it as absent);
//   - a wrong type is refused with Go's sentence naming the field:
//       json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64
//   - beyond Go: bounds that keep a body from costing the engine much (lengths, counts), worded
//     "invalid <field>: …".
import { TockerError } from '../errors.js'
import { schemaAt, schemaChecker, valueAt, type JsonSchema, type SchemaProblem } from '../json-schema.js'

export type { JsonSchema }

export interface BodyValidator<T> {
  (value: unknown): T
  readonly schema: JsonSchema
}

/**
 * A checker for the body of one route: returns the value (nulls of non-nullable fields removed)
 * or throws a 400 TockerError naming the field. `what` names the body in messages
 * ("ContainerCreate": Go's struct name, so the message reads as Docker's).
 */
export function bodyValidator<T>(what: string, schema: JsonSchema): BodyValidator<T> {
  const problem = schemaChecker(schema)
  const check = ((value: unknown): T => {
    const cleaned = dropNulls(value, schema)
    const p = problem(cleaned)
    if (!p) return cleaned as T
    throw new TockerError(describe(what, schema, cleaned, p), { code: 'EBADBODY', daemon: true })
  }) as BodyValidator<T>
  Object.defineProperty(check, 'schema', { value: schema })
  return check
}

/** Go's decoder leaves a field untouched on `null`: remove such nulls where the schema does not allow one. */
function dropNulls(value: unknown, schema: JsonSchema): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined
    if (!items) return value
    return value.map((v) => dropNulls(v, items))
  }
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>
  const extra = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as JsonSchema) : undefined
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    const s = Object.hasOwn(props, k) ? props[k] : extra
    if (v === null && s && !allowsNull(s)) continue
    out[k] = s ? dropNulls(v, s) : v
  }
  return out
}

function allowsNull(s: JsonSchema): boolean {
  const t = s.type
  return t === 'null' || (Array.isArray(t) && t.includes('null'))
}

/** Go's name for a schema's type: the `goType` annotation, or one derived from the JSON type. */
export function goTypeOf(s: JsonSchema | undefined): string {
  if (!s) return 'interface {}'
  if (s.goType) return s.goType
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type
  switch (t) {
    case 'integer':
      return 'int64'
    case 'number':
      return 'float64'
    case 'string':
      return 'string'
    case 'boolean':
      return 'bool'
    case 'array':
      return `[]${goTypeOf(s.items as JsonSchema)}`
    case 'object':
      return s.properties ? 'struct' : `map[string]${goTypeOf(s.additionalProperties as JsonSchema)}`
    default:
      return 'interface {}'
  }
}

/** JSON's name for a value's kind, as Go's UnmarshalTypeError prints it ("number 1.5" for a fraction). */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'number' : `number ${v}`
  return typeof v
}

/** One line naming the field and what was wrong with it. */
function describe(what: string, schema: JsonSchema, value: unknown, p: SchemaProblem): string {
  const path = p.path
  if (p.keyword === 'type') {
    const got = valueAt(value, path)
    if (path.length === 0) return `json: cannot unmarshal ${jsonKind(got)} into Go value of type ${goTypeOf(schema) === 'struct' ? what : goTypeOf(schema)}`
    const field = path.filter((x) => !/^\d+$/.test(x)).join('.')
    return `json: cannot unmarshal ${jsonKind(got)} into Go struct field ${what}.${field} of type ${goTypeOf(schemaAt(schema, path))}`
  }
  const field = path.length ? path.join('.') : what
  switch (p.keyword) {
    case 'required':
      return `invalid ${what}: ${p.params.missingProperty} is required`
    case 'maxLength':
      return `invalid ${field}: longer than ${p.params.limit} characters`
    case 'maxItems':
    case 'maxProperties':
      return `invalid ${field}: more than ${p.params.limit} entries`
    case 'enum':
      return `invalid ${field}: ${JSON.stringify(valueAt(value, path))} is not one of ${(p.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return `invalid ${field}: ${p.message}`
  }
}
