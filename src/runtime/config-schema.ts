// config.json against the OCI runtime spec's own JSON Schema (vendor/runtime-spec/schema/, compiled
// at build time into dist/oci-schema/config-validator.cjs by ajv: see vendor/runtime-spec/README.md).
// A bundle from outside (tocker-runtime, `tocker runtime`) is checked before anything else, and the
// first problem is reported with the field's path: "process.args: must be array". The engine's
// specs are built in memory by tocker itself and skip this.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TockerError } from '../errors.js'
import { dottedPath } from '../json-schema.js'

interface SchemaError {
  instancePath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}
type Validator = ((value: unknown) => boolean) & { errors?: SchemaError[] | null }

let validator: Validator | undefined

/** dist/oci-schema/config-validator.cjs, found from this file in src/ (tests) or dist/src/ (the CLI). */
function load(): Validator {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    for (const c of [join(dir, 'oci-schema', 'config-validator.cjs'), join(dir, 'dist', 'oci-schema', 'config-validator.cjs')]) {
      if (existsSync(c)) return createRequire(import.meta.url)(c) as Validator
    }
  }
  throw new TockerError('the OCI config schema validator (dist/oci-schema/config-validator.cjs) is not built', { code: 'EINTERNAL', hint: "Run 'npm run build'." })
}

/** Throws (400) naming the first field of `spec` that does not follow the schema. */
export function checkConfigSchema(spec: unknown, where: string): void {
  validator ??= load()
  if (validator(spec)) return
  const e = validator.errors?.[0]
  if (!e) throw new TockerError(`${where} does not follow the OCI runtime spec`, { code: 'EINVALID' })
  const path = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'))
  let problem = e.message ?? e.keyword
  if (e.keyword === 'required') {
    path.push(String(e.params.missingProperty))
    problem = 'is required'
  } else if (e.keyword === 'enum') {
    problem = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  }
  const field = path.length ? dottedPath(path) : '(the document)'
  throw new TockerError(`${where} does not follow the OCI runtime spec: ${field}: ${problem}`, { code: 'EINVALID' })
}
