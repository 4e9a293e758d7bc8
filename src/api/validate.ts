// Request bodies are checked against a JSON Schema before any handler sees them (ajv; see the
// README's dependency table for why ajv). The rules follow what Docker's Go decoder accepts, so the
// real docker CLI, compose and podman keep working:
//   - unknown fields are ignored (Go's encoding/json drops them), never an error;
//   - `null` for a field is allowed everywhere: Go leaves the field at its zero value, so a null
//     for a field that cannot hold one is removed here (the engine then sees it as absent);
//   - a wrong type is refused with Go's sentence naming the field:
//       json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64
//   - beyond Go: bounds that keep a body from costing the engine much (lengths, counts), worded
//     "invalid <field>: …".
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { TockerError } from '../errors.js'

/** A JSON Schema (draft-07) with tocker's one annotation: `goType`, the Go type Docker decodes into. */
export type JsonSchema = { [key: string]: unknown; goType?: string }

let ajv: Ajv | undefined

function engine(): Ajv {
  if (!ajv) {
    // allErrors off: the first error is the one reported (as Go's decoder stops at the first).
    ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true })
    ajv.addKeyword({ keyword: 'goType', schemaType: 'string' })
  }
  return ajv
}

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
  let compiled: ValidateFunction | undefined // compiled on first use: the engine starts faster
  const check = ((value: unknown): T => {
    compiled ??= engine().compile(schema)
    const cleaned = dropNulls(value, schema)
    if (compiled(cleaned)) return cleaned as T
    throw new TockerError(describe(what, schema, cleaned, compiled.errors?.[0]), { status: 400, code: 'EBADBODY', daemon: true })
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

/** The schema at a JSON pointer ("/HostConfig/Memory"), following properties and items. */
function schemaAt(root: JsonSchema, pointer: string[]): JsonSchema | undefined {
  let s: JsonSchema | undefined = root
  for (const part of pointer) {
    if (!s) return undefined
    const props = s.properties as Record<string, JsonSchema> | undefined
    if (props && Object.hasOwn(props, part)) s = props[part]
    else if (s.items && /^\d+$/.test(part)) s = s.items as JsonSchema
    else if (typeof s.additionalProperties === 'object') s = s.additionalProperties as JsonSchema
    else return undefined
  }
  return s
}

function valueAt(root: unknown, pointer: string[]): unknown {
  let v: any = root
  for (const part of pointer) v = v?.[part]
  return v
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

function decodePointer(p: string): string[] {
  return p === '' ? [] : p.slice(1).split('/').map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** One line naming the field and what was wrong with it. */
function describe(what: string, schema: JsonSchema, value: unknown, e: ErrorObject | undefined): string {
  if (!e) return `invalid ${what} body`
  const path = decodePointer(e.instancePath)
  if (e.keyword === 'type') {
    const got = valueAt(value, path)
    if (path.length === 0) return `json: cannot unmarshal ${jsonKind(got)} into Go value of type ${goTypeOf(schema) === 'struct' ? what : goTypeOf(schema)}`
    const field = path.filter((p) => !/^\d+$/.test(p)).join('.')
    return `json: cannot unmarshal ${jsonKind(got)} into Go struct field ${what}.${field} of type ${goTypeOf(schemaAt(schema, path))}`
  }
  const field = path.length ? path.join('.') : what
  switch (e.keyword) {
    case 'required':
      return `invalid ${what}: ${(e.params as { missingProperty: string }).missingProperty} is required`
    case 'maxLength':
      return `invalid ${field}: longer than ${(e.params as { limit: number }).limit} characters`
    case 'maxItems':
      return `invalid ${field}: more than ${(e.params as { limit: number }).limit} entries`
    case 'maxProperties':
      return `invalid ${field}: more than ${(e.params as { limit: number }).limit} entries`
    case 'enum':
      return `invalid ${field}: ${JSON.stringify(valueAt(value, path))} is not one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return `invalid ${field}: ${e.message ?? e.keyword}`
  }
}
